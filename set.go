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

// Result describes a finished transfer.
type Result struct {
	// Key and Size of the file.
	Key  string
	Size int64
	// Duration of the transfer, connections included.
	Duration time.Duration
	// Connections and Window used.
	Connections, Window int
	// Checksum of what the server stored: "xxh3-128-blocks:HEX", the file
	// hash both ends computed (FlaxFile 2, and the 1.2 commands with a
	// FlaxFile for Go server when chunks are whole 4 MiB blocks), else
	// "xxh3-128:HEX" when a FlaxFile for Go server verified it against
	// ours, or "sha256:HEX" as a 1.2 server reports it.
	Checksum string
	// Moved is the payload octets that travelled in this call: less than
	// Size when a transfer resumed.
	Moved int64
	// Protocol is the protocol used: "2" or "1.2".
	Protocol string
}

// SetFile uploads the file at path under key.
func (c *Client) SetFile(ctx context.Context, key, path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("flaxfile: %s is not a regular file", path)
	}
	switch {
	case c.v2 && fi.Size() <= wire.MaxSmallFile:
		return c.setSmall(ctx, key, path, fi.Size())
	case c.v2:
		return c.upload2(ctx, key, f, f, fi.Size(), fi.ModTime(), fi.Mode())
	}
	return c.Set(ctx, key, f, fi.Size())
}

// setSmall uploads a file of at most wire.MaxSmallFile octets with one
// PUT_SMALL: checked by hash and published in one round trip, where PUT,
// PUT_CHUNK and PUT_END take three (on a long link most of the time a
// small file takes).
func (c *Client) setSmall(ctx context.Context, key, path string, size int64) (*Result, error) {
	if c.opts.Progress != nil {
		c.opts.Progress.Start(key, size)
	}
	var res *Result
	var rerr error
	err := c.putBatch(ctx, []FileSpec{{Key: key, Path: path}}, func(_ FileSpec, r *Result, err error) { res, rerr = r, err })
	switch {
	case err != nil:
		return nil, err
	case rerr != nil:
		return nil, fmt.Errorf("flaxfile: %s: %w", key, rerr)
	case res == nil:
		return nil, fmt.Errorf("%w: no result for %s", ErrProtocol, key)
	}
	return res, nil
}

// Set uploads size octets from src under key. The server publishes the
// file only once every octet has arrived; an error leaves whatever was
// there before. When src is an *os.File, plaintext connections send it
// with sendfile.
func (c *Client) Set(ctx context.Context, key string, src io.ReaderAt, size int64) (*Result, error) {
	if c.v2 {
		file, _ := src.(*os.File)
		return c.upload2(ctx, key, src, file, size, time.Time{}, 0)
	}
	start := time.Now()
	p := c.planFor(size)
	total := (size + p.chunk - 1) / p.chunk
	active := int(min(int64(p.conns), max(total, 1)))
	conns, err := c.getN(ctx, active)
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
	c.putBack(conns, clean)
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
func (c *Client) sendChunks(ctx context.Context, conn *zmtp.Conn, key string, src io.ReaderAt, file *os.File, size int64, p plan, ids []int64, oh uploadHash) error {
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
