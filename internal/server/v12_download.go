package server

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	st      store.Store
	handles *table[*download] // every transfer, by handle

	mu     sync.Mutex
	byConn map[*zmtp.Conn]map[string]*entry[*download] // the transfers a connection started, by key
}

// maxDownloadsPerConn bounds the transfers one connection keeps open; the
// oldest gives way.
const maxDownloadsPerConn = 16

// download is an open version shared by the chunk requests of one
// transfer.
type download struct {
	obj   store.Object
	chunk int64
	key   string
	exact bool // the client names it by handle
}

func newDownloadTable(st store.Store) *downloadTable {
	return &downloadTable{st: st, handles: newTable(func(d *download) { d.obj.Close() }), byConn: map[*zmtp.Conn]map[string]*entry[*download]{}}
}

// start opens key for a new transfer from c and records it; the reply
// names its handle when exact is set.
func (t *downloadTable) start(ctx context.Context, c *zmtp.Conn, key string, chunk int64, exact bool) (*entry[*download], error) {
	obj, err := t.st.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	if chunk <= 0 || !exact {
		chunk = wire.ServerChunkSize(obj.Info().Size)
	}
	e := t.handles.add(newHandleID(), &download{obj: obj, chunk: chunk, key: key, exact: exact}, 0)
	t.mu.Lock()
	defer t.mu.Unlock()
	mine := t.byConn[c]
	if mine == nil {
		mine = map[string]*entry[*download]{}
		t.byConn[c] = mine
	}
	if old := mine[key]; old != nil {
		t.handles.end(old)
	}
	if len(mine) >= maxDownloadsPerConn {
		var oldest *entry[*download]
		for _, o := range mine {
			if oldest == nil || t.handles.lastUsed(o).Before(t.handles.lastUsed(oldest)) {
				oldest = o
			}
		}
		delete(mine, oldest.v.key)
		t.handles.end(oldest)
	}
	mine[key] = e
	return e, nil
}

// acquire returns the transfer that a chunk request of key on c belongs
// to, with a reference taken: the one named by handle (if not empty),
// else the one c started; with neither, it opens the current version with
// the default chunk size, as a stateless 1.2 server would.
func (t *downloadTable) acquire(ctx context.Context, c *zmtp.Conn, key, handle string) (*entry[*download], error) {
	if handle != "" {
		e := t.handles.acquire(handle, false)
		if e == nil || !e.v.exact || e.v.key != key {
			if e != nil {
				t.handles.release(e)
			}
			return nil, errDownloadGone
		}
		return e, nil
	}
	t.mu.Lock()
	e := t.byConn[c][key]
	t.mu.Unlock()
	if e != nil {
		if e = t.handles.acquire(e.id, false); e != nil {
			return e, nil
		}
	}
	obj, err := t.st.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	e = &entry[*download]{v: &download{obj: obj, chunk: wire.ServerChunkSize(obj.Info().Size), key: key}, refs: 1, ended: true}
	return e, nil
}

// errDownloadGone answers a chunk request whose handle has expired or
// names another key.
var errDownloadGone = errors.New("download not found: start it again")

// release gives back what acquire took.
func (t *downloadTable) release(e *entry[*download]) { t.handles.release(e) }

// leave ends the transfers that c started but for those named by handle,
// which other connections may still use until they expire.
func (t *downloadTable) leave(c *zmtp.Conn) {
	t.mu.Lock()
	mine := t.byConn[c]
	delete(t.byConn, c)
	t.mu.Unlock()
	for _, e := range mine {
		if !e.v.exact {
			t.handles.end(e)
		}
	}
}

// expire ends transfers unused for longer than idle.
func (t *downloadTable) expire(now time.Time, idle time.Duration) {
	t.handles.expire(now, idle, nil)
	t.mu.Lock()
	defer t.mu.Unlock()
	for c, mine := range t.byConn {
		for k, e := range mine {
			if _, ok := t.handles.lookup(e.id); !ok {
				delete(mine, k)
			}
		}
		if len(mine) == 0 {
			delete(t.byConn, c)
		}
	}
}

// closeAll ends every transfer, at shutdown.
func (t *downloadTable) closeAll() { t.handles.endAll() }

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
	m, err := wire.ParseDownloadStart(r.args)
	key, ok := r.fileKey(m.Key, err)
	if !ok {
		return
	}
	d, err := s.downloads.start(r.ctx, r.c, key, min(m.Chunk, maxDownloadChunk), m.Exact)
	if err != nil {
		r.fail(downloadError(key, err))
		return
	}
	size := d.v.obj.Info().Size
	total := (size + d.v.chunk - 1) / d.v.chunk
	s.downloadsDone.Add(1)
	// 1.2 has no end to a download: it counts as ended when it starts.
	s.obs.TransferStarted("1.2", dirDown)
	s.obs.TransferEnded("1.2", dirDown, "ok", 0)
	s.access(r, r.cmd, key, size, 0, "started") // 1.2 says no more
	r.log.Info("download started", "key", key, "size", size, "chunk", d.v.chunk)
	rep := wire.DownloadStartReply{Size: size, Chunks: total, Chunk: d.v.chunk, Exact: m.Exact}
	if m.Exact {
		rep.Handle = d.id
	}
	r.reply(rep.Frames()...)
}

// downloadChunk answers DOWNLOAD_CHUNK_CONCURRENT from the version the
// transfer opened. On a plaintext connection the data goes from the page
// cache to the socket with sendfile; on an encrypted one the connection's
// writer seals it in buffers taken from the memory budget. A handler holds
// no budget while it sends, so handlers and writers cannot wait on each
// other.
func (s *Server) downloadChunk(r *request) {
	m, err := wire.ParseDownloadChunk(r.args)
	key, ok := r.fileKey(m.Key, err)
	if !ok {
		return
	}
	if err := m.ParseID(); err != nil {
		r.fail(err.Error())
		return
	}
	id := m.ID
	d, err := s.downloads.acquire(r.ctx, r.c, key, m.Handle)
	if err != nil {
		r.fail(downloadError(key, err))
		return
	}
	defer s.downloads.release(d)
	if id < 0 {
		r.fail("[Errno 22] Invalid argument")
		return
	}
	size := d.v.obj.Info().Size
	off := min(id*d.v.chunk, size)
	if id > size/d.v.chunk+1 {
		off = size // also guards id*chunk against overflow
	}
	n := min(d.v.chunk, size-off)
	if !s.wait(r, n) {
		return
	}
	s.bytesDown.Add(n)
	if f := fileOf(d.v.obj); f != nil {
		r.replyParts(wire.Numbered{Status: wire.ReplyChunk, N: id}.Parts(zmtp.Part{File: f, Offset: off, Len: n})...)
		return
	}
	buf, release, err := s.readRange(r, d.v.obj, off, n)
	if err != nil {
		r.fail(err.Error())
		return
	}
	defer release()
	r.reply(wire.Numbered{Status: wire.ReplyChunk, N: id, Data: buf}.Frames()...)
}

// readRange reads n octets of o at off into a buffer taken from the
// memory budget (waiting for room, as received chunks do), for a store
// whose objects are not files to send from: an object store's ranges
// pass through the server's memory, and many at once must not exceed
// it (two at most a connection, rangeToken). release gives the buffer
// back once the reply is sent.
func (s *Server) readRange(r *request, o io.ReaderAt, off, n int64) ([]byte, func(), error) {
	done, ok := r.rangeToken()
	if !ok {
		return nil, nil, errors.New("server shutting down")
	}
	buf, free, err := s.buffer(r, n)
	if err != nil {
		done()
		return nil, nil, err
	}
	release := func() { free(); done() }
	if k, err := o.ReadAt(buf, off); int64(k) < n {
		release()
		return nil, nil, fmt.Errorf("read error: %v", err)
	}
	return buf, release, nil
}

// fileOf returns the file o is kept in, for a zero-copy send, or nil.
func fileOf(o store.Object) *os.File {
	if f, ok := o.(store.Filer); ok {
		return f.File()
	}
	return nil
}
