package disk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/flaxfile/flaxfile/internal/flush"
	"github.com/flaxfile/flaxfile/internal/store"
)

// partialPrefix names resumable uploads under store.PartialDir; everything else
// there belongs to one process and is cleared when the store opens.
const partialPrefix = "put-"

// journalSuffix names a partial upload's journal.
const journalSuffix = ".journal"

// OpenPartial implements Partials.
func (d *Store) OpenPartial(ctx context.Context, key, id string, spec store.Spec) (store.Partial, bool, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return nil, false, err
	}
	if !store.ValidUploadID(id) {
		return nil, false, fmt.Errorf("%w: upload id %q", store.ErrInvalidKey, id)
	}
	name := path.Join(store.PartialDir, partialPrefix+id)
	fresh := false
	f, err := d.root.OpenFile(name, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		fresh = true
		f, err = d.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	}
	if err != nil {
		return nil, false, err
	}
	flags := os.O_RDWR | os.O_APPEND | os.O_CREATE
	if fresh {
		flags |= os.O_TRUNC
	}
	j, err := d.root.OpenFile(name+journalSuffix, flags, 0o644)
	if err != nil {
		f.Close()
		return nil, false, err
	}
	now := time.Now()
	_ = d.root.Chtimes(name+journalSuffix, now, now) // touched: not expired while in use
	p := &diskPartial{diskUpload: diskUpload{d: d, key: k, tmp: name, f: f}, j: j}
	if spec.WillSync && spec.Size >= flush.MinSize {
		p.early = flush.Start(f)
	}
	return p, fresh, nil
}

type diskPartial struct {
	diskUpload
	j     *os.File
	early *flush.Early // chunks handed to the disk as they are written; nil: not
}

// WriteAt implements store.Upload; what it wrote starts going to the disk
// (flush.Early), so that Commit's flush finds little left.
func (p *diskPartial) WriteAt(b []byte, off int64) (int, error) {
	n, err := p.f.WriteAt(b, off)
	p.early.Wrote(off, int64(n))
	return n, err
}

func (p *diskPartial) File() *os.File { return p.f }

func (p *diskPartial) Journal() ([]byte, error) {
	fi, err := p.j.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > 1<<30 {
		return nil, fmt.Errorf("store: journal of %s is %d octets", p.key, fi.Size())
	}
	b := make([]byte, fi.Size())
	n, err := p.j.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return b[:n], nil
}

func (p *diskPartial) AppendJournal(rec []byte) error {
	_, err := p.j.Write(rec)
	return err
}

func (p *diskPartial) Commit(ctx context.Context, opts store.CommitOptions) error {
	// The journal is removed only after the data is safe (the commit's
	// flush and rename); it need not be flushed itself.
	p.early.Stop()
	err := p.diskUpload.Commit(ctx, opts)
	p.j.Close()
	if err == nil {
		_ = p.d.root.Remove(p.tmp + journalSuffix)
	}
	return err
}

func (p *diskPartial) Abort() error {
	p.early.Stop()
	p.j.Close()
	err := p.diskUpload.Abort()
	if e := p.d.root.Remove(p.tmp + journalSuffix); e != nil && !errors.Is(e, fs.ErrNotExist) && err == nil {
		err = e
	}
	return err
}

func (p *diskPartial) Close() error {
	p.early.Stop()
	p.j.Close()
	p.done = true
	return p.f.Close()
}

// ExpirePartials implements Partials: a partial's age is that of its
// journal, which every OpenPartial touches and every chunk appends to.
func (d *Store) ExpirePartials(ctx context.Context, age time.Duration, inUse func(id string) bool) (int, error) {
	entries, err := fs.ReadDir(d.root.FS(), store.PartialDir)
	if err != nil {
		return 0, err
	}
	cut := time.Now().Add(-age)
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, partialPrefix) || !strings.HasSuffix(name, journalSuffix) {
			continue
		}
		fi, err := e.Info()
		if err != nil || fi.ModTime().After(cut) {
			continue
		}
		if id := strings.TrimSuffix(strings.TrimPrefix(name, partialPrefix), journalSuffix); inUse != nil && inUse(id) {
			continue
		}
		data := path.Join(store.PartialDir, strings.TrimSuffix(name, journalSuffix))
		_ = d.root.Remove(data)
		if d.root.Remove(path.Join(store.PartialDir, name)) == nil {
			n++
		}
	}
	// A data file whose journal is gone is unusable.
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, partialPrefix) && !strings.HasSuffix(name, journalSuffix) {
			if _, err := d.root.Stat(path.Join(store.PartialDir, name+journalSuffix)); errors.Is(err, fs.ErrNotExist) {
				_ = d.root.Remove(path.Join(store.PartialDir, name))
			}
		}
	}
	return n, nil
}

// ListPartials implements store.PartialAdmin: each partial upload whose
// journal names its key, oldest first.
func (d *Store) ListPartials(ctx context.Context) ([]store.PartialInfo, error) {
	entries, err := fs.ReadDir(d.root.FS(), store.PartialDir)
	if err != nil {
		return nil, err
	}
	var out []store.PartialInfo
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, partialPrefix) || !strings.HasSuffix(name, journalSuffix) {
			continue
		}
		id := strings.TrimSuffix(strings.TrimPrefix(name, partialPrefix), journalSuffix)
		jfi, err := e.Info()
		if err != nil || !store.ValidUploadID(id) {
			continue
		}
		hdr, ok := d.journalHeader(path.Join(store.PartialDir, name))
		if !ok {
			continue
		}
		p := store.PartialInfo{ID: id, Key: hdr.Key, Size: hdr.Size, ModTime: jfi.ModTime()}
		if fi, err := d.root.Stat(path.Join(store.PartialDir, partialPrefix+id)); err == nil {
			p.Held = fi.Size()
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b store.PartialInfo) int { return a.ModTime.Compare(b.ModTime) })
	return out, ctx.Err()
}

// journalHeader reads the key and size a partial's journal begins with.
func (d *Store) journalHeader(name string) (h struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
}, ok bool) {
	f, err := d.root.Open(name)
	if err != nil {
		return h, false
	}
	defer f.Close()
	buf := make([]byte, 8<<10) // a header is a short JSON line
	n, _ := io.ReadFull(f, buf)
	line, _, found := bytes.Cut(buf[:n], []byte{'\n'})
	if !found || json.Unmarshal(line, &h) != nil || h.Key == "" || h.Size < 0 {
		return h, false
	}
	return h, true
}

// RemovePartial implements store.PartialAdmin.
func (d *Store) RemovePartial(_ context.Context, id string) error {
	if !store.ValidUploadID(id) {
		return fmt.Errorf("%w: upload id %q", store.ErrInvalidKey, id)
	}
	name := path.Join(store.PartialDir, partialPrefix+id)
	var errs []error
	for _, n := range []string{name, name + journalSuffix} {
		if err := d.root.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
