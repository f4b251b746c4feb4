package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
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
	last   time.Time // guarded by listTable.mu
	busy   bool      // guarded by listTable.mu
}

type listTable struct {
	mu   sync.Mutex
	byID map[string]*listing
}

func newListTable() *listTable { return &listTable{byID: map[string]*listing{}} }

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
	if len(r.args) < 3 {
		r.fail(wire.ErrMissingArguments)
		return
	}
	prefix, err := wire.DecodeUTF8(r.args[0])
	if err != nil {
		r.fail(err.Error())
		return
	}
	size, ok := num(r.args[2])
	if !ok || size < 1 {
		r.fail("invalid page size")
		return
	}
	next, stop := iter.Pull(walk(r.ctx, s.cfg.Store, prefix))
	l := &listing{next: next, stop: stop, hashes: string(r.args[1]) == "1", size: int(min(size, wire.MaxListPage)), last: time.Now()}
	var b [12]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	s.listings.mu.Lock()
	s.listings.byID[id] = l
	l.busy = true
	s.listings.mu.Unlock()
	s.lists.Add(1)
	s.page(r, id, l)
}

// listNext answers the next page of a listing: [cursor].
func (s *Server) listNext(r *request) {
	if len(r.args) < 1 {
		r.fail(wire.ErrMissingArguments)
		return
	}
	id := string(r.args[0])
	s.listings.mu.Lock()
	l := s.listings.byID[id]
	if l != nil && l.busy {
		l = nil
	}
	if l != nil {
		l.busy = true
	}
	s.listings.mu.Unlock()
	if l == nil {
		r.fail("no such listing (finished, expired, or in use)")
		return
	}
	s.page(r, id, l)
}

// page sends up to one page of l and closes it when the walk is done.
func (s *Server) page(r *request, id string, l *listing) {
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
			sum, err := s.storedHash(r.ctx, in.Key)
			if err != nil {
				continue // gone or unreadable since the walk saw it
			}
			e.Hash = sum.String()
		}
		line, _ := json.Marshal(e)
		out = append(append(out, line...), '\n')
	}
	s.listings.mu.Lock()
	l.busy = false
	l.last = time.Now()
	if !more {
		delete(s.listings.byID, id)
	}
	s.listings.mu.Unlock()
	if !more {
		l.stop()
	}
	flag := "0"
	if more {
		flag = "1"
	}
	r.ok([]byte(id), []byte(flag), out)
}

// storedHash is the file hash of key, from its metadata or by reading it
// once (and recording it).
func (s *Server) storedHash(ctx context.Context, key string) (digest.Sum, error) {
	obj, err := s.cfg.Store.Open(ctx, key)
	if err != nil {
		return digest.Sum{}, err
	}
	defer obj.Close()
	return s.fileHash(obj)
}

// expire closes listings idle for longer than idle.
func (t *listTable) expire(now time.Time, idle time.Duration) {
	t.mu.Lock()
	var old []*listing
	for id, l := range t.byID {
		if !l.busy && now.Sub(l.last) > idle {
			old = append(old, l)
			delete(t.byID, id)
		}
	}
	t.mu.Unlock()
	for _, l := range old {
		l.stop()
	}
}

func (t *listTable) closeAll() { t.expire(time.Now().Add(1000*time.Hour), 0) }

// hashes answers the file hashes of a batch of keys: [key...].
func (s *Server) hashes(r *request) {
	if len(r.args) == 0 || len(r.args) > wire.MaxSmallBatch {
		r.fail(fmt.Sprintf("a batch names 1 to %d keys", wire.MaxSmallBatch))
		return
	}
	out := [][]byte{[]byte(wire.ReplyOK)}
	for _, a := range r.args {
		key, msg := fileKey(a)
		var h []byte
		if msg == "" {
			if sum, err := s.storedHash(r.ctx, key); err == nil {
				h = []byte(sum.String())
			}
		}
		out = append(out, h)
	}
	r.reply(out...)
}
