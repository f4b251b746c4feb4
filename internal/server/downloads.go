package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// maxDownloadChunk bounds the chunk size a client may ask DOWNLOAD_START
// for, so that a reply stays within the message limits of both sides.
const maxDownloadChunk = 32 << 20

// downloadTable remembers the version a DOWNLOAD_START opened and the
// chunk size it agreed, for the chunk requests of that transfer: per
// connection (the connection that sent the START, for a key) and, when the
// client asked for exact chunks, under a handle that the reply names and
// the client's chunk requests on its other connections repeat. Nothing is
// tied to a client's address, which other clients may share. A chunk
// request that names neither reads the current version in the server's
// default chunk size, as 1.2 does, and a START without exact chunks
// answers that size so that both agree.
type downloadTable struct {
	st store.Store

	mu       sync.Mutex
	byConn   map[connKey]*download
	byHandle map[string]*download
	perConn  map[*zmtp.Conn]int // entries of each connection
}

type connKey struct {
	c   *zmtp.Conn
	key string
}

// maxDownloadsPerConn bounds the transfers one connection keeps open; the
// oldest gives way.
const maxDownloadsPerConn = 16

// download is an open version shared by the chunk requests of one
// transfer. refs, stale and last are guarded by downloadTable.mu.
type download struct {
	obj    store.Object
	chunk  int64
	from   connKey
	handle string // "" unless exact chunks were asked for
	refs   int
	stale  bool // forgotten; closed when refs reaches 0
	last   time.Time
}

func newDownloadTable(st store.Store) *downloadTable {
	return &downloadTable{st: st, byConn: map[connKey]*download{}, byHandle: map[string]*download{}, perConn: map[*zmtp.Conn]int{}}
}

// start opens key for a new transfer from c and records it, under a
// handle too when exact is set.
func (t *downloadTable) start(ctx context.Context, c *zmtp.Conn, key string, chunk int64, exact bool) (*download, error) {
	obj, err := t.st.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	if chunk <= 0 || !exact {
		chunk = wire.ServerChunkSize(obj.Info().Size)
	}
	k := connKey{c, key}
	d := &download{obj: obj, chunk: chunk, from: k, last: time.Now()}
	if exact {
		d.handle = newHandleID()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.byConn[k]; old != nil {
		t.forget(old)
	}
	if t.perConn[c] >= maxDownloadsPerConn {
		var oldest *download
		for k2, o := range t.byConn {
			if k2.c == c && (oldest == nil || o.last.Before(oldest.last)) {
				oldest = o
			}
		}
		t.forget(oldest)
	}
	t.byConn[k] = d
	t.perConn[c]++
	if d.handle != "" {
		t.byHandle[d.handle] = d
	}
	return d, nil
}

// forget drops d from the table and closes it once nobody reads from it.
// Called with t.mu held.
func (t *downloadTable) forget(d *download) {
	if t.byConn[d.from] == d {
		delete(t.byConn, d.from)
		if t.perConn[d.from.c]--; t.perConn[d.from.c] <= 0 {
			delete(t.perConn, d.from.c)
		}
	}
	if d.handle != "" {
		delete(t.byHandle, d.handle)
	}
	d.stale = true
	if d.refs == 0 {
		d.obj.Close()
	}
}

// acquire returns the transfer that a chunk request of key on c belongs
// to: the one named by handle (if not empty), else the one c started;
// with neither, it opens the current version with the default chunk
// size, as a stateless 1.2 server would.
func (t *downloadTable) acquire(ctx context.Context, c *zmtp.Conn, key, handle string) (*download, error) {
	t.mu.Lock()
	d := t.byConn[connKey{c, key}]
	if handle != "" {
		d = t.byHandle[handle]
		if d == nil || d.from.key != key {
			t.mu.Unlock()
			return nil, errDownloadGone
		}
	}
	if d != nil {
		d.refs++
		d.last = time.Now()
		t.mu.Unlock()
		return d, nil
	}
	t.mu.Unlock()
	obj, err := t.st.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return &download{obj: obj, chunk: wire.ServerChunkSize(obj.Info().Size), refs: 1, stale: true}, nil
}

// errDownloadGone answers a chunk request whose handle has expired or
// names another key.
var errDownloadGone = errors.New("download not found: start it again")

func (t *downloadTable) release(d *download) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d.refs--
	if d.stale && d.refs == 0 {
		d.obj.Close()
	}
}

// leave forgets the transfers that c started but for their handles,
// which other connections may still use until they expire.
func (t *downloadTable) leave(c *zmtp.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, d := range t.byConn {
		if k.c == c {
			if d.handle != "" {
				delete(t.byConn, k) // kept under its handle
				continue
			}
			t.forget(d)
		}
	}
	delete(t.perConn, c)
}

// expire closes transfers unused for longer than idle.
func (t *downloadTable) expire(now time.Time, idle time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range t.byConn {
		if now.Sub(d.last) > idle {
			t.forget(d)
		}
	}
	for _, d := range t.byHandle {
		if now.Sub(d.last) > idle {
			t.forget(d)
		}
	}
}

func (t *downloadTable) closeAll() { t.expire(time.Now().Add(1000*time.Hour), 0) }

// downloadError is the ERROR text for a key that cannot be downloaded; a
// directory is "Not a file" (1.2 answered OK and failed on every chunk).
func downloadError(key string, err error) string {
	if errors.Is(err, store.ErrIsDir) {
		return "Not a file"
	}
	return pyError(key, err)
}

// downloadStart answers DOWNLOAD_START_CONCURRENT with the size, the chunk
// count and the chunk size, which every CHUNK of this transfer then uses.
func (s *Server) downloadStart(r *request) {
	key, ok := r.key(1, wire.ErrMissingFileKey)
	if !ok {
		return
	}
	var chunk int64
	if len(r.args) > 1 {
		if n, err := wire.ParseInt(r.args[1]); err == nil && n > 0 {
			chunk = min(n, maxDownloadChunk)
		}
	}
	exact := chunk > 0 && len(r.args) > 2 && string(r.args[2]) == wire.ExactChunks
	d, err := s.downloads.start(r.ctx, r.c, key, chunk, exact)
	if err != nil {
		r.fail(downloadError(key, err))
		return
	}
	size := d.obj.Info().Size
	total := (size + d.chunk - 1) / d.chunk
	s.downloadsDone.Add(1)
	r.log.Info("download started", "key", key, "size", size, "chunk", d.chunk)
	if exact {
		r.ok(wire.Itoa(size), wire.Itoa(total), wire.Itoa(d.chunk), []byte(wire.ExactChunks), []byte(d.handle))
		return
	}
	r.ok(wire.Itoa(size), wire.Itoa(total), wire.Itoa(d.chunk))
}

// downloadChunk answers DOWNLOAD_CHUNK_CONCURRENT from the version the
// transfer opened. On a plaintext connection the data goes from the page
// cache to the socket with sendfile; on an encrypted one the connection's
// writer seals it in buffers taken from the memory budget. A handler holds
// no budget while it sends, so handlers and writers cannot wait on each
// other.
func (s *Server) downloadChunk(r *request) {
	key, ok := r.key(2, wire.ErrMissingArguments)
	if !ok {
		return
	}
	id, err := wire.ParseInt(r.args[1])
	if err != nil {
		r.fail(err.Error())
		return
	}
	var handle string
	if len(r.args) > 2 {
		handle = string(r.args[2])
	}
	d, err := s.downloads.acquire(r.ctx, r.c, key, handle)
	if err != nil {
		r.fail(downloadError(key, err))
		return
	}
	defer s.downloads.release(d)
	if id < 0 {
		r.fail("[Errno 22] Invalid argument")
		return
	}
	size := d.obj.Info().Size
	off := min(id*d.chunk, size)
	if id > size/d.chunk+1 {
		off = size // also guards id*chunk against overflow
	}
	n := min(d.chunk, size-off)
	idFrame := wire.Itoa(id)
	s.bytesDown.Add(n)
	if f := fileOf(d.obj); f != nil {
		r.replyParts(zmtp.Part{Data: []byte(wire.ReplyChunk)}, zmtp.Part{Data: idFrame}, zmtp.Part{File: f, Offset: off, Len: n})
		return
	}
	buf := s.pool.Get(int(n))
	defer s.pool.Put(buf)
	if m, err := d.obj.ReadAt(buf, off); int64(m) < n {
		r.fail(fmt.Sprintf("read error: %v", err))
		return
	}
	r.reply([]byte(wire.ReplyChunk), idFrame, buf)
}

// fileOf returns the file o is kept in, for a zero-copy send, or nil.
func fileOf(o store.Object) *os.File {
	if f, ok := o.(store.Filer); ok {
		return f.File()
	}
	return nil
}
