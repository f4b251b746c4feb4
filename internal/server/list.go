package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/zeebo/xxh3"
	"golang.org/x/sync/errgroup"
)

// maxHashing is how many files LIST hashes at once, as 1.2.
const maxHashing = 8

// list answers LIST [prefix [compute_hash]] with a JSON array, sorted by
// key. The prefix names a directory (compat §3).
func (s *Server) list(r *request) {
	prefix := ""
	if len(r.args) > 0 {
		p, err := wire.DecodeUTF8(r.args[0])
		if err != nil {
			r.fail(err.Error())
			return
		}
		prefix = p
	}
	withHash := len(r.args) > 1 && string(r.args[1]) == "true"
	var entries []wire.ListEntry
	err := s.cfg.Store.List(r.ctx, prefix, func(i store.Info) error {
		entries = append(entries, wire.ListEntry{
			Key:   i.Key,
			Size:  i.Size,
			Mtime: float64(i.ModTime.UnixNano()) / 1e9,
		})
		return nil
	})
	if err != nil {
		r.fail(err.Error())
		return
	}
	if withHash {
		var g errgroup.Group
		g.SetLimit(maxHashing)
		for i := range entries {
			g.Go(func() error {
				h, err := s.hashFile(r.ctx, entries[i].Key)
				if err != nil {
					return fmt.Errorf("%s: %w", entries[i].Key, err)
				}
				entries[i].Hash = h
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			r.fail(err.Error())
			return
		}
	}
	s.lists.Add(1)
	r.ok(wire.ListJSON(entries))
}

// hashFile returns XXH3-64 (seed 0) of a stored file as 16 hex digits:
// from its metadata when still valid, else by reading it, recording the
// result so that the next LIST does not read it again.
func (s *Server) hashFile(ctx context.Context, key string) (string, error) {
	o, err := s.cfg.Store.Open(ctx, key)
	if err != nil {
		return "", err
	}
	defer o.Close()
	in := o.Info()
	m, ok := parseMeta(in.Meta, in)
	if ok && len(m.XXH64) == 16 {
		return m.XXH64, nil
	}
	h := xxh3.New()
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(h, io.NewSectionReader(o, 0, in.Size), buf); err != nil {
		return "", err
	}
	sum := fmt.Sprintf("%016x", h.Sum64())
	if !ok {
		m = fileMeta{Size: in.Size, MTime: in.ModTime.UnixNano()}
	}
	m.XXH64 = sum
	if raw, err := json.Marshal(m); err == nil {
		_ = store.SetObjectMeta(o, raw)
	}
	return sum, nil
}
