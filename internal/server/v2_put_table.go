package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/journal"
	"github.com/flaxfile/flaxfile/internal/store"
)

// putTable holds the FlaxFile 2 uploads open in memory; their files and
// journals stay in the store when they leave it, to be resumed.
type putTable struct {
	st       store.Partials
	store    store.Store // the files uploads with Put.Delta start from
	log      *slog.Logger
	sessions *table[*putSession]

	opening sync.Mutex   // one session is created at a time
	room    func() error // may a new upload open? (set by the server)
	noSync  bool         // uploads are committed without a flush (set by the server)
	obs     Observer     // set by the server
}

func newPutTable(st store.Store, log *slog.Logger) *putTable {
	p, _ := st.(store.Partials)
	return &putTable{st: p, store: st, log: log, sessions: newTable[*putSession](nil), obs: nopObserver{}}
}

// open returns the session id for hdr, loading it from the store or
// creating it, with one reference taken.
func (t *putTable) open(ctx context.Context, id string, hdr putHeader) (*putSession, error) {
	if t.st == nil {
		return nil, errors.New("this server's store cannot resume uploads")
	}
	for {
		s, err := t.joinOpen(id, hdr)
		if s != nil && !t.live(ctx, s) {
			continue // published or ended through another server: afresh
		}
		if s != nil || err != nil {
			return s, err
		}
		if t.room != nil {
			if err := t.room(); err != nil {
				return nil, err
			}
		}
		t.opening.Lock()
		if _, ok := t.sessions.lookup(id); ok { // opened meanwhile
			t.opening.Unlock()
			continue
		}
		s, err = t.create(ctx, id, hdr)
		t.opening.Unlock()
		return s, err
	}
}

// joinOpen joins session id if it is open (nil, nil if not). A session
// that is ending (being published, or closed) keeps its id until its file
// is settled: a PUT arriving meanwhile waits for that, then opens afresh
// what is left in the store.
func (t *putTable) joinOpen(id string, hdr putHeader) (*putSession, error) {
	for {
		e := t.sessions.acquire(id, false)
		if e == nil {
			return nil, nil
		}
		s := e.v
		if s.hdr != hdr {
			t.sessions.release(e)
			return nil, errors.New("upload id in use for another file")
		}
		if done, _ := s.ended(); !done {
			return s, nil
		}
		t.sessions.release(e)
		<-s.settled
	}
}

// live reports whether open session s, of which the caller holds a
// reference, is still open in the store; a session of a shared store that
// another server has published or ended is ended here, the reference
// given back. A store that cannot tell is taken at its word.
func (t *putTable) live(ctx context.Context, s *putSession) bool {
	r, ok := s.part.(store.Refresher)
	if !ok {
		return true
	}
	if ok, err := r.Live(ctx); ok || err != nil {
		return true
	}
	s.mu.Lock()
	ended := s.done
	s.done = true
	s.mu.Unlock()
	s.release()
	if !ended {
		_ = s.part.Close()
		t.drop(s)
	}
	t.log.Info("upload ended through another server", "key", s.hdr.Key, "upload", s.id)
	return false
}

// create opens session id from its partial in the store, or a new one.
// Called with t.opening held.
func (t *putTable) create(ctx context.Context, id string, hdr putHeader) (*putSession, error) {
	t0 := time.Now()
	part, fresh, err := t.st.OpenPartial(ctx, hdr.Key, id, t.spec(hdr))
	t.obs.StoreOp("open_partial", time.Since(t0), err)
	if err != nil {
		return nil, err
	}
	s := &putSession{id: id, hdr: hdr, part: part, blocks: map[int64]digest.Sum{}, borrowed: map[int64]bool{}, settled: make(chan struct{}), t: t, opened: time.Now()}
	if !fresh {
		if ok := s.load(); !ok {
			_ = part.Abort()
			if part, _, err = t.st.OpenPartial(ctx, hdr.Key, id, t.spec(hdr)); err != nil {
				return nil, err
			}
			s.part = part
			fresh = true
		}
	}
	if fresh {
		line, _ := json.Marshal(hdr)
		if err := part.AppendJournal(journal.Header(line)); err != nil {
			_ = part.Abort()
			return nil, err
		}
	}
	s.entry = t.sessions.add(id, s, 1)
	t.obs.TransferStarted("2", dirUp)
	t.log.Info("upload opened", "key", hdr.Key, "size", hdr.Size, "upload", id, "resumed_blocks", len(s.blocks))
	return s, nil
}

// keyOf returns the key of open session id.
func (t *putTable) keyOf(id string) (string, bool) {
	if s, ok := t.sessions.lookup(id); ok {
		return s.hdr.Key, true
	}
	return "", false
}

// get takes a reference to an open session.
func (t *putTable) get(id string) *putSession {
	if e := t.sessions.acquire(id, false); e != nil {
		return e.v
	}
	return nil
}

// release gives back a reference taken by open or get.
func (s *putSession) release() { s.t.sessions.release(s.entry) }

// drop removes s, which has ended, from memory and wakes whoever waits
// for its id.
func (t *putTable) drop(s *putSession) {
	if t.sessions.end(s.entry) {
		s.closeBase()
		close(s.settled)
	}
}

// pause ends the sessions ok picks among those unused for longer than
// idle, keeping their files for a later resume.
func (t *putTable) pause(now time.Time, idle time.Duration, why string) {
	paused := t.sessions.expire(now, idle, func(s *putSession) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.done { // ending: whoever ended it settles it
			return false
		}
		s.done = true
		return true
	})
	for _, s := range paused {
		t.obs.TransferEnded("2", dirUp, "interrupted", time.Since(s.opened))
		_ = s.part.Close()
		s.closeBase()
		close(s.settled)
		t.log.Info(why, "key", s.hdr.Key, "upload", s.id)
	}
}

// expire pauses sessions idle for longer than timeout and removes
// partial files older than keep.
func (t *putTable) expire(ctx context.Context, now time.Time, timeout, keep time.Duration) {
	t.pause(now, timeout, "upload paused")
	if t.st != nil {
		inUse := func(id string) bool { _, ok := t.sessions.lookup(id); return ok }
		if n, err := t.st.ExpirePartials(ctx, keep, inUse); err != nil {
			t.log.Warn("expiring partial uploads", "err", err)
		} else if n > 0 {
			t.log.Info("partial uploads expired", "count", n)
		}
	}
}

// closeAll closes every session at shutdown, keeping their files.
func (t *putTable) closeAll() {
	t.pause(time.Now().Add(1000*time.Hour), 0, "upload paused at shutdown")
}
