package server

import (
	"context"
	"errors"
	"iter"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// maxPageOctets bounds the JSON of one page.
const maxPageOctets = 4 << 20

// listing is an open FlaxFile 2 listing: a walk of the store paused
// between pages.
type listing struct {
	next   func() (store.Info, bool)
	stop   func()
	hashes bool
	size   int
}

// walk is the store's listing as an iterator.
func walk(ctx context.Context, st store.Store, prefix string) iter.Seq[store.Info] {
	errStop := errors.New("stop")
	return func(yield func(store.Info) bool) {
		_ = st.List(ctx, prefix, func(in store.Info) error {
			if !yield(in) {
				return errStop
			}
			return nil
		})
	}
}

// list2 opens a listing and answers its first page: [prefix, hashes,
// page size].
func (s *Server) list2(r *request) {
	m, err := wire.ParseList2(r.args)
	if r.refused(err) {
		return
	}
	next, stop := iter.Pull(walk(r.ctx, s.cfg.Store, m.Prefix))
	l := &listing{next: next, stop: stop, hashes: m.Hashes, size: int(m.Page)}
	id := newHandleID()
	e := s.listings.add(id, l, 1)
	s.lists.Add(1)
	s.page(r, e)
}

// listNext answers the next page of a listing: [cursor].
func (s *Server) listNext(r *request) {
	m, err := wire.ParseListNext(r.args)
	if r.refused(err) {
		return
	}
	e := s.listings.acquire(m.Cursor, true)
	if e == nil {
		r.fail("no such listing (finished, expired, or in use)")
		return
	}
	s.page(r, e)
}

// page sends up to one page of a listing, ends it when the walk is
// done, and gives back the reference the caller took.
func (s *Server) page(r *request, e *entry[*listing]) {
	l := e.v
	var out []byte
	more := true
	for n := 0; n < l.size && len(out) < maxPageOctets; n++ {
		in, ok := l.next()
		if !ok {
			more = false
			break
		}
		e := wire.ListEntry2{Key: in.Key, Size: in.Size, MTime: in.ModTime.UnixNano(), Mode: uint32(in.Mode.Perm())}
		if l.hashes {
			sum, err := s.keyHash(r.ctx, in.Key, hashBlocks)
			if err != nil {
				continue // gone or unreadable since the walk saw it
			}
			e.Hash = sum
		}
		out = append(wire.AppendListEntry2(out, e), '\n')
	}
	if !more {
		s.listings.end(e) // stopped when released
	}
	s.listings.release(e)
	r.reply(wire.ListPage{Cursor: e.id, More: more, Entries: out}.Frames()...)
}
