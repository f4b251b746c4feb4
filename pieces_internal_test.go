package flaxfile

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// pieceSums hashes data's pieces, as the other side of a delta would.
func pieceSums(data []byte) []digest.Sum {
	var out []digest.Sum
	for lo := 0; lo < len(data); lo += wire.PatchPiece {
		out = append(out, digest.Block(data[lo:min(lo+wire.PatchPiece, len(data))]))
	}
	return out
}

// changedRuns joins adjacent changed pieces, keeps a short last piece
// short, and says mending pays only while at most 3/4 of the block
// changed.
func TestChangedRuns(t *testing.T) {
	const p = wire.PatchPiece
	old := bytes.Repeat([]byte{1}, 10*p+100)
	theirs := pieceSums(old)
	edit := func(offs ...int) []byte {
		b := bytes.Clone(old)
		for _, o := range offs {
			b[o] ^= 0xff
		}
		return b
	}
	for _, tc := range []struct {
		data []byte
		runs []span
		pays bool
	}{
		{old, nil, false},
		{edit(5), []span{{0, p}}, true},
		{edit(p+1, 2*p+1, 5*p), []span{{p, 2 * p}, {5 * p, p}}, true},
		{edit(10*p + 50), []span{{10 * p, 100}}, true},
		{edit(0, p, 2*p, 3*p, 4*p, 5*p, 6*p), []span{{0, 7 * p}}, true},       // 7 of 10.x pieces
		{edit(0, p, 2*p, 3*p, 4*p, 5*p, 6*p, 7*p), []span{{0, 8 * p}}, false}, // 8: past 3/4
	} {
		runs, pays := changedRuns(tc.data, theirs)
		if !reflect.DeepEqual(runs, tc.runs) || pays != tc.pays {
			t.Errorf("changedRuns = %v, %v; want %v, %v", runs, pays, tc.runs, tc.pays)
		}
	}
}

// byBlock cuts the piece hashes of several blocks by block, a file's short
// last block having fewer.
func TestByBlock(t *testing.T) {
	size := int64(2*digest.BlockSize + 3*wire.PatchPiece)
	blocks := []int64{2, 0}
	n := pieceCount(size, blocks)
	if want := int64(3 + digest.BlockSize/wire.PatchPiece); n != want {
		t.Fatalf("pieceCount = %d, want %d", n, want)
	}
	sums := make([]digest.Sum, n)
	for i := range sums {
		sums[i][0] = byte(i)
	}
	got := byBlock(sums, size, blocks)
	if len(got) != 2 || len(got[0]) != 3 || got[1][0][0] != 3 || len(got[1]) != int(n-3) {
		t.Fatalf("byBlock: %d blocks, %d and %d pieces", len(got), len(got[0]), len(got[1]))
	}
}
