package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/flaxfile/flaxfile/internal/store"
)

// errTooManySessions refuses a new upload when MaxSessions are open.
var errTooManySessions = errors.New("too many uploads in progress; try again later")

// sessionRoom reports errTooManySessions when no new upload may open.
func (s *Server) sessionRoom() error {
	if s.uploads.sessions.len()+s.puts.sessions.len() >= s.cfg.MaxSessions {
		s.obs.Refused("sessions")
		return errTooManySessions
	}
	return nil
}

// noRoom refuses, with the error to answer, an upload of size octets that
// the store has no room for; "" when it may start (or the store cannot
// say).
func (s *Server) noRoom(ctx context.Context, size int64) string {
	sp, ok := s.cfg.Store.(store.Spacer)
	if !ok || size == 0 {
		return ""
	}
	free, err := sp.Free(ctx)
	if err != nil || size <= free {
		return ""
	}
	s.obs.Refused("space")
	return fmt.Sprintf("not enough space on the server: %d octets declared, %d free", size, free)
}

// rangeToken waits for one of the connection's tokens for a range read
// into memory (request.ranges); done gives it back. A request made
// without a connection's tokens takes none.
func (r *request) rangeToken() (done func(), ok bool) {
	if r.ranges == nil {
		return func() {}, true
	}
	select {
	case r.ranges <- struct{}{}:
		return func() { <-r.ranges }, true
	case <-r.ctx.Done():
		return nil, false
	}
}

// buffer takes n octets of the memory budget, waiting for room while the
// request lasts, and a buffer of that length; release gives both back.
func (s *Server) buffer(r *request, n int64) ([]byte, func(), error) {
	if !s.budget.Acquire(r.ctx.Done(), n) {
		return nil, nil, errors.New("server shutting down")
	}
	buf := s.pool.Get(int(n))
	return buf, func() {
		s.budget.Release(n)
		s.pool.Put(buf)
	}, nil
}

// poolRetain is what the server's buffer pool may hold, free and in use,
// for a budget of limit octets: an eighth more, because a buffer is of
// its size class (a 4 MiB chunk takes 4 MiB and 4 KiB; classes are 2^k
// and 1.5*2^k), so that a full budget of buffers in use, returned and
// taken again, is kept instead of going to the collector and being made
// anew each time (a pool of the budget itself held 15 of 16 chunks).
func poolRetain(limit int64) int64 { return limit + limit/8 }

// HeapFor is a limit for the Go heap (debug.SetMemoryLimit) that suits a
// server whose Config.MemoryLimit is limit: its buffer pool, in use and
// free (poolRetain), and 32 MiB for the rest of the heap, goroutine
// stacks and the runtime. A lower one makes the collector run over and
// over while the pool's buffers alone come close to it. The process
// maps its program besides (about 17 MiB resident): with the default
// budget of 64 MiB, 104 + 17 stay under 128 MiB.
func HeapFor(limit int64) int64 { return poolRetain(limit) + 32<<20 }
