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

// patchAt is the share of a block's octets from which a changed block is
// sent whole rather than mended piece by piece: past it the pieces' own
// framing and the hashing cost more than they save.
const patchAt = 3

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
				ok, err := u.mend(gctx, b, theirs[b], blocks)
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

// sums asks the server for the piece hashes of blocks, by block.
func (u *upload) sums(ctx context.Context, blocks []int64) (map[int64][]digest.Sum, error) {
	var want int64
	for _, b := range blocks {
		want += wire.Pieces(digest.BlockLen(u.size, b))
	}
	r, err := u.c.request(ctx, wire.PutSums{ID: u.id, Blocks: blocks})
	if err != nil {
		return nil, fmt.Errorf("flaxfile: %s: %w", u.key, err)
	}
	defer r.Release()
	rep, err := wire.ParseSumsReply(r.frames, wire.CmdPutSums, want, wire.MaxSums)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	out := make(map[int64][]digest.Sum, len(blocks))
	i := int64(0)
	for _, b := range blocks {
		n := wire.Pieces(digest.BlockLen(u.size, b))
		out[b] = rep.Sums[i : i+n]
		i += n
	}
	return out, nil
}

// mend reads block b, and sends the pieces that differ from theirs when
// they are few enough; it reports whether the server now holds the
// block, having put its hash in blocks.
func (u *upload) mend(ctx context.Context, b int64, theirs []digest.Sum, blocks []digest.Sum) (bool, error) {
	n := digest.BlockLen(u.size, b)
	data := make([]byte, n)
	if k, err := u.src.ReadAt(data, b*digest.BlockSize); int64(k) < n {
		return false, fmt.Errorf("flaxfile: reading %s at %d: %w", u.key, b*digest.BlockSize, err)
	}
	var pieces []wire.Piece
	var octets int64
	for i := range int64(len(theirs)) {
		lo, hi := i*wire.PatchPiece, min((i+1)*wire.PatchPiece, n)
		if digest.Block(data[lo:hi]) != theirs[i] {
			pieces = append(pieces, wire.Piece{Off: lo, Data: data[lo:hi]})
			octets += hi - lo
		}
	}
	if len(pieces) == 0 || octets*4 > n*patchAt {
		return false, nil // the same after all, or too different: sent whole
	}
	sum := digest.Block(data)
	r, err := u.c.request(ctx, wire.PutPatch{ID: u.id, Block: b, Sum: sum, Pieces: pieces})
	if err != nil {
		if se := (*ServerError)(nil); errors.As(err, &se) {
			u.c.opts.Logger.Debug("block not mended; sending it whole", "key", u.key, "block", b, "err", err)
			return false, nil
		}
		return false, fmt.Errorf("flaxfile: %s: %w", u.key, err)
	}
	r.Release()
	blocks[b] = sum
	u.sent.Add(octets)
	if u.c.opts.Progress != nil {
		u.c.opts.Progress.Transferred(u.key, n)
	}
	return true, nil
}
