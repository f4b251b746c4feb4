package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/flaxfile/flaxfile/internal/cdc"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
	"golang.org/x/sync/errgroup"
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
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.buildersAtOnce())
	built := make([]bool, len(todo))
	for k, b := range todo {
		lo := b * digest.BlockSize
		steps := cdc.Plan(ours, ix, lo, lo+digest.BlockLen(u.size, b))
		if !buildPays(steps) {
			continue
		}
		_, known := have[b]
		g.Go(func() (err error) {
			built[k], err = u.buildBlock(gctx, b, steps, blocks, known)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var left []int64
	for k, j := range todo {
		if !built[k] {
			left = append(left, j)
		}
	}
	return left, nil
}

// buildersAtOnce bounds the blocks built at once: each costs a round
// trip and little memory (its literal octets; a block read whole only
// when its hash is not known), so on a long link as many as there are
// connections keep the server busy.
func (c *Client) buildersAtOnce() int {
	if c.longLink() {
		return 16
	}
	return 4
}

// buildPays reports whether building a block by steps saves enough to be
// worth it over sending it whole: it copies some octets and at most three
// quarters of it are new (changedRuns' rule).
func buildPays(steps []cdc.Op) bool {
	if len(steps) == 0 {
		return false
	}
	n := steps[len(steps)-1].Off + steps[len(steps)-1].N - steps[0].Off
	copied := cdc.Copied(steps)
	return copied > 0 && n-copied <= n/4*3
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

// buildBlock sends the steps that build block b with the octets of its
// literal ones, read from the source; the block's hash is in blocks when
// known (missing hashed it: a block the server held with other content),
// else it is hashed here. It reports whether the server now holds the
// block (it may refuse: the block is then sent whole).
func (u *upload) buildBlock(ctx context.Context, b int64, steps []cdc.Op, blocks []digest.Sum, known bool) (bool, error) {
	n := digest.BlockLen(u.size, b)
	lo := b * digest.BlockSize
	if !known {
		data := make([]byte, n)
		if k, err := u.src.ReadAt(data, lo); int64(k) < n {
			return false, fmt.Errorf("flaxfile: reading %s at %d: %w", u.key, lo, err)
		}
		blocks[b] = digest.Block(data)
	}
	var lit []byte
	rel := make([]cdc.Op, len(steps))
	for i, st := range steps {
		rel[i] = cdc.Op{Off: st.Off - lo, N: st.N, Src: st.Src}
		if st.Src == cdc.Literal {
			k := len(lit)
			lit = append(lit, make([]byte, st.N)...)
			if m, err := u.src.ReadAt(lit[k:], st.Off); int64(m) < st.N {
				return false, fmt.Errorf("flaxfile: reading %s at %d: %w", u.key, st.Off, err)
			}
		}
	}
	r, err := u.c.request(ctx, wire.PutBuild{ID: u.id, Block: b, Sum: blocks[b], Steps: rel, Data: lit})
	if err != nil {
		if se := (*ServerError)(nil); errors.As(err, &se) {
			u.c.opts.Logger.Debug("block not built; sending it whole", "key", u.key, "block", b, "err", err)
			return false, nil
		}
		return false, fmt.Errorf("flaxfile: %s: %w", u.key, err)
	}
	r.Release()
	u.sent.Add(int64(len(lit)))
	if u.c.opts.Progress != nil {
		u.c.opts.Progress.Transferred(u.key, n)
	}
	return true, nil
}

// cutsFuture is cuts being made while other work goes on: the server's
// (PUT_CUTS, GET_CUTS) while the client hashes, ours while it waits.
type cutsFuture struct {
	done   chan struct{}
	chunks []cdc.Chunk
	err    error
}

// later runs f on a goroutine of its own.
func later(f func() ([]cdc.Chunk, error)) *cutsFuture {
	cf := &cutsFuture{done: make(chan struct{})}
	go func() {
		defer close(cf.done)
		cf.chunks, cf.err = f()
	}()
	return cf
}

// wait returns what f made.
func (f *cutsFuture) wait() ([]cdc.Chunk, error) {
	<-f.done
	return f.chunks, f.err
}

// cutAll cuts [0, size) of r.
func cutAll(ctx context.Context, r io.ReaderAt, size int64) ([]cdc.Chunk, error) {
	var out []cdc.Chunk
	err := cdc.Cut(ctx, r, 0, size, func(ch cdc.Chunk) error { out = append(out, ch); return nil })
	return out, err
}

// cuts2 asks for the cuts of a file (PUT_CUTS or GET_CUTS); size, unless
// negative, is the size the file must have. A server that refuses (a file
// too large to cut) gives none.
func (c *Client) cuts2(ctx context.Context, req wire.Request, size int64) ([]cdc.Chunk, error) {
	r, err := c.request(ctx, req)
	if err != nil {
		if se := (*ServerError)(nil); errors.As(err, &se) {
			c.opts.Logger.Debug("no cuts", "err", err)
			return nil, nil
		}
		return nil, err
	}
	defer r.Release()
	rep, err := wire.ParseCutsReply(r.frames, req.Command())
	if err == nil && size >= 0 && rep.Size != size {
		err = fmt.Errorf("%s answered cuts of a %d-octet file, want %d", req.Command(), rep.Size, size)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	return rep.Chunks, nil
}
