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

// get12 is Get with 1.2's commands: DOWNLOAD_START on one connection,
// then the chunks striped over several with a window each, a chunk
// spliced into the file when it arrives in the clear at the length it
// should have.
func (c *Client) get12(ctx context.Context, key string, dst io.WriterAt) (*Result, error) {
	start := time.Now()
	pool := c.pool() // the connections go back where they came from
	first, err := pool.take(ctx)
	if err != nil {
		return nil, err
	}
	// We ask for the chunk size we would upload with, and for it to be
	// kept. A 1.2 server answers with the size but cuts its CHUNKs at its
	// own default (compat §3) and does not confirm; then we ask again
	// without a size, so that START and CHUNK agree.
	want := c.sizing12(0).chunk
	r, err := c.call(ctx, first, wire.DownloadStart{Key: key, Chunk: want, Exact: true})
	var st wire.DownloadStartReply
	if err == nil {
		st, err = parseDownloadStart(r.frames)
		r.Release()
		if err == nil && !st.Exact {
			r, err = c.call(ctx, first, wire.DownloadStart{Key: key})
			if err == nil {
				st, err = parseDownloadStart(r.frames)
				r.Release()
			}
		}
	} else {
		pool.settle(first, err)
		return nil, err
	}
	size, total, chunk := st.Size, st.Chunks, st.Chunk
	if err == nil {
		err = c.checkSize(wire.CmdDownloadStart, size)
	}
	if err == nil && total > maxChunks12 {
		err = fmt.Errorf("%w: %s declares %d chunks of %d octets; at most %d are accepted", ErrProtocol, wire.CmdDownloadStart, total, chunk, maxChunks12)
	}
	handle := st.Handle // names the transfer on our other connections
	if err != nil {
		first.Close()
		return nil, err
	}
	if c.opts.Progress != nil {
		c.opts.Progress.Start(key, size)
	}
	p := c.sizing12(size)
	active := int(min(int64(p.conns), max(total, 1)))
	conns := []*zmtp.Conn{first}
	if active > 1 {
		more, err := pool.takeN(ctx, active-1)
		if err != nil {
			pool.give(first)
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
	pool.giveAll(conns, clean)
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
	id, ok := wire.DataHead(frames, wire.ReplyChunk)
	if !ok || id < 0 || id*s.chunk >= s.size || n != min(s.chunk, s.size-id*s.chunk) {
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
func parseDownloadStart(frames [][]byte) (wire.DownloadStartReply, error) {
	m, err := wire.ParseDownloadStartReply(frames)
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if m.Size < 0 || m.Chunk <= 0 || m.Chunks != (m.Size+m.Chunk-1)/m.Chunk {
		return m, fmt.Errorf("%w: DOWNLOAD_START says %d octets in %d chunks of %d", ErrProtocol, m.Size, m.Chunks, m.Chunk)
	}
	return m, nil
}

// fetchChunks requests one connection's chunks with a window and writes
// each where it belongs. A CHUNK's length is checked, never trusted.
func (c *Client) fetchChunks(ctx context.Context, conn *zmtp.Conn, key, transfer string, dst io.WriterAt, size, chunk int64, window int, ids []int64) error {
	send := func(id int64) error {
		if err := c.pace.Wait(ctx, min(chunk, size-id*chunk)); err != nil {
			return err
		}
		return conn.Send(ctx, wire.RequestFrames(wire.DownloadChunk{Key: key, ID: id, Handle: transfer})...)
	}
	handle := func(r *reply) (int64, error) {
		m, err := chunkReply(r, wire.CmdDownloadChunk, wire.ReplyChunk, func(id int64) bool { return id >= 0 && id*chunk < size })
		if err != nil {
			return 0, err
		}
		id := m.N
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
		data := m.Data
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
