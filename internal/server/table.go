package server

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"
)

// table is where the server keeps every kind of state a client names by
// id between requests: 1.2 upload sessions and downloads, FlaxFile 2
// uploads, downloads and listings. Each entry counts the requests using
// it (refs) and when it was last used; it ends on request, when idle too
// long, or at shutdown, and its close function runs once it has ended and
// the last request using it has finished, never under the table's lock.
type table[V any] struct {
	close func(V) // nil: nothing to close

	mu    sync.Mutex
	byID  map[string]*entry[V]
	added atomic.Int64 // entries ever added
}

// entry is one value in a table. Its fields are guarded by the table's
// mutex.
type entry[V any] struct {
	v     V
	id    string
	refs  int
	last  time.Time
	ended bool
}

func newTable[V any](close func(V)) *table[V] {
	return &table[V]{close: close, byID: map[string]*entry[V]{}}
}

// newHandleID names an entry: 96 random bits in hex, not to be guessed
// by another client.
func newHandleID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// add puts v under id with refs references taken (0 or 1), ending
// whatever was there.
func (t *table[V]) add(id string, v V, refs int) *entry[V] {
	e := &entry[V]{v: v, id: id, refs: refs, last: time.Now()}
	t.mu.Lock()
	old := t.byID[id]
	t.byID[id] = e
	closeOld := old != nil && t.endLocked(old)
	t.mu.Unlock()
	if closeOld {
		t.closeValue(old.v)
	}
	t.added.Add(1)
	return e
}

// acquire takes a reference to entry id; nil if there is none. With
// exclusive, an entry in use by another request is not taken either.
func (t *table[V]) acquire(id string, exclusive bool) *entry[V] {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.byID[id]
	if e == nil || exclusive && e.refs > 0 {
		return nil
	}
	e.refs++
	e.last = time.Now()
	return e
}

// lookup returns the value under id without taking a reference.
func (t *table[V]) lookup(id string) (V, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.byID[id]; e != nil {
		return e.v, true
	}
	var zero V
	return zero, false
}

// release gives back a reference taken by add or acquire.
func (t *table[V]) release(e *entry[V]) {
	t.mu.Lock()
	e.refs--
	e.last = time.Now()
	closeIt := e.ended && e.refs == 0
	t.mu.Unlock()
	if closeIt {
		t.closeValue(e.v)
	}
}

// end removes entry e (if it is still the one under its id); it closes
// when the last reference is released. It reports whether e was there.
func (t *table[V]) end(e *entry[V]) bool {
	t.mu.Lock()
	if t.byID[e.id] != e {
		t.mu.Unlock()
		return false
	}
	closeIt := t.endLocked(e)
	t.mu.Unlock()
	if closeIt {
		t.closeValue(e.v)
	}
	return true
}

// endID is end for the entry under id.
func (t *table[V]) endID(id string) bool {
	t.mu.Lock()
	e := t.byID[id]
	t.mu.Unlock()
	return e != nil && t.end(e)
}

// endLocked removes e and reports whether it is to be closed now. Called
// with t.mu held.
func (t *table[V]) endLocked(e *entry[V]) bool {
	if t.byID[e.id] == e {
		delete(t.byID, e.id)
	}
	if e.ended {
		return false
	}
	e.ended = true
	return e.refs == 0
}

func (t *table[V]) closeValue(v V) {
	if t.close != nil {
		t.close(v)
	}
}

// expire ends the entries unused for longer than idle that no request
// holds and that ok (if not nil) agrees to end, and returns them. ok runs
// under the table's lock.
func (t *table[V]) expire(now time.Time, idle time.Duration, ok func(V) bool) []V {
	return t.endWhere(func(e *entry[V]) bool {
		return e.refs == 0 && now.Sub(e.last) > idle && (ok == nil || ok(e.v))
	})
}

// endAll ends every entry, as at shutdown; those in use close when their
// requests finish. It returns the values it ended.
func (t *table[V]) endAll() []V { return t.endWhere(func(*entry[V]) bool { return true }) }

// endWhere ends the entries pick chooses (under the table's lock) and
// returns their values; those no request holds close now.
func (t *table[V]) endWhere(pick func(*entry[V]) bool) []V {
	t.mu.Lock()
	var gone, toClose []V
	for _, e := range t.byID {
		if pick(e) {
			gone = append(gone, e.v)
			if t.endLocked(e) {
				toClose = append(toClose, e.v)
			}
		}
	}
	t.mu.Unlock()
	for _, v := range toClose {
		t.closeValue(v)
	}
	return gone
}

// lastUsed is when e was last taken or given back.
func (t *table[V]) lastUsed(e *entry[V]) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return e.last
}

// len counts the entries not yet ended.
func (t *table[V]) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byID)
}
