package flaxfile

import (
	"context"
	"errors"
	"os"

	"github.com/flaxfile/flaxfile/internal/cdc"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/filecopy"
	"github.com/flaxfile/flaxfile/internal/wire"
	"golang.org/x/sync/errgroup"
)

// buildLocal builds the blocks not yet held from the local file old (of
// oldSize octets) wherever their octets lie in it, an insertion having
// shifted them off the block grid: it asks for the content-defined chunks
// of the server's file (GET_CUTS), cuts old alike, copies into the
// partial file each chunk old holds too, and fetches the rest
// (GET_RANGE). A block is kept only if it then hashes to want's; the
// others are fetched whole.
func (d *download) buildLocal(ctx context.Context, old *os.File, oldSize int64, want []digest.Sum) error {
	var todo []int64
	for b, ok := range d.have {
		if !ok {
			todo = append(todo, int64(b))
		}
	}
	if len(todo) == 0 || oldSize > wire.MaxCutsFile {
		return nil
	}
	// Ours are cut while the server cuts its file (both may have started
	// in seedLocal).
	if d.mine == nil {
		d.mine = later(func() ([]cdc.Chunk, error) { return cutAll(ctx, old, oldSize) })
	}
	if d.ahead == nil {
		d.ahead = later(func() ([]cdc.Chunk, error) { return d.c.cuts2(ctx, wire.GetCuts{Handle: d.rf.handle}, d.rf.Size) })
	}
	theirs, err := d.ahead.wait()
	ours, oursErr := d.mine.wait()
	if err != nil || oursErr != nil || len(theirs) == 0 {
		return errors.Join(err, oursErr)
	}
	ix := cdc.NewIndex(ours)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(d.c.buildersAtOnce())
	for _, b := range todo {
		lo := b * digest.BlockSize
		steps := cdc.Plan(theirs, ix, lo, lo+digest.BlockLen(d.rf.Size, b))
		if !buildPays(steps) {
			continue
		}
		g.Go(func() error { return d.buildBlock(gctx, old, b, steps, want[b]) })
	}
	return g.Wait()
}

// buildBlock carries out steps over block b of the partial file: copies
// from old, fetches of the literal octets.
func (d *download) buildBlock(ctx context.Context, old *os.File, b int64, steps []cdc.Op, want digest.Sum) error {
	for _, st := range steps {
		var err error
		if st.Src == cdc.Literal {
			err = d.fetchRange(ctx, st.Off, st.N)
		} else {
			err = filecopy.Range(d.f, old, st.Off, st.Src, st.N)
		}
		if err != nil {
			return err
		}
	}
	return d.keep(b, want)
}

// buildersAtOnce bounds the blocks a download builds at once: each costs
// a round trip when it fetches literal octets, so on a long link more
// keep the link busy.
func (c *Client) buildersAtOnce() int {
	if c.longLink() {
		return 16
	}
	return 4
}
