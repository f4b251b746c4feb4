package flaxfile

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flaxfile/flaxfile/internal/cdc"
	"github.com/flaxfile/flaxfile/internal/compress"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
	"github.com/zeebo/xxh3"
)

// sizing2 sizes a FlaxFile 2 transfer from the measured round trip: on a
// short one a few connections keep both cores busy; on a long one more
// connections keep the link full, each TCP connection holding only so
// much in flight. Chunks stay at 4 MiB either way: each is read whole into
// memory whose total is bounded (Options.MemoryLimit, the server's
// --memory-limit), so larger ones would leave fewer connections moving
// (measured through bench/linkproxy: 16 MiB chunks gave 0.7 of what 4 MiB
// ones give). An upload keeps twice the window of a download: its ACKs
// wait for the server to hash and write each chunk (measured on loopback:
// 8 against 4 gives about a tenth more; downloads gain nothing). A
// plaintext upload also takes 16 connections on a short link: measured on
// loopback, the client's sendfiles cost a third less CPU spread over 16
// than over 4 (0.6 against 0.9 CPU-s per GiB) and the set takes a tenth
// less time; downloads and encrypted uploads do best with 4. Options
// override each part; a chunk is rounded up to whole blocks.
func (c *Client) sizing2(size int64, upload bool) sizing {
	p := sizing{conns: 4, window: 4, chunk: digest.BlockSize}
	if upload {
		p.window = 8
		if c.cipher == "" { // plaintext
			p.conns = 16
		}
	}
	// The shortest round trip seen, so that a loaded machine does not
	// pass for a long link.
	if c.longLink() {
		p.conns = 16
	}
	if c.opts.Connections > 0 {
		p.conns = c.opts.Connections
	}
	if c.opts.Window > 0 {
		p.window = c.opts.Window
	}
	if c.partChunk > 0 && !c.useDelta(size) {
		// The store's parts (FeaturePartChunk): an upload's chunks go
		// straight into parts, a download's ranges read whole ones. A
		// delta transfer keeps block-sized chunks, which build and patch
		// work on. The window keeps the octets in flight a block-sized
		// window would: a store slower than the link holds replies back.
		if c.opts.Window == 0 {
			p.window = max(1, p.window*digest.BlockSize/int(c.partChunk))
		}
		p.chunk = c.partChunk
		if !c.longLink() && c.opts.Connections == 0 {
			// The store, not the link, sets the pace: more connections
			// only queue more chunks for the server's memory, where a
			// connection may then wait its turn past the reply timeout.
			p.conns = min(p.conns, 4)
		}
		if !upload {
			p = c.storeRanges(p)
		}
	}
	if c.opts.ChunkSize > 0 {
		p.chunk = min(wire.MaxChunk2, (c.opts.ChunkSize+digest.BlockSize-1)/digest.BlockSize*digest.BlockSize)
	}
	total := max((size+p.chunk-1)/p.chunk, 1)
	p.conns = int(min(int64(p.conns), total))
	return p
}

// storeRanges sizes a download from a server whose store has parts (an
// object store). Each range the server asks its store for costs the store
// about as much as moving 2 MiB, and the server reads ranges asked in
// order from one long response of the store's: so the largest chunks a
// server takes, two in flight on each of two connections (or one per
// server the download spreads over), which keep the ranges in order.
// Measured on SeaweedFS (1 GiB): the store's CPU 1.0-1.1 s against 1.4-1.5
// s with four connections of two 8 MiB chunks.
func (c *Client) storeRanges(p sizing) sizing {
	p.chunk = wire.MaxChunk2
	if c.opts.Window == 0 {
		p.window = 2
	}
	if c.opts.Connections == 0 && !c.longLink() {
		p.conns = min(4, max(2, len(c.spreadPeers())))
	}
	return p
}

// onGrid accepts the offsets of chunks of a file of size octets.
func onGrid(size, chunk int64) func(int64) bool {
	return func(off int64) bool { return off >= 0 && off < size && off%chunk == 0 }
}

// uploadID names an upload so that running it again finds its partial
// file: the same key, size, time and mode give the same id (not the chunk
// size, which follows the link and may differ from run to run).
// Blocks are checked by hash on resume, so two sources that share an id
// still never mix.
func uploadID(key string, size int64, mtime time.Time, mode os.FileMode) string {
	h := xxh3.New()
	fmt.Fprintf(h, "flaxfile-put\x00%s\x00%d\x00%d\x00%o", key, size, mtime.UnixNano(), mode.Perm())
	s := h.Sum128().Bytes()
	return hex.EncodeToString(s[:])
}

// upload2 uploads with FlaxFile 2: only the chunks the server does not hold
// already (checked by hash) are sent, each with its block hashes, which
// the server checks before it counts them; PUT_END publishes the file
// only if the file hash of all blocks is ours.
func (c *Client) upload2(ctx context.Context, key string, src io.ReaderAt, file *os.File, size int64, mtime time.Time, mode os.FileMode) (*Result, error) {
	start := time.Now()
	u := &upload{c: c, key: key, src: src, file: file, size: size, mode: mode, p: c.sizing2(size, true),
		id: uploadID(key, size, mtime, mode), z: c.newSqueezer(src, size)}
	c.pool().predial(ctx, u.predialN()) // handshakes during PUT's round trip
	if !mtime.IsZero() && mtime.UnixNano() > 0 {
		u.mtime = mtime.UnixNano()
	}
	// An interrupted run of the same upload may still have chunks landing,
	// or its PUT_END publishing, when this one starts: the server may then
	// lose blocks it said it held, or end the session under us. PUT again
	// tells what it holds now; a few rounds settle it.
	failovers := 0
	for round := 1; ; round++ {
		res, err := u.round(ctx)
		if err == nil {
			return &Result{Key: key, Size: size, Duration: time.Since(start), Connections: max(u.used, 1), Window: u.p.window,
				Checksum: "xxh3-128-blocks:" + res.Hash, Moved: u.sent.Load(), Protocol: wire.Version2}, nil
		}
		if failovers < len(c.peers) && c.failover(ctx, err) {
			failovers++
			round-- // another server of the store goes on with it
			continue
		}
		if round == maxPutRounds || !errors.Is(err, errUploadLost) {
			return nil, err
		}
		c.opts.Logger.Debug("upload lost blocks or its session; asking again", "key", key, "err", err)
	}
}

// maxPutRounds bounds the PUTs of one upload2.
const maxPutRounds = 3

// upload is one FlaxFile 2 upload: its source, what the server is told of
// it, how it travels, and what it has learnt. download is its mirror.
type upload struct {
	c     *Client
	key   string
	id    string // names the upload on the server (uploadID), to resume it
	src   io.ReaderAt
	file  *os.File // src when it is a file: sent by sendfile in the clear
	size  int64
	mtime int64 // nanoseconds; zero: the server takes its own time
	mode  os.FileMode
	p     sizing
	sent  atomic.Int64 // payload octets sent, all rounds together
	used  int          // the most connections a round ran on
	z     *squeezer    // compresses chunks when it pays; nil: never
	pre   *preHash     // the source's blocks hashed during PUT's round trip
	ahead *cutsFuture  // the old file's cuts, asked for early (missing)
	mine  *cutsFuture  // ours, begun early too

	home   *peer    // the server the round's PUT went to
	joined sync.Map // other servers of its store sending this round's chunks: *peer → *joining
}

// joining is one server's PUT of a round's upload, made once.
type joining struct {
	once sync.Once
	err  error
}

// join opens the upload on another server of the store, by a PUT on
// conn, so that chunks can go there too: the server finds it in the
// store. A server that cannot (it refuses, or does not answer) is left
// out of the transfer.
func (u *upload) join(ctx context.Context, via *peer, conn *zmtp.Conn) error {
	v, _ := u.joined.LoadOrStore(via, &joining{})
	j := v.(*joining)
	j.once.Do(func() {
		r, err := u.c.call(ctx, conn, u.put(false))
		if err != nil {
			j.err = fmt.Errorf("%w: %s: %w", errSkipPeer, via.addr, err)
			return
		}
		r.Release()
	})
	return j.err
}

// spreads reports whether the upload's chunks may go through several
// servers of a shared store: only when each chunk is one whole part of
// the store's upload (FeaturePartChunk), which the server that receives
// it sends on at once. Smaller chunks (a delta's blocks, --chunk-size)
// gather in one server's spool until their part is whole, so they all
// go through the same server. (Past maxSharedParts parts the store's
// parts grow larger than the chunk.)
func (u *upload) spreads() bool {
	pc := u.c.partChunk
	return pc > 0 && u.p.chunk == pc && u.size <= maxSharedParts*pc
}

// maxSharedParts is the parts of a multipart upload (S3's limit) up to
// which a store's parts are the chunk size it asks for.
const maxSharedParts = 10000

// put is the round's PUT.
func (u *upload) put(delta bool) wire.Put {
	return wire.Put{Key: u.key, Size: u.size, Chunk: u.p.chunk, MTime: u.mtime, Mode: uint32(u.mode.Perm()), ID: u.id, Delta: delta}
}

// round is one PUT, the chunks the server lacks, and PUT_END.
func (u *upload) round(ctx context.Context) (*wire.PutResult, error) {
	c, key, size := u.c, u.key, u.size
	u.ahead, u.mine, u.pre = nil, nil, nil
	u.joined.Clear()
	delta := u.delta()
	if delta {
		u.pre = u.startPreHash(ctx)
		defer u.pre.end()
	}
	r, home, err := c.requestOn(ctx, u.put(delta))
	if err != nil {
		return nil, err
	}
	u.home = home
	have, err := parseHave(r, size)
	r.Release()
	if err != nil {
		return nil, err
	}
	if len(have) == 0 {
		u.pre.end() // nothing to compare with
	}
	if c.opts.Progress != nil {
		c.opts.Progress.Start(key, size)
	}
	blocks := make([]digest.Sum, digest.Blocks(size))
	todo, err := u.missing(ctx, have, blocks)
	if err != nil {
		return nil, err
	}
	// Held blocks that changed: mended piece by piece where few did (an
	// edit in place); where most did, the data has likely shifted, and
	// only content-defined chunks find it (build).
	if changed := heldOf(todo, have); 2*changed <= len(have) {
		if todo, err = u.patch(ctx, todo, have, blocks); err != nil {
			return nil, err
		}
	}
	if heldOf(todo, have) > 0 {
		if todo, err = u.build(ctx, todo, have, blocks); err != nil {
			return nil, err
		}
	}
	if len(todo) > 0 {
		if err := u.send(ctx, todo, blocks); err != nil {
			return nil, err
		}
	}
	sum := digest.File(size, blocks)
	r, err = c.request(ctx, wire.PutEnd{ID: u.id, Sum: sum})
	if err != nil {
		return nil, fmt.Errorf("flaxfile: %s: %w", key, err)
	}
	defer r.Release()
	end, err := wire.ParsePutEndReply(r.frames)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	res := end.Result
	if res.Hash != sum.String() || res.Size != size {
		return nil, fmt.Errorf("%w: %s: the server stored %d octets hashing %s; we sent %d hashing %s", ErrChecksum, key, res.Size, res.Hash, size, sum)
	}
	return &res, nil
}

// heldOf counts the chunks of todo whose block the server holds (with
// other content: todo has only those that differ).
func heldOf(todo []int64, have map[int64]digest.Sum) int {
	n := 0
	for _, j := range todo {
		if _, ok := have[j]; ok {
			n++
		}
	}
	return n
}

// parseHave reads PUT's reply: the blocks the server holds already.
func parseHave(r *reply, size int64) (map[int64]digest.Sum, error) {
	m, err := wire.ParsePutReply(r.frames, digest.Blocks(size))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	have := make(map[int64]digest.Sum, len(m.Have))
	for _, b := range m.Have {
		have[b.Index] = b.Sum
	}
	return have, nil
}

// missing returns the chunks to send: those with a block the server
// does not hold, or holds with another hash. The blocks it holds are
// hashed here, from the source, and their hashes put in blocks (the first
// that differs of each chunk too: patch mends it with that hash).
func (u *upload) missing(ctx context.Context, have map[int64]digest.Sum, blocks []digest.Sum) ([]int64, error) {
	key, size, chunk := u.key, u.size, u.p.chunk
	per := chunk / digest.BlockSize
	total := (size + chunk - 1) / chunk
	var todo []int64
	var buf []byte
	for j := range total {
		whole := true
		for i := j * per; i < min((j+1)*per, int64(len(blocks))); i++ {
			want, ok := have[i]
			if !ok {
				whole = false
				break
			}
			got, ok := u.pre.sum(i)
			if !ok {
				var err error
				if got, buf, err = hashBlock(u.src, u.file, size, i, buf); err != nil {
					return nil, fmt.Errorf("flaxfile: reading %s: %w", key, err)
				}
			}
			blocks[i] = got // ours, whether the server's matches or not
			if got != want {
				if i == 0 && u.canBuild() {
					// The first block changed: the data may have shifted,
					// and the server cuts its file while we hash.
					u.ahead = later(func() ([]cdc.Chunk, error) { return u.c.cuts2(ctx, wire.PutCuts{ID: u.id}, -1) })
					u.mine = later(func() ([]cdc.Chunk, error) { return cutAll(ctx, u.src, u.size) })
				}
				whole = false
				break
			}
		}
		if !whole {
			todo = append(todo, j)
		}
	}
	if size == 0 {
		return nil, nil
	}
	return todo, nil
}

// send sends the chunks todo over the sizing's connections, each with a
// window, hashing each chunk's blocks into blocks as it goes.
func (u *upload) send(ctx context.Context, todo []int64, blocks []digest.Sum) error {
	n, err := u.c.spread(ctx, u.p.conns, todo, func(ctx context.Context, conn *zmtp.Conn, via *peer, q queue) error {
		if via != u.home {
			if !u.spreads() {
				return errSkipPeer
			}
			if err := u.join(ctx, via, conn); err != nil {
				return err
			}
		}
		return u.sendChunks(ctx, conn, q, blocks)
	})
	u.used = max(u.used, n)
	return err
}

// sendChunks sends one connection's chunks with a window and waits for
// their ACKs. A plaintext file goes by sendfile, its blocks hashed by
// reading them just before (digest.FileBlocks); otherwise each chunk is
// read into the buffer it is sent or sealed from and hashed there.
func (u *upload) sendChunks(ctx context.Context, conn *zmtp.Conn, q queue, blocks []digest.Sum) error {
	c, key, id, src, file, size, p := u.c, u.key, u.id, u.src, u.file, u.size, u.p
	span := func(j int64) (int64, int64) { return j * p.chunk, min(p.chunk, size-j*p.chunk) }
	send := func(j int64) error {
		off, n := span(j)
		first := off / digest.BlockSize
		nb := (n + digest.BlockSize - 1) / digest.BlockSize
		sums := blocks[first : first+nb]
		hashes := zmtp.Part{Len: nb * digest.Size, Fill: func(b []byte) error {
			for k := range sums {
				copy(b[k*digest.Size:], sums[k][:])
			}
			return nil
		}}
		if level := u.z.level(); level != compress.Off {
			return u.sendSqueezed(ctx, conn, j, off, n, sums, hashes, level)
		}
		u.z.sent(j, n)
		var data zmtp.Part
		if file != nil && !conn.Encrypted() {
			got, err := digest.FileBlocks(file, off, n)
			if err != nil {
				return fmt.Errorf("flaxfile: reading %s: %w", key, err)
			}
			copy(sums, got)
			data = zmtp.Part{File: file, Offset: off, Len: n}
		} else {
			data = zmtp.Part{Len: n, Fill: func(b []byte) error {
				if m, err := src.ReadAt(b, off); int64(m) < n {
					return fmt.Errorf("flaxfile: reading %s at %d: %w", key, off, err)
				}
				copy(sums, digest.Chunk(b))
				return nil
			}}
		}
		if err := c.pace.Wait(ctx, n); err != nil {
			return err
		}
		return conn.SendParts(ctx, wire.PutChunk{ID: id, Offset: off}.Parts(data, hashes))
	}
	handle := func(r *reply) (int64, error) {
		m, err := chunkReply(r, wire.CmdPutChunk, wire.ReplyAck, onGrid(size, p.chunk))
		if err != nil {
			return 0, err
		}
		off := m.N
		_, n := span(off / p.chunk)
		u.z.acked(off/p.chunk, n)
		u.sent.Add(n)
		if c.opts.Progress != nil {
			c.opts.Progress.Transferred(key, n)
		}
		return off / p.chunk, nil
	}
	return c.windowed(ctx, conn, q, p.window, send, handle)
}

// sendSqueezed sends chunk j (n octets at off) as a zstd frame made at
// level when that shrinks it, else as it is; its blocks are hashed into
// sums from the buffer it is read into. The two buffers are taken from
// the memory budget.
func (u *upload) sendSqueezed(ctx context.Context, conn *zmtp.Conn, j, off, n int64, sums []digest.Sum, hashes zmtp.Part, level compress.Level) error {
	c := u.c
	if !c.budget.Acquire(ctx.Done(), 2*n) {
		return ctx.Err()
	}
	defer c.budget.Release(2 * n)
	raw, zb := c.bufs.Get(int(n)), c.bufs.Get(int(n))
	defer c.bufs.Put(raw)
	defer c.bufs.Put(zb)
	if m, err := u.src.ReadAt(raw[:n], off); int64(m) < n {
		return fmt.Errorf("flaxfile: reading %s at %d: %w", u.key, off, err)
	}
	copy(sums, digest.Chunk(raw[:n]))
	msg := wire.PutChunk{ID: u.id, Offset: off}
	data := raw[:n]
	if frame, ok := compress.Compress(zb[:0], data, level); ok {
		data, msg.Codec = frame, wire.CodecZstd
	}
	u.z.sent(j, int64(len(data)))
	if err := c.pace.Wait(ctx, int64(len(data))); err != nil {
		return err
	}
	return conn.SendParts(ctx, msg.Parts(zmtp.Part{Data: data}, hashes))
}

// delta reports whether to ask the server to start from the file the key
// holds (Options.Delta): the client then hashes each block the server
// holds before sending, to send only those that differ.
func (u *upload) delta() bool { return u.c.delta && u.c.useDelta(u.size) }

// canBuild reports whether blocks may be built from the server's old
// file by content-defined chunks (build).
func (u *upload) canBuild() bool {
	return u.c.cuts && u.delta() && u.p.chunk == digest.BlockSize
}

// predialN is how many connections to dial during PUT's round trip: all
// of them on a long link, where each handshake costs round trips; on a
// short one a few, the rest joining as the transfer goes (spread), so
// that a file that needs few does not pay for many.
func (u *upload) predialN() int {
	if u.c.longLink() {
		return u.p.conns
	}
	return min(u.p.conns, 4)
}

// useDelta reports whether a transfer of size octets over an older copy
// moves only the blocks that differ (Options.Delta): worth it on a long
// link, where the octets saved take longer to move than the copies take
// to read and hash; on a short one only when asked. A file of one block
// has nothing to save.
func (c *Client) useDelta(size int64) bool {
	if size <= digest.BlockSize {
		return false
	}
	switch c.opts.Delta {
	case DeltaAlways:
		return true
	case DeltaAuto:
		return c.longLink()
	}
	return false
}
