package flaxfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flaxfile/flaxfile/internal/compress"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/flush"
	"github.com/flaxfile/flaxfile/internal/journal"
	"github.com/flaxfile/flaxfile/internal/umask"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// PartialSuffix names the file a download is written to before it is
// renamed into place; its journal adds ".journal". Both stay after an
// interruption, so that the same download run again resumes.
const PartialSuffix = ".flaxfile-partial"

// remoteFile is what GET says of a file.
type remoteFile struct {
	handle string
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	MTime  int64  `json:"mtime_ns"`
	Mode   uint32 `json:"mode"`
	Hash   string `json:"xxh3_128_blocks"`
}

func parseGet(r *reply, key string) (remoteFile, wire.GetReply, error) {
	m, err := wire.ParseGetReply(r.frames)
	if err != nil {
		return remoteFile{}, m, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	f := m.File
	return remoteFile{handle: m.Handle, Key: key, Size: f.Size, MTime: f.MTime, Mode: f.Mode, Hash: f.Sum}, m, nil
}

// download is one FlaxFile 2 download into a partial file.
type download struct {
	c      *Client
	dir    localDir // where it writes
	rf     remoteFile
	f      *os.File
	blocks []digest.Sum
	have   []bool

	jmu   sync.Mutex // guards the journal file
	j     *os.File
	moved atomic.Int64
	used  int         // connections the chunks came over
	z     *squeezer   // asks for compressed ranges when it pays; nil: never
	ahead *cutsFuture // the server's cuts, asked for early (seedLocal)
	mine  *cutsFuture // the local copy's, begun early too

	home    *peer    // the server GET went to, whose handle rf has
	handles sync.Map // other servers of its store serving ranges too: *peer → *opening

	early *flush.Early // the file's ranges handed to the disk as they land; nil: not

	spoiled bool // guarded by jmu: recorded blocks may have been overwritten (unsure)
}

// opening is one server's GET of a download's file, made once.
type opening struct {
	once   sync.Once
	handle string
	err    error
}

// handleOn returns the handle by which server via serves the file: the
// first GET's on the server it went to; on another server of the store,
// one opened there (on conn) for the same version of the file. A server
// that cannot (it refuses, has another version, or does not answer) is
// left out of the transfer.
func (d *download) handleOn(ctx context.Context, via *peer, conn *zmtp.Conn) (string, error) {
	if via == d.home {
		return d.rf.handle, nil
	}
	v, _ := d.handles.LoadOrStore(via, &opening{})
	o := v.(*opening)
	o.once.Do(func() {
		r, err := d.c.call(ctx, conn, wire.Get{Key: d.rf.Key})
		if err != nil {
			o.err = fmt.Errorf("%w: %s: %w", errSkipPeer, via.addr, err)
			return
		}
		rf, _, err := parseGet(r, d.rf.Key)
		r.Release()
		switch {
		case err != nil:
			o.err = fmt.Errorf("%w: %s: %w", errSkipPeer, via.addr, err)
		case rf.Size != d.rf.Size || rf.Hash != d.rf.Hash || rf.MTime != d.rf.MTime || rf.Mode != d.rf.Mode:
			o.err = fmt.Errorf("%w: %s serves another version of %s", errSkipPeer, via.addr, d.rf.Key)
			d.c.endGet(via.conns, rf.handle)
		default:
			o.handle = rf.handle
		}
	})
	return o.handle, o.err
}

// endHandles ends the handles opened on other servers.
func (d *download) endHandles() {
	d.handles.Range(func(k, v any) bool {
		if o := v.(*opening); o.handle != "" {
			d.c.endGet(k.(*peer).conns, o.handle)
		}
		return true
	})
}

// download2 fetches key to path with FlaxFile 2: the blocks already in a
// partial file from an earlier run of the same download (same key, same
// version on the server) are checked and kept; the rest are fetched,
// hashed as they land, and recorded in the journal; the file is renamed
// into place only when the hash of all its blocks is the server's.
func (c *Client) download2(ctx context.Context, spec FileSpec) (*Result, error) {
	key, path := spec.Key, spec.Path
	start := time.Now()
	if c.longLink() {
		// On a long link, handshakes during GET's round trip: as many
		// connections as a large file takes (the size is not known yet).
		c.pool().predial(ctx, c.sizing2(1<<40, false).conns)
	}
	// A file of up to MaxSmallFile may come in GET's reply (a server that
	// does not know the offer ignores it, and then nothing comes).
	r, home, err := c.requestOn(ctx, wire.Get{Key: key, Most: wire.MaxSmallFile})
	if err != nil {
		return nil, err
	}
	rf, whole, err := parseGet(r, key)
	if err == nil {
		err = c.checkSize(wire.CmdGet, rf.Size)
	}
	if err != nil {
		r.Release()
		return nil, err
	}
	if c.opts.Progress != nil {
		c.opts.Progress.Start(key, rf.Size)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		r.Release()
		return nil, err
	}
	if whole.Whole { // the file is in the reply
		defer r.Release()
		res, err := writeSmall(spec, dirFor(spec), wire.SmallReplyFile{File: whole.File, Data: whole.Data}, c.umask)
		if err != nil {
			return nil, err
		}
		// A partial file left by an earlier download of a larger version
		// has nothing more to give.
		_ = os.Remove(path + PartialSuffix)
		_ = os.Remove(path + PartialSuffix + ".journal")
		if c.opts.Progress != nil {
			c.opts.Progress.Transferred(key, res.Size)
		}
		res.Duration = time.Since(start)
		return res, nil
	}
	r.Release()
	defer c.endGet(home.conns, rf.handle)
	d, err := c.openDownload(dirFor(spec), path+PartialSuffix, rf)
	if err != nil {
		return nil, err
	}
	d.home = home
	defer d.close()
	defer d.endHandles()
	if c.deltaGet && c.useDelta(rf.Size) && !slices.Contains(d.have, true) {
		if err := d.seedLocal(ctx, dirFor(spec), path); err != nil {
			c.opts.Logger.Debug("download not started from the local file", "key", key, "err", err)
		}
	}
	p := c.sizing2(rf.Size, false)
	d.z = c.newSqueezer(nil, rf.Size)
	per := p.chunk / digest.BlockSize
	var todo []int64
	for j := int64(0); j*p.chunk < rf.Size; j++ {
		for i := j * per; i < min((j+1)*per, int64(len(d.have))); i++ {
			if !d.have[i] {
				todo = append(todo, j)
				break
			}
		}
	}
	if len(todo) > 0 {
		if err := d.fetch(ctx, p, todo); err != nil {
			return nil, err
		}
	}
	if err := d.publish(path); err != nil {
		return nil, err
	}
	return &Result{Key: key, Size: rf.Size, Duration: time.Since(start), Connections: max(d.used, 1), Window: p.window,
		Checksum: "xxh3-128-blocks:" + rf.Hash, Moved: d.moved.Load(), Protocol: wire.Version2}, nil
}

// endGet tells the server the handle is no longer needed, without waiting
// for the answer (a round trip, on a long link a large part of a small
// download): the connection goes back to the pool once the answer is in,
// and Close closes it if that has not happened by then. A failure only
// leaves the handle to expire.
func (c *Client) endGet(pool *connPool, handle string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.ConnectTimeout)
	defer cancel()
	conn, err := pool.take(ctx)
	if err != nil {
		return
	}
	if err := conn.Send(ctx, wire.RequestFrames(wire.GetEnd{Handle: handle})...); err != nil {
		conn.Close()
		return
	}
	if !pool.lend(conn) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.opts.ConnectTimeout)
		defer cancel()
		r, err := c.recv(ctx, conn)
		if err == nil {
			r.Release()
		}
		pool.unlend(conn, err)
	}()
}

// openDownload opens the partial file, keeping the blocks its journal
// records when the journal is for this very version and they still hash
// as recorded; otherwise it starts afresh.
func (c *Client) openDownload(dir localDir, part string, rf remoteFile) (*download, error) {
	n := digest.Blocks(rf.Size)
	d := &download{c: c, dir: dir, rf: rf, blocks: make([]digest.Sum, n), have: make([]bool, n)}
	hdr, _ := json.Marshal(rf)
	jpath := part + ".journal"
	if raw, err := dir.read(jpath); err == nil {
		if h, blocks, ok := journal.Parse(raw, n); ok && string(h) == string(hdr) {
			if f, err := dir.open(part, os.O_RDWR, 0); err == nil {
				d.f = f
				for i, sum := range blocks {
					got, err := digest.FileBlocks(f, i*digest.BlockSize, digest.BlockLen(rf.Size, i))
					if err == nil && got[0] == sum {
						d.blocks[i], d.have[i] = sum, true
					}
				}
			}
		}
	}
	var err error
	if d.f != nil {
		d.j, err = dir.open(jpath, os.O_WRONLY|os.O_APPEND, 0)
	} else {
		if d.f, err = dir.open(part, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return nil, err
		}
		if d.j, err = dir.open(jpath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600); err == nil {
			_, err = d.j.Write(journal.Header(hdr))
		}
	}
	if err != nil {
		d.f.Close()
		return nil, err
	}
	if !c.opts.NoSync && rf.Size >= flush.MinSize {
		d.early = flush.Start(d.f) // so that publish's flush finds little left
	}
	return d, nil
}

func (d *download) close() {
	d.early.Stop()
	d.f.Close()
	d.j.Close()
}

// fetch requests the chunks todo over up to p.conns connections with a
// window each; each chunk is hashed from the buffer it arrives in and written.
func (d *download) fetch(ctx context.Context, p sizing, todo []int64) error {
	lock := &sync.Mutex{}
	n, err := d.c.spread(ctx, p.conns, todo, func(ctx context.Context, conn *zmtp.Conn, via *peer, q queue) error {
		handle, err := d.handleOn(ctx, via, conn)
		if err != nil {
			return err
		}
		return d.fetchChunks(ctx, conn, handle, p, q, lock)
	})
	d.used = n
	return err
}

func (d *download) fetchChunks(ctx context.Context, conn *zmtp.Conn, h string, p sizing, q queue, lock *sync.Mutex) error {
	c, size := d.c, d.rf.Size
	span := func(j int64) (int64, int64) { return j * p.chunk, min(p.chunk, size-j*p.chunk) }
	var sink *rangeSink
	if !conn.Encrypted() {
		sink = newRangeSink(d, lock, p.chunk)
		conn.SetSink(sink)
		defer func() {
			sink.close()
			conn.SetSink(nil) // before another transfer can take the connection
		}()
	}
	send := func(j int64) error {
		off, n := span(j)
		if err := c.pace.Wait(ctx, n); err != nil {
			return err
		}
		if sink != nil {
			sink.ask(off)
		}
		req := wire.GetRange{Handle: h, Offset: off, Len: n}
		if level := d.z.level(); level != compress.Off {
			req.Squeeze = level.String()
		}
		return conn.Send(ctx, wire.RequestFrames(req)...)
	}
	handle := func(r *reply) (int64, error) {
		m, err := chunkReply(r, wire.CmdGetRange, wire.ReplyData, onGrid(size, p.chunk))
		if err != nil {
			return 0, err
		}
		off := m.N
		_, n := span(off / p.chunk)
		if sink != nil && r.sunk(2) {
			// Hashed and written piece by piece as it arrived.
			sums, err := sink.take(off, r)
			if err != nil {
				return 0, err
			}
			d.z.received(n, false)
			return off / p.chunk, d.landed(off, n, sums)
		}
		// Hashed from the buffer it arrived in, then written (a
		// compressed range, or any on an encrypted connection).
		if sink != nil {
			sink.answered(off)
		}
		data := m.Data
		squeezed := wire.Codec(r.frames, 3) == wire.CodecZstd
		d.z.received(int64(len(data)), squeezed)
		if squeezed {
			buf, release, err := d.expand(ctx, data, n)
			if err != nil {
				return 0, err
			}
			defer release()
			data = buf
		}
		if int64(len(data)) != n {
			return 0, fmt.Errorf("%w: range at %d has %d octets, want %d", ErrIncomplete, off, len(data), n)
		}
		sums := digest.Chunk(data)
		lock.Lock()
		_, err = d.f.WriteAt(data, off)
		lock.Unlock()
		if err != nil {
			return 0, err
		}
		return off / p.chunk, d.landed(off, n, sums)
	}
	return c.windowed(ctx, conn, q, p.window, send, handle)
}

// landed records a range of n octets at off, written to the file, whose
// blocks hash to sums.
func (d *download) landed(off, n int64, sums []digest.Sum) error {
	d.early.Wrote(off, n)
	if err := d.record(off/digest.BlockSize, sums); err != nil {
		return err
	}
	d.moved.Add(n)
	if d.c.opts.Progress != nil {
		d.c.opts.Progress.Transferred(d.rf.Key, n)
	}
	return nil
}

// unsure is told that [off, off+n) of the file was written from a reply
// that was then not recorded: blocks recorded there before (the same
// range fetched through another connection too) may no longer hold what
// was recorded, so the file is not published from this run. A rerun
// hashes the journal's blocks again and fetches those that changed.
func (d *download) unsure(off, n int64) {
	d.jmu.Lock()
	defer d.jmu.Unlock()
	for i := off / digest.BlockSize; i < min(digest.Blocks(off+n), int64(len(d.blocks))); i++ {
		if d.blocks[i] != (digest.Sum{}) {
			d.spoiled = true
		}
	}
}

// expand decodes a compressed range of n octets into a buffer taken from
// the memory budget; release gives it back.
func (d *download) expand(ctx context.Context, frame []byte, n int64) ([]byte, func(), error) {
	c := d.c
	if !c.budget.Acquire(ctx.Done(), n) {
		return nil, nil, ctx.Err()
	}
	buf := c.bufs.Get(int(n))
	release := func() {
		c.bufs.Put(buf)
		c.budget.Release(n)
	}
	out, err := compress.Decompress(buf[:0], frame, int(n))
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("%w: range of %d octets: %v", ErrProtocol, n, err)
	}
	return out, release, nil
}

// record keeps the hashes of blocks first… and journals them.
func (d *download) record(first int64, sums []digest.Sum) error {
	var rec []byte
	for k, s := range sums {
		rec = journal.AppendRecord(rec, first+int64(k), s)
	}
	d.jmu.Lock()
	defer d.jmu.Unlock()
	copy(d.blocks[first:], sums)
	_, err := d.j.Write(rec)
	return err
}

// publish checks the file hash and renames the partial file into place
// with the server's mode and time; on a mismatch it removes the partial
// file, whose blocks cannot be told apart.
func (d *download) publish(path string) error {
	part := d.f.Name()
	d.jmu.Lock()
	spoiled := d.spoiled
	d.jmu.Unlock()
	if spoiled {
		d.close()
		return fmt.Errorf("%w: %s: a range that failed after part of it was written lay over blocks already received; run it again to fetch what changed", ErrIncomplete, d.rf.Key)
	}
	sum := digest.File(d.rf.Size, d.blocks)
	if sum.String() != d.rf.Hash {
		d.close()
		os.Remove(part)
		os.Remove(part + ".journal")
		return fmt.Errorf("%w: %s: received data hashes to %s, the server's file to %s", ErrChecksum, d.rf.Key, sum, d.rf.Hash)
	}
	if err := d.f.Truncate(d.rf.Size); err != nil {
		return err
	}
	if !d.c.opts.NoSync {
		d.early.Stop()
		if err := d.f.Sync(); err != nil {
			return err
		}
	}
	// The server's bits less our umask, as cp and rsync apply them.
	if err := d.f.Chmod(umask.Apply(os.FileMode(d.rf.Mode), 0o644, d.c.umask)); err != nil {
		return err
	}
	if t := wire.PeerMTime(d.rf.MTime, time.Now()); !t.IsZero() {
		if err := d.dir.setTimes(part, t); err != nil {
			return err
		}
	}
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("flaxfile: %s is a directory", path)
	}
	if err := d.dir.rename(part, path); err != nil {
		return err
	}
	if err := os.Remove(part + ".journal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
