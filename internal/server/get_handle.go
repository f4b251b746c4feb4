package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// getHandle is one version of a file opened by GET, read by GET_RANGE
// requests on any connection until GET_END or until it sits idle.
type getHandle struct {
	obj  store.Object
	refs int       // guarded by getTable.mu
	last time.Time // guarded by getTable.mu
	gone bool      // ended; closed when refs reaches 0
}

type getTable struct {
	mu     sync.Mutex
	byID   map[string]*getHandle
	opened atomic.Int64 // handles ever added
}

func newGetTable() *getTable { return &getTable{byID: map[string]*getHandle{}} }

func (t *getTable) add(obj store.Object) string {
	id := newHandleID()
	t.mu.Lock()
	t.byID[id] = &getHandle{obj: obj, last: time.Now()}
	t.mu.Unlock()
	t.opened.Add(1)
	return id
}

// newHandleID names a download handle: 96 random bits in hex, not to be
// guessed by another client.
func newHandleID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// open counts the handles not yet ended.
func (t *getTable) open() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int64(len(t.byID))
}

func (t *getTable) acquire(id string) *getHandle {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.byID[id]
	if h != nil {
		h.refs++
		h.last = time.Now()
	}
	return h
}

func (t *getTable) release(h *getHandle) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h.refs--
	h.last = time.Now()
	if h.gone && h.refs == 0 {
		h.obj.Close()
	}
}

// end drops handle id; its file closes when the last request using it
// has finished.
func (t *getTable) end(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.byID[id]
	if h == nil {
		return false
	}
	delete(t.byID, id)
	h.gone = true
	if h.refs == 0 {
		h.obj.Close()
	}
	return true
}

// expire ends handles idle for longer than idle.
func (t *getTable) expire(now time.Time, idle time.Duration) {
	t.mu.Lock()
	var old []string
	for id, h := range t.byID {
		if h.refs == 0 && now.Sub(h.last) > idle {
			old = append(old, id)
		}
	}
	t.mu.Unlock()
	for _, id := range old {
		t.end(id)
	}
}

func (t *getTable) closeAll() { t.expire(time.Now().Add(1000*time.Hour), 0) }

// fileHash returns the file hash of an open version: from the metadata
// recorded at publish when it is still valid, else by reading the file
// once, recording the result for next time.
func (s *Server) fileHash(obj store.Object) (digest.Sum, error) {
	in := obj.Info()
	m, ok := parseMeta(in.Meta, in)
	if ok && m.Hash != "" {
		if sum, err := digest.Parse(m.Hash); err == nil {
			return sum, nil
		}
	}
	sum, _, err := digest.Reader(obj, in.Size, nil)
	if err != nil {
		return digest.Sum{}, err
	}
	if !ok {
		m = fileMeta{Size: in.Size, MTime: in.ModTime.UnixNano()}
	}
	m.Hash = sum.String()
	if raw, err := json.Marshal(m); err == nil {
		_ = store.SetObjectMeta(obj, raw)
	}
	return sum, nil
}

// get opens a file for ranged reads: [key] -> [OK, handle, size,
// mtime_ns, mode, file hash]. With a second argument, the most octets the
// client takes in the reply, a file that small (and at most
// wire.MaxSmallFile) comes whole after the hash, with an empty handle:
// one round trip instead of two, and nothing to end.
func (s *Server) get(r *request) {
	key, ok := r.key(1, wire.ErrMissingFileKey)
	if !ok {
		return
	}
	obj, err := s.cfg.Store.Open(r.ctx, key)
	if err != nil {
		r.fail(downloadError(key, err))
		return
	}
	sum, err := s.fileHash(obj)
	if err != nil {
		obj.Close()
		r.fail(fmt.Sprintf("read error: %v", err))
		return
	}
	in := obj.Info()
	if len(r.args) > 1 {
		if most, ok := num(r.args[1]); ok && in.Size <= min(most, wire.MaxSmallFile) {
			defer obj.Close() // the reply is written before replyParts returns
			data, err := wholeFile(obj, in.Size)
			if err != nil {
				r.fail(err.Error())
				return
			}
			s.downloadsDone.Add(1)
			s.bytesDown.Add(in.Size)
			r.replyParts(zmtp.Part{Data: []byte(wire.ReplyOK)}, zmtp.Part{}, zmtp.Part{Data: wire.Itoa(in.Size)},
				zmtp.Part{Data: wire.Itoa(in.ModTime.UnixNano())}, zmtp.Part{Data: wire.Itoa(int64(in.Mode.Perm()))},
				zmtp.Part{Data: []byte(sum.String())}, data)
			return
		}
	}
	id := s.gets.add(obj)
	s.downloadsDone.Add(1)
	r.ok([]byte(id), wire.Itoa(in.Size), wire.Itoa(in.ModTime.UnixNano()), wire.Itoa(int64(in.Mode.Perm())), []byte(sum.String()))
}

// getRange sends one range of an open version: [handle, offset, length]
// -> [DATA, offset, data], by sendfile on a plaintext connection.
func (s *Server) getRange(r *request) {
	if len(r.args) < 3 {
		r.fail(wire.ErrMissingArguments)
		return
	}
	h := s.gets.acquire(string(r.args[0]))
	if h == nil {
		r.fail(wire.ErrSessionNotFound)
		return
	}
	defer s.gets.release(h)
	off, ok1 := num(r.args[1])
	n, ok2 := num(r.args[2])
	size := h.obj.Info().Size
	if !ok1 || !ok2 || n > wire.MaxChunk2 || off > size || n > size-off {
		r.fail(fmt.Sprintf("invalid range %q+%q of a %d-octet file", r.args[1], r.args[2], size))
		return
	}
	s.bytesDown.Add(n)
	if f := fileOf(h.obj); f != nil {
		r.replyParts(zmtp.Part{Data: []byte(wire.ReplyData)}, zmtp.Part{Data: r.args[1]}, zmtp.Part{File: f, Offset: off, Len: n})
		return
	}
	r.replyParts(zmtp.Part{Data: []byte(wire.ReplyData)}, zmtp.Part{Data: r.args[1]}, zmtp.Part{Len: n, Fill: func(b []byte) error {
		if m, err := h.obj.ReadAt(b, off); int64(m) < n {
			return fmt.Errorf("read error: %v", err)
		}
		return nil
	}})
}

// getEnd drops a handle: [handle] -> [OK].
func (s *Server) getEnd(r *request) {
	if len(r.args) < 1 || !s.gets.end(string(r.args[0])) {
		r.fail(wire.ErrSessionNotFound)
		return
	}
	r.ok()
}
