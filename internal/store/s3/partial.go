package s3

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
)

// Partial uploads live in the spool (files ID.part, ID.journal and ID.key,
// the key they are for), so that they survive a restart of this server;
// a commit sends the part file as the key's object.

// partialPath is the spool file of upload id with suffix ext.
func (s *Store) partialPath(id, ext string) string {
	return filepath.Join(s.spool, id+ext)
}

// OpenPartial implements store.Partials.
func (s *Store) OpenPartial(ctx context.Context, key, id string) (store.Partial, bool, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return nil, false, err
	}
	if !store.ValidUploadID(id) {
		return nil, false, fmt.Errorf("s3: invalid upload id %q", id)
	}
	if owner, err := os.ReadFile(s.partialPath(id, ".key")); err == nil && string(owner) == k {
		f, err := os.OpenFile(s.partialPath(id, ".part"), os.O_RDWR, 0)
		if err == nil {
			return &partial{upload: upload{s: s, key: k, f: f}, id: id}, false, nil
		}
	}
	// Fresh: any leftover of another key is replaced.
	f, err := os.OpenFile(s.partialPath(id, ".part"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("s3: spool: %w", err)
	}
	if err := os.WriteFile(s.partialPath(id, ".journal"), nil, 0o600); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := os.WriteFile(s.partialPath(id, ".key"), []byte(k), 0o600); err != nil {
		f.Close()
		return nil, false, err
	}
	return &partial{upload: upload{s: s, key: k, f: f}, id: id}, true, nil
}

// partial is a resumable upload in the spool.
type partial struct {
	upload
	id string
}

// Journal implements store.Partial.
func (p *partial) Journal() ([]byte, error) { return os.ReadFile(p.s.partialPath(p.id, ".journal")) }

// AppendJournal implements store.Partial, with one write.
func (p *partial) AppendJournal(rec []byte) error {
	f, err := os.OpenFile(p.s.partialPath(p.id, ".journal"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(rec)
	return errors.Join(err, f.Close())
}

// Commit sends the part file as the key's object and removes the spool
// files.
func (p *partial) Commit(ctx context.Context, opts store.CommitOptions) error {
	if err := p.s.send(ctx, p.key, p.f, opts); err != nil {
		return err
	}
	return p.Abort()
}

// Abort implements store.Partial: the spool files are removed.
func (p *partial) Abort() error {
	p.f.Close()
	var err error
	for _, ext := range []string{".part", ".journal", ".key"} {
		if e := os.Remove(p.s.partialPath(p.id, ext)); e != nil && !os.IsNotExist(e) {
			err = e
		}
	}
	return err
}

// Close implements store.Partial: the files stay for a later OpenPartial.
func (p *partial) Close() error { return p.f.Close() }

// ExpirePartials implements store.Partials.
func (s *Store) ExpirePartials(ctx context.Context, age time.Duration, inUse func(id string) bool) (int, error) {
	ents, err := os.ReadDir(s.spool)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".part")
		if !ok || !store.ValidUploadID(id) || (inUse != nil && inUse(id)) {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < age {
			continue
		}
		for _, ext := range []string{".part", ".journal", ".key"} {
			_ = os.Remove(s.partialPath(id, ext))
		}
		n++
	}
	return n, ctx.Err()
}
