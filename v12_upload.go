package flaxfile

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
	"golang.org/x/sync/errgroup"
)

// set12 is Set with 1.2's commands: a session joined by several
// connections, chunks striped over them with a window each, UPLOAD_END
// from every one, and our own hash of the file with it so that the
// server publishes only what we read.
func (c *Client) set12(ctx context.Context, key string, src io.ReaderAt, size int64) (*Result, error) {
	start := time.Now()
	p := c.sizing12(size)
	total := (size + p.chunk - 1) / p.chunk
	active := int(min(int64(p.conns), max(total, 1)))
	pool := c.pool() // the connections go back where they came from
	conns, err := pool.takeN(ctx, active)
	if err != nil {
		return nil, err
	}
	sid := newSessionID()
	file, _ := src.(*os.File)
	if c.opts.Progress != nil {
		c.opts.Progress.Start(key, size)
	}
	// Our own hash of the file, computed while it is sent, goes with
	// UPLOAD_END so that the server publishes only what we read: by
	// blocks, from the buffers sent, when chunks are whole blocks; else
	// XXH3-128 in file order, reading back what was sent out of turn.
	sendfile := file != nil && !conns[0].Encrypted()
	var oh uploadHash
	hashName := wire.HashXXH3128
	if p.chunk%digest.BlockSize == 0 || size <= p.chunk {
		hashName = wire.HashBlocks
		var f *os.File
		if sendfile {
			f = file
		}
		oh = newBlockHash(size, p.chunk, f)
	} else {
		oh = newOrderedHash(src, size, p.chunk, sendfile)
	}
	defer oh.close()

	g, gctx := errgroup.WithContext(ctx)
	var started sync.WaitGroup
	started.Add(active)
	allStarted := make(chan struct{})
	go func() { started.Wait(); close(allStarted) }()
	results := make([]*wire.UploadResult, active)
	clean := make([]bool, active)
	for i, conn := range conns {
		g.Go(func() error {
			r, err := c.call(gctx, conn, wire.UploadStart{Session: sid, Key: key, Size: size, Window: int64(p.window), Hash: hashName})
			if err != nil {
				return err
			}
			ok := r.cmd() == wire.ReplyOK
			r.Release()
			if !ok {
				return fmt.Errorf("%w: UPLOAD_START answered %q", ErrProtocol, r.cmd())
			}
			// A real barrier (1.2 sleeps 100 ms): no connection sends data,
			// and so none can END, before every member has joined.
			started.Done()
			select {
			case <-allStarted:
			case <-gctx.Done():
				return gctx.Err()
			}
			if err := c.sendChunks(gctx, conn, key, src, file, size, p, stripe(i, active, total), oh); err != nil {
				return err
			}
			sum, err := oh.sum(gctx)
			if err != nil {
				return err
			}
			r, err = c.call(gctx, conn, wire.UploadEnd{Sum: sum})
			if err != nil {
				return err
			}
			defer r.Release()
			clean[i] = true
			end, err := wire.ParseUploadEndReply(r.frames)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrProtocol, err)
			}
			res := end.Result
			if res.FileKey != "" {
				results[i] = &res
			}
			return nil
		})
	}
	err = g.Wait()
	pool.giveAll(conns, clean)
	if err != nil {
		return nil, err
	}
	var final *wire.UploadResult
	for _, r := range results {
		if r != nil {
			final = r
		}
	}
	if final == nil {
		return nil, fmt.Errorf("%w: no connection got the final UPLOAD_END reply", ErrProtocol)
	}
	if final.Size != size {
		return nil, fmt.Errorf("%w: the server stored %d of %d octets of %s", ErrIncomplete, final.Size, size, key)
	}
	res := &Result{Key: key, Size: size, Duration: time.Since(start), Connections: active, Window: p.window, Moved: size, Protocol: "1.2"}
	localSum, err := oh.sum(ctx) // done already: every connection sent it
	if err != nil {
		return nil, err
	}
	switch {
	case final.Blocks != "":
		if final.Blocks != localSum {
			return nil, fmt.Errorf("%w: %s: the server stored %s %s, we sent %s", ErrChecksum, key, wire.HashBlocks, final.Blocks, localSum)
		}
		res.Checksum = "xxh3-128-blocks:" + final.Blocks
	case final.XXH3128 != "":
		if final.XXH3128 != localSum {
			return nil, fmt.Errorf("%w: %s: the server stored XXH3-128 %s, we sent %s", ErrChecksum, key, final.XXH3128, localSum)
		}
		res.Checksum = "xxh3-128:" + final.XXH3128
	case final.SHA256 != "":
		res.Checksum = "sha256:" + final.SHA256
	}
	return res, nil
}

// sendChunks sends one connection's chunks with a window and waits for
// every ACK.
// On a plaintext connection a file goes by sendfile (and is hashed by
// reading it, eagerly); otherwise each chunk is read straight into the
// buffer it is sent or sealed from and hashed there when its turn has
// come.
func (c *Client) sendChunks(ctx context.Context, conn *zmtp.Conn, key string, src io.ReaderAt, file *os.File, size int64, p sizing, ids []int64, oh uploadHash) error {
	chunkLen := func(id int64) int64 { return min(p.chunk, size-id*p.chunk) }
	send := func(id int64) error {
		off, n := id*p.chunk, chunkLen(id)
		data := zmtp.Part{File: file, Offset: off, Len: n}
		if file == nil || conn.Encrypted() {
			data = zmtp.Part{Len: n, Fill: func(b []byte) error {
				if m, err := src.ReadAt(b, off); int64(m) < n {
					return fmt.Errorf("flaxfile: reading %s at %d: %w", key, off, err)
				}
				oh.inline(id, b)
				return nil
			}}
		}
		if err := c.pace.Wait(ctx, n); err != nil {
			return err
		}
		if err := conn.SendParts(ctx, wire.UploadChunk{ID: id}.Parts(data)); err != nil {
			return err
		}
		return nil
	}
	handle := func(r *reply) (int64, error) {
		// Any id is passed on: the window knows which it is waiting for.
		m, err := chunkReply(r, wire.CmdUploadChunk, wire.ReplyAck, func(int64) bool { return true })
		if err != nil {
			return 0, err
		}
		id := m.N
		if id >= 0 && id*p.chunk < size && c.opts.Progress != nil {
			c.opts.Progress.Transferred(key, chunkLen(id))
		}
		return id, nil
	}
	return c.windowed(ctx, conn, newQueue(ids), p.window, send, handle)
}

// newSessionID returns a random UUID in text form, as 1.2's uuid4.
func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
