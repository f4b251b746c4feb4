package server

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// maxDownloadChunk bounds the chunk size a client may ask DOWNLOAD_START
// for, so that a reply stays within the message limits of both sides.
const maxDownloadChunk = 32 << 20

// downloadTable remembers, per client host and key, the version that the
// last DOWNLOAD_START opened and the chunk size it agreed. 1.2 clients send
// DOWNLOAD_START on one socket and the chunk requests on several, with no
// session id, so the client's host is what ties them together.
type downloadTable struct {
	st store.Store

	mu      sync.Mutex
	entries map[dlKey]*download
}

type dlKey struct{ host, key string }

// download is an open version shared by the chunk requests of one
// transfer. refs and stale are guarded by downloadTable.mu.
type download struct {
	obj   store.Object
	chunk int64
	refs  int
	stale bool // replaced by a newer START; closed when refs reaches 0
	last  time.Time
}

func newDownloadTable(st store.Store) *downloadTable {
	return &downloadTable{st: st, entries: map[dlKey]*download{}}
}

func hostOf(c *zmtp.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return c.RemoteAddr().String()
}

// start opens key for a new transfer and records it.
func (t *downloadTable) start(host, key string, chunk int64) (*download, error) {
	obj, err := t.st.Open(key)
	if err != nil {
		return nil, err
	}
	if chunk <= 0 {
		chunk = wire.ServerChunkSize(obj.Info().Size)
	}
	d := &download{obj: obj, chunk: chunk, last: time.Now()}
	t.mu.Lock()
	defer t.mu.Unlock()
	k := dlKey{host, key}
	if old := t.entries[k]; old != nil {
		t.retire(old)
	}
	t.entries[k] = d
	return d, nil
}

// retire closes d once nobody reads from it. Called with t.mu held.
func (t *downloadTable) retire(d *download) {
	d.stale = true
	if d.refs == 0 {
		d.obj.Close()
	}
}

// acquire returns the transfer for host and key, or opens the current
// version with the default chunk size, as a stateless 1.2 server would.
func (t *downloadTable) acquire(host, key string) (*download, error) {
	t.mu.Lock()
	if d := t.entries[dlKey{host, key}]; d != nil {
		d.refs++
		d.last = time.Now()
		t.mu.Unlock()
		return d, nil
	}
	t.mu.Unlock()
	obj, err := t.st.Open(key)
	if err != nil {
		return nil, err
	}
	return &download{obj: obj, chunk: wire.ServerChunkSize(obj.Info().Size), refs: 1, stale: true}, nil
}

func (t *downloadTable) release(d *download) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d.refs--
	if d.stale && d.refs == 0 {
		d.obj.Close()
	}
}

// expire closes transfers unused for longer than idle.
func (t *downloadTable) expire(now time.Time, idle time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, d := range t.entries {
		if now.Sub(d.last) > idle {
			delete(t.entries, k)
			t.retire(d)
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
	d, err := s.downloads.start(hostOf(r.c), key, chunk)
	if err != nil {
		r.fail(downloadError(key, err))
		return
	}
	size := d.obj.Info().Size
	total := (size + d.chunk - 1) / d.chunk
	s.downloadsDone.Add(1)
	r.log.Info("download started", "key", key, "size", size, "chunk", d.chunk)
	if chunk > 0 && len(r.args) > 2 && string(r.args[2]) == wire.ExactChunks {
		r.ok(wire.Itoa(size), wire.Itoa(total), wire.Itoa(d.chunk), []byte(wire.ExactChunks))
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
	d, err := s.downloads.acquire(hostOf(r.c), key)
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
	if f := d.obj.File(); f != nil {
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
