package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/flaxfile/flaxfile/internal/cdc"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// build sends, instead of whole, the chunks of todo (one block each here)
// that share most of their octets with the file a delta upload started
// from, wherever those octets lie in it (an insertion shifts them off the
// block grid, where patch cannot find them): it asks the server for that
// file's content-defined chunks (PUT_CUTS), cuts its own blocks alike,
// and sends for each block the steps that build it (PUT_BUILD): copies
// from the old file and the octets found nowhere in it. It returns the
// chunks still to send whole.
func (u *upload) build(ctx context.Context, todo []int64, have map[int64]digest.Sum, blocks []digest.Sum) ([]int64, error) {
	c := u.c
	if !u.canBuild() || len(todo) == 0 {
		return todo, nil
	}
	// Ours are cut while the server cuts its file (both may have started
	// in missing).
	if u.mine == nil {
		u.mine = later(func() ([]cdc.Chunk, error) { return cutRuns(ctx, u, todo) })
	}
	if u.ahead == nil {
		u.ahead = later(func() ([]cdc.Chunk, error) { return c.cuts2(ctx, wire.PutCuts{ID: u.id}, -1) })
	}
	theirs, err := u.ahead.wait()
	ours, oursErr := u.mine.wait()
	u.ahead, u.mine = nil, nil
	if err != nil || oursErr != nil {
		return nil, errors.Join(err, oursErr)
	}
	if len(theirs) == 0 {
		return todo, nil
	}
	ix := cdc.NewIndex(theirs)
	plans := map[int64][]cdc.Op{}
	var ids []int64
	for _, b := range todo {
		lo := b * digest.BlockSize
		if steps := cdc.Plan(ours, ix, lo, lo+digest.BlockLen(u.size, b)); buildPays(steps) {
			plans[b] = steps
			ids = append(ids, b)
		}
	}
	var mu sync.Mutex
	built := map[int64]bool{}
	if len(ids) > 0 {
		n, err := c.spread(ctx, u.p.conns, ids, func(ctx context.Context, conn *zmtp.Conn, via *peer, q queue) error {
			if via != u.home { // builds read the old file where the upload is
				return errSkipPeer
			}
			return c.windowed(ctx, conn, q, u.p.window, func(b int64) error {
				_, known := have[b]
				return u.sendBuild(ctx, conn, b, plans[b], blocks, known)
			}, func(r *reply) (int64, error) {
				b, err := u.builtReply(r)
				if err == nil {
					mu.Lock()
					built[b] = true
					mu.Unlock()
				}
				return b, err
			})
		})
		u.used = max(u.used, n)
		if se := (*ServerError)(nil); errors.As(err, &se) {
			// A block the server would not build (the old file changed
			// since it was cut, say): what was not built goes whole.
			c.opts.Logger.Debug("blocks not built; sending them whole", "key", u.key, "err", err)
		} else if err != nil {
			return nil, err
		}
	}
	var left []int64
	for _, j := range todo {
		if !built[j] {
			left = append(left, j)
		}
	}
	return left, nil
}

// sendBuild sends the steps that build block b with the octets of its
// literal ones, read from the source; the block's hash is in blocks when
// known (missing hashed it: a block the server held with other content),
// else it is hashed here.
func (u *upload) sendBuild(ctx context.Context, conn *zmtp.Conn, b int64, steps []cdc.Op, blocks []digest.Sum, known bool) error {
	n := digest.BlockLen(u.size, b)
	lo := b * digest.BlockSize
	if !known {
		data := make([]byte, n)
		if k, err := u.src.ReadAt(data, lo); int64(k) < n {
			return fmt.Errorf("flaxfile: reading %s at %d: %w", u.key, lo, err)
		}
		blocks[b] = digest.Block(data)
	}
	var litN int64
	for _, st := range steps {
		if st.Src == cdc.Literal {
			litN += st.N
		}
	}
	lit := make([]byte, 0, litN) // read straight into the frame sent
	rel := make([]cdc.Op, len(steps))
	for i, st := range steps {
		rel[i] = cdc.Op{Off: st.Off - lo, N: st.N, Src: st.Src}
		if st.Src == cdc.Literal {
			k := len(lit)
			lit = lit[:k+int(st.N)]
			if m, err := u.src.ReadAt(lit[k:], st.Off); int64(m) < st.N {
				return fmt.Errorf("flaxfile: reading %s at %d: %w", u.key, st.Off, err)
			}
		}
	}
	u.sent.Add(int64(len(lit)))
	return conn.Send(ctx, wire.RequestFrames(wire.PutBuild{ID: u.id, Block: b, Sum: blocks[b], Steps: rel, Data: lit})...)
}

// builtReply reads PUT_BUILD's answer, the block built, and counts its
// literal octets as sent.
func (u *upload) builtReply(r *reply) (int64, error) {
	m, err := chunkReply(r, wire.CmdPutBuild, wire.ReplyOK, func(b int64) bool { return b >= 0 && b < digest.Blocks(u.size) })
	if err != nil {
		return 0, err
	}
	n := digest.BlockLen(u.size, m.N)
	if u.c.opts.Progress != nil {
		u.c.opts.Progress.Transferred(u.key, n)
	}
	return m.N, nil
}

// cutRuns cuts the source's octets under each run of consecutive blocks
// of todo (in order) into content-defined chunks, each run from its start.
func cutRuns(ctx context.Context, u *upload, todo []int64) ([]cdc.Chunk, error) {
	var out []cdc.Chunk
	add := func(ch cdc.Chunk) error { out = append(out, ch); return nil }
	for i := 0; i < len(todo); {
		j := i
		for j+1 < len(todo) && todo[j+1] == todo[j]+1 {
			j++
		}
		lo, hi := todo[i]*digest.BlockSize, min((todo[j]+1)*digest.BlockSize, u.size)
		if err := cdc.Cut(ctx, u.src, lo, hi, add); err != nil {
			return nil, fmt.Errorf("flaxfile: reading %s: %w", u.key, err)
		}
		i = j + 1
	}
	return out, nil
}
