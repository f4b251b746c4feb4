package flaxfile

import (
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// Mending a changed 4 MiB block by its 64 KiB pieces, in both directions
// of a delta transfer: the hashes of the other side's pieces (PUT_SUMS,
// GET_SUMS) against ours, and only the pieces that differ move.

// pieceCount is how many pieces the blocks of a file of size octets have.
func pieceCount(size int64, blocks []int64) int64 {
	var n int64
	for _, b := range blocks {
		n += wire.Pieces(digest.BlockLen(size, b))
	}
	return n
}

// byBlock splits the piece hashes of blocks, in their order, by block.
func byBlock(sums []digest.Sum, size int64, blocks []int64) [][]digest.Sum {
	out := make([][]digest.Sum, len(blocks))
	for k, b := range blocks {
		n := wire.Pieces(digest.BlockLen(size, b))
		out[k], sums = sums[:n], sums[n:]
	}
	return out
}

// span is a run of a block's octets: from off, n of them.
type span struct{ off, n int64 }

// changedRuns returns the runs of data's pieces whose hashes are not
// theirs, adjacent pieces joined, and reports whether mending pays: some
// differ, and at most three quarters of the block (past that, the pieces'
// framing and hashing cost more than sending the block whole saves).
func changedRuns(data []byte, theirs []digest.Sum) ([]span, bool) {
	n := int64(len(data))
	var runs []span
	var octets int64
	for i := range int64(len(theirs)) {
		lo, hi := i*wire.PatchPiece, min((i+1)*wire.PatchPiece, n)
		if lo >= n || digest.Block(data[lo:hi]) == theirs[i] {
			continue
		}
		if k := len(runs) - 1; k >= 0 && runs[k].off+runs[k].n == lo {
			runs[k].n += hi - lo
		} else {
			runs = append(runs, span{lo, hi - lo})
		}
		octets += hi - lo
	}
	return runs, octets > 0 && octets <= n/4*3
}

// longLink reports whether the shortest round trip seen is that of a long
// link (over 5 ms), where round trips and octets cost more than CPU: more
// connections at once, delta transfers.
func (c *Client) longLink() bool {
	return c.rtt.Load() > int64(longRTT)
}

// longRTT is the round trip from which a link counts as long.
const longRTT = 5 * time.Millisecond
