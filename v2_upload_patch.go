package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
	"golang.org/x/sync/errgroup"
)

// patch mends, instead of sending them whole, the chunks of todo that are
// one block the server holds with other content (a delta upload's changed
// blocks): it asks the server for the hashes of the block's 64 KiB pieces
// (PUT_SUMS), hashes its own, and sends only the pieces that differ
// (PUT_PATCH), which the server writes and checks against the block's
// hash. It returns the chunks still to send whole: those it did not try,
// those that differ too much, and those the server would not mend.
func (u *upload) patch(ctx context.Context, todo []int64, have map[int64]digest.Sum, blocks []digest.Sum) ([]int64, error) {
	c := u.c
	if !c.patch || !u.delta() || u.p.chunk != digest.BlockSize {
		return todo, nil
	}
	var cand []int64 // chunk j is block j here
	for _, j := range todo {
		if _, ok := have[j]; ok {
			cand = append(cand, j)
		}
	}
	mended := map[int64]bool{}
	for len(cand) > 0 {
		batch := cand[:min(len(cand), wire.MaxSumsBlocks)]
		cand = cand[len(batch):]
		theirs, err := u.sums(ctx, batch)
		if err != nil {
			return nil, err
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(4)
		results := make([]bool, len(batch))
		for k, b := range batch {
			g.Go(func() error {
				ok, err := u.mend(gctx, b, theirs[k], blocks[b])
				results[k] = ok
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for k, b := range batch {
			if results[k] {
				mended[b] = true
			}
		}
	}
	return slices.DeleteFunc(todo, func(j int64) bool { return mended[j] }), nil
}

// sums asks the server for the piece hashes of blocks, in their order.
func (u *upload) sums(ctx context.Context, blocks []int64) ([][]digest.Sum, error) {
	r, err := u.c.request(ctx, wire.PutSums{ID: u.id, Blocks: blocks})
	if err != nil {
		return nil, fmt.Errorf("flaxfile: %s: %w", u.key, err)
	}
	defer r.Release()
	rep, err := wire.ParseSumsReply(r.frames, wire.CmdPutSums, pieceCount(u.size, blocks), wire.MaxSums)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	return byBlock(rep.Sums, u.size, blocks), nil
}

// mend reads block b, and sends the pieces that differ from theirs when
// few enough do (changedRuns), with the block's hash (missing put it in
// blocks); it reports whether the server now holds the block.
func (u *upload) mend(ctx context.Context, b int64, theirs []digest.Sum, sum digest.Sum) (bool, error) {
	n := digest.BlockLen(u.size, b)
	data := make([]byte, n)
	if k, err := u.src.ReadAt(data, b*digest.BlockSize); int64(k) < n {
		return false, fmt.Errorf("flaxfile: reading %s at %d: %w", u.key, b*digest.BlockSize, err)
	}
	runs, pays := changedRuns(data, theirs)
	if !pays {
		return false, nil // too different: sent whole
	}
	var pieces []wire.Piece
	var octets int64
	for _, r := range runs {
		for off := r.off; off < r.off+r.n; off += wire.PatchPiece {
			end := min(off+wire.PatchPiece, r.off+r.n)
			pieces = append(pieces, wire.Piece{Off: off, Data: data[off:end]})
		}
		octets += r.n
	}
	r, err := u.c.request(ctx, wire.PutPatch{ID: u.id, Block: b, Sum: sum, Pieces: pieces})
	if err != nil {
		if se := (*ServerError)(nil); errors.As(err, &se) {
			u.c.opts.Logger.Debug("block not mended; sending it whole", "key", u.key, "block", b, "err", err)
			return false, nil
		}
		return false, fmt.Errorf("flaxfile: %s: %w", u.key, err)
	}
	r.Release()
	u.sent.Add(octets)
	if u.c.opts.Progress != nil {
		u.c.opts.Progress.Transferred(u.key, n)
	}
	return true, nil
}
