package flaxfile

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
	"golang.org/x/sync/errgroup"
)

// GetFile downloads key to path. Parent directories are created; the data
// goes to a temporary file beside path that is renamed over it only when
// every octet has arrived, so path is never left half-written.
func (c *Client) GetFile(ctx context.Context, key, path string) (*Result, error) {
	return c.getFile(ctx, FileSpec{Key: key, Path: path})
}

// getFile is GetFile of a FileSpec, written beneath its Dir.
func (c *Client) getFile(ctx context.Context, f FileSpec) (*Result, error) {
	key, path := f.Key, f.Path
	if c.v2 {
		return c.download2(ctx, f)
	}
	var res *Result
	err := writeAside(dirFor(f), path, 0o666&^c.umask, time.Time{}, func(tmp *os.File) error {
		var err error
		if res, err = c.Get(ctx, key, tmp); err != nil {
			return err
		}
		return tmp.Truncate(res.Size)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Get downloads key into dst, each chunk written at its offset as it
// arrives, over several connections with a window of requests each.
func (c *Client) Get(ctx context.Context, key string, dst io.WriterAt) (*Result, error) {
	start := time.Now()
	first, err := c.get(ctx)
	if err != nil {
		return nil, err
	}
	// We ask for the chunk size we would upload with, and for it to be
	// kept. A 1.2 server answers with the size but cuts its CHUNKs at its
	// own default (compat §3) and does not confirm; then we ask again
	// without a size, so that START and CHUNK agree.
	want := c.planFor(0).chunk
	r, err := c.call(ctx, first, wire.CmdDownloadStart, []byte(key), wire.Itoa(want), []byte(wire.ExactChunks))
	if err == nil && (len(r.frames) < 5 || string(r.frames[4]) != wire.ExactChunks) {
		r.Release()
		r, err = c.call(ctx, first, wire.CmdDownloadStart, []byte(key))
	}
	if err != nil {
		c.release(first, err)
		return nil, err
	}
	size, total, chunk, err := parseDownloadStart(r.frames)
	if err == nil {
		err = c.checkSize(wire.CmdDownloadStart, size)
	}
	if err == nil && total > maxChunks12 {
		err = fmt.Errorf("%w: %s declares %d chunks of %d octets; at most %d are accepted", ErrProtocol, wire.CmdDownloadStart, total, chunk, maxChunks12)
	}
	var handle []byte // names the transfer on our other connections
	if len(r.frames) > 5 && len(r.frames[5]) <= 64 {
		handle = append(handle, r.frames[5]...)
	}
	r.Release()
	if err != nil {
		first.Close()
		return nil, err
	}
	if c.opts.Progress != nil {
		c.opts.Progress.Start(key, size)
	}
	p := c.planFor(size)
	active := int(min(int64(p.conns), max(total, 1)))
	conns := []*zmtp.Conn{first}
	if active > 1 {
		more, err := c.getN(ctx, active-1)
		if err != nil {
			c.put(first)
			return nil, err
		}
		conns = append(conns, more...)
	}
	// Writers queue on one lock rather than contend for the file's lock
	// inside the kernel, which costs far more CPU.
	lw := &lockedWriterAt{w: dst}
	dst = lw
	var sink zmtp.Sink
	if f, ok := lw.w.(*os.File); ok {
		// Plaintext chunks go from the socket to the file by splice.
		sink = &chunkSink{f: f, size: size, chunk: chunk, lock: &lw.mu}
	}
	g, gctx := errgroup.WithContext(ctx)
	clean := make([]bool, len(conns))
	for i, conn := range conns {
		if sink != nil && !conn.Encrypted() {
			conn.SetSink(sink)
		}
		g.Go(func() error {
			err := c.fetchChunks(gctx, conn, key, handle, dst, size, chunk, p.window, stripe(i, active, total))
			clean[i] = err == nil
			return err
		})
	}
	err = g.Wait()
	for _, conn := range conns {
		conn.SetSink(nil) // before another transfer can take the connection
	}
	c.putBack(conns, clean)
	if err != nil {
		return nil, err
	}
	return &Result{Key: key, Size: size, Duration: time.Since(start), Connections: active, Window: p.window, Moved: size, Protocol: "1.2"}, nil
}

// chunkSink places the data of CHUNK replies straight into the output
// file, at the chunk's offset, when its length is the expected one; other
// frames are buffered and checked as usual.
type chunkSink struct {
	f           *os.File
	size, chunk int64
	lock        sync.Locker
}

func (s *chunkSink) Place(frames [][]byte, n int64) (zmtp.Target, error) {
	if len(frames) != 3 || len(frames[0]) != 0 || string(frames[1]) != wire.ReplyChunk {
		return zmtp.Target{}, nil
	}
	id, err := wire.ParseInt(frames[2])
	if err != nil || id < 0 || id*s.chunk >= s.size || n != min(s.chunk, s.size-id*s.chunk) {
		return zmtp.Target{}, nil
	}
	return zmtp.Target{File: s.f, Offset: id * s.chunk, Lock: s.lock}, nil
}

// lockedWriterAt serialises WriteAt calls.
type lockedWriterAt struct {
	mu sync.Mutex
	w  io.WriterAt
}

func (l *lockedWriterAt) WriteAt(p []byte, off int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.WriteAt(p, off)
}

// parseDownloadStart checks the OK of DOWNLOAD_START: size, chunk count and
// chunk size, consistent with each other.
func parseDownloadStart(frames [][]byte) (size, total, chunk int64, err error) {
	if len(frames) < 4 || string(frames[0]) != wire.ReplyOK {
		return 0, 0, 0, fmt.Errorf("%w: DOWNLOAD_START answered with %d frames", ErrProtocol, len(frames))
	}
	var v [3]int64
	for i := range v {
		if v[i], err = wire.ParseInt(frames[1+i]); err != nil {
			return 0, 0, 0, fmt.Errorf("%w: DOWNLOAD_START reply: %v", ErrProtocol, err)
		}
	}
	size, total, chunk = v[0], v[1], v[2]
	if size < 0 || chunk <= 0 || total != (size+chunk-1)/chunk {
		return 0, 0, 0, fmt.Errorf("%w: DOWNLOAD_START says %d octets in %d chunks of %d", ErrProtocol, size, total, chunk)
	}
	return size, total, chunk, nil
}

// fetchChunks requests one connection's chunks with a window and writes
// each where it belongs. A CHUNK's length is checked, never trusted.
func (c *Client) fetchChunks(ctx context.Context, conn *zmtp.Conn, key string, transfer []byte, dst io.WriterAt, size, chunk int64, window int, ids []int64) error {
	cmd, keyFrame := []byte(wire.CmdDownloadChunk), []byte(key)
	send := func(id int64) error {
		if transfer != nil {
			return conn.Send(ctx, wire.Delimiter, cmd, keyFrame, wire.Itoa(id), transfer)
		}
		return conn.Send(ctx, wire.Delimiter, cmd, keyFrame, wire.Itoa(id))
	}
	handle := func(r *reply) (int64, error) {
		id, err := chunkReply(r, wire.CmdDownloadChunk, wire.ReplyChunk, 3, func(id int64) bool { return id >= 0 && id*chunk < size })
		if err != nil {
			return 0, err
		}
		off := id * chunk
		want := min(chunk, size-off)
		if r.sunk(2) { // the sink checked the length and wrote it
			if err := r.sunkErr(2); err != nil {
				return 0, fmt.Errorf("flaxfile: writing %s at %d: %w", key, off, err)
			}
			if c.opts.Progress != nil {
				c.opts.Progress.Transferred(key, want)
			}
			return id, nil
		}
		data := r.frames[2]
		if int64(len(data)) != want {
			return 0, fmt.Errorf("%w: chunk %d has %d octets, want %d", ErrIncomplete, id, len(data), want)
		}
		if _, err := dst.WriteAt(data, off); err != nil {
			return 0, err
		}
		if c.opts.Progress != nil {
			c.opts.Progress.Transferred(key, want)
		}
		return id, nil
	}
	return c.windowed(ctx, conn, newQueue(ids), window, send, handle)
}
