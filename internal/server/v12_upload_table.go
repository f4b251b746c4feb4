package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// uploadTable holds 1.2's upload sessions, by session id and by member
// connection. Its mutex guards the connection index and each session's
// members, and serialises joins; a session's own state has its own mutex.
type uploadTable struct {
	st       store.Store
	log      *slog.Logger
	early    *zmtp.Budget // the memory of chunks held before chunk 0, all sessions
	sessions *table[*upload]

	mu     sync.Mutex
	byConn map[*zmtp.Conn]*upload

	room func() error // may a new session open? (set by the server)
	obs  Observer     // set by the server
}

func newUploadTable(st store.Store, log *slog.Logger, early *zmtp.Budget) *uploadTable {
	return &uploadTable{st: st, log: log, early: early, sessions: newTable[*upload](nil), byConn: map[*zmtp.Conn]*upload{}, obs: nopObserver{}}
}

// join adds c to session id, creating it (and its partial file) if needed.
// A connection in another session leaves that one first.
func (t *uploadTable) join(ctx context.Context, c *zmtp.Conn, id, key string, size int64, hashName string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.byConn[c]; old != nil && old.id != id {
		delete(old.members, c)
		delete(t.byConn, c)
	}
	u, _ := t.sessions.lookup(id)
	if u == nil && t.room != nil {
		t.mu.Unlock()
		err := t.room()
		t.mu.Lock()
		if err != nil {
			return err
		}
		u, _ = t.sessions.lookup(id) // another member may have opened it meanwhile
	}
	if u == nil {
		up, err := t.st.Create(ctx, key)
		if err != nil {
			return err
		}
		u = t.newUpload(id, key, size, up, hashName)
		u.entry = t.sessions.add(id, u, 0)
		t.obs.TransferStarted("1.2", dirUp)
		t.log.Info("upload started", "key", key, "size", size, "session", id)
	} else {
		u.touch()
	}
	u.members[c] = struct{}{}
	t.byConn[c] = u
	return nil
}

// newUpload is a new session writing up.
func (t *uploadTable) newUpload(id, key string, size int64, up store.Upload, hashName string) *upload {
	now := time.Now()
	u := &upload{id: id, key: key, size: size, up: up, start: now, last: now, early: t.early,
		members: map[*zmtp.Conn]struct{}{}, hashWake: make(chan struct{}, 1),
		quit: make(chan struct{}), hashDone: make(chan struct{}),
		xxh: hashName == wire.HashXXH3128, blockMode: hashName == wire.HashBlocks}
	switch {
	case size == 0 && u.blockMode:
		s := digest.File(0, nil)
		u.sum = s[:]
		close(u.hashDone)
	case size == 0:
		u.sum = newHash(u.xxh).Sum(nil)
		close(u.hashDone)
	}
	return u
}

// of returns the session c is a member of, or nil.
func (t *uploadTable) of(c *zmtp.Conn) *upload {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byConn[c]
}

// leave removes a closed connection from its session. A session left with
// no members but not complete stays for late members until it expires.
func (t *uploadTable) leave(c *zmtp.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if u := t.byConn[c]; u != nil {
		delete(u.members, c)
		delete(t.byConn, c)
	}
}

// end removes c from its session and reports whether it was the last
// member. u is nil if c was in no session.
func (t *uploadTable) end(c *zmtp.Conn) (u *upload, last bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	u = t.byConn[c]
	if u == nil {
		return nil, false
	}
	delete(u.members, c)
	delete(t.byConn, c)
	return u, len(u.members) == 0
}

// forget drops a finished session from the table.
func (t *uploadTable) forget(u *upload) {
	t.sessions.end(u.entry)
	t.mu.Lock()
	defer t.mu.Unlock()
	for c, v := range t.byConn {
		if v == u {
			delete(t.byConn, c)
		}
	}
}

// expire aborts sessions idle for longer than timeout.
func (t *uploadTable) expire(now time.Time, timeout time.Duration) {
	idle := t.sessions.expire(now, 0, func(u *upload) bool {
		u.mu.Lock()
		defer u.mu.Unlock()
		return now.Sub(u.last) > timeout
	})
	t.drop(idle, "upload expired")
}

// abortAll drops every open session; used at shutdown.
func (t *uploadTable) abortAll() { t.drop(t.sessions.endAll(), "upload dropped at shutdown") }

// drop aborts sessions that have left the table.
func (t *uploadTable) drop(us []*upload, why string) {
	for _, u := range us {
		if u.abort() {
			t.log.Warn(why, "key", u.key, "session", u.id, "received", u.received, "size", u.size)
		}
		t.forget(u)
	}
}
