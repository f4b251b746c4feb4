package server

import (
	"fmt"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"golang.org/x/sync/errgroup"
)

// maxHashing is how many files LIST hashes at once, as 1.2.
const maxHashing = 8

// list answers LIST [prefix [compute_hash]] with a JSON array, sorted by
// key. The prefix names a directory (compat §3).
func (s *Server) list(r *request) {
	m, err := wire.ParseList(r.args)
	if r.refused(err) {
		return
	}
	prefix, withHash := m.Prefix, m.WithHash
	var entries []wire.ListEntry
	err = s.cfg.Store.List(r.ctx, prefix, func(i store.Info) error {
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
				h, err := s.keyHash(r.ctx, entries[i].Key, hashXXH64)
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
