package digest

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/zeebo/xxh3"
)

func TestReaderMatchesBlocks(t *testing.T) {
	data := make([]byte, 2*BlockSize+12345)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	sum, blocks, err := Reader(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 {
		t.Fatalf("%d blocks, want 3", len(blocks))
	}
	for i, b := range blocks {
		lo := i * BlockSize
		hi := min(lo+BlockSize, len(data))
		if want := Sum(xxh3.Hash128(data[lo:hi]).Bytes()); b != want {
			t.Errorf("block %d: %s, want %s", i, b, want)
		}
	}
	if File(int64(len(data)), blocks) != sum {
		t.Error("File of the blocks differs from Reader's sum")
	}
	// Chunk gives the same block hashes from a buffer, whole or from a
	// block boundary on.
	if got := Chunk(data); !slices.Equal(got, blocks) {
		t.Errorf("Chunk: %v, want %v", got, blocks)
	}
	if got := Chunk(data[BlockSize:]); !slices.Equal(got, blocks[1:]) {
		t.Errorf("Chunk from block 1: %v, want %v", got, blocks[1:])
	}
	if len(Chunk(nil)) != 0 {
		t.Error("Chunk of nothing has blocks")
	}
	// One changed octet changes the file hash and only its block's hash.
	data[BlockSize+7] ^= 1
	sum2, blocks2, _ := Reader(bytes.NewReader(data), int64(len(data)), nil)
	if sum2 == sum || blocks2[1] == blocks[1] || blocks2[0] != blocks[0] || blocks2[2] != blocks[2] {
		t.Error("a one-octet change was not confined to its block's hash")
	}
}

func TestEmptyAndSizeMatter(t *testing.T) {
	empty, blocks, err := Reader(bytes.NewReader(nil), 0, nil)
	if err != nil || len(blocks) != 0 {
		t.Fatal(err, len(blocks))
	}
	if empty != File(0, nil) {
		t.Error("empty file hash is not File(0, nil)")
	}
	if File(0, nil) == File(1, nil) {
		t.Error("the size is not part of the file hash")
	}
}

func TestShortReader(t *testing.T) {
	_, _, err := Reader(bytes.NewReader(make([]byte, 10)), 11, nil)
	if !errors.Is(err, ErrShort) {
		t.Fatalf("err = %v, want ErrShort", err)
	}
}

func TestParse(t *testing.T) {
	s := Block([]byte("x"))
	p, err := Parse(s.String())
	if err != nil || p != s {
		t.Fatal(p, err)
	}
	for _, bad := range []string{"", "zz", s.String()[:31], s.String() + "0", "g" + s.String()[1:]} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestFileBlocks(t *testing.T) {
	data := make([]byte, BlockSize+100)
	for i := range data {
		data[i] = byte(i * 7)
	}
	f, err := os.CreateTemp(t.TempDir(), "d")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(data)
	_, want, _ := Reader(bytes.NewReader(data), int64(len(data)), nil)
	got, err := FileBlocks(f, 0, int64(len(data)))
	if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("FileBlocks = %v, %v; want %v", got, err, want)
	}
	got, err = FileBlocks(f, BlockSize, 100)
	if err != nil || len(got) != 1 || got[0] != want[1] {
		t.Fatalf("second block = %v, %v", got, err)
	}
	if _, err := FileBlocks(f, 1, 10); err == nil {
		t.Error("unaligned range accepted")
	}
	// Past the end: an error, never a crash.
	if _, err := FileBlocks(f, 2*BlockSize, BlockSize); err == nil {
		t.Error("range past the end hashed")
	}
}

func TestSmall(t *testing.T) {
	for _, n := range []int{0, 1, BlockSize, BlockSize + 1} {
		data := bytes.Repeat([]byte{7}, n)
		want, _, _ := Reader(bytes.NewReader(data), int64(n), nil)
		if Small(data) != want {
			t.Errorf("Small of %d octets differs from Reader", n)
		}
	}
}

// Aligned yields the blocks of the same length at the same place: all
// but a last block whose length changed, none past the shorter file.
func TestAligned(t *testing.T) {
	const b = BlockSize
	for _, tc := range []struct {
		size, old int64
		want      []int64 // indexes
	}{
		{10 * b, 10 * b, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{10*b + 1, 10 * b, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{3*b + 5, 3*b + 7, []int64{0, 1, 2}},
		{3*b + 5, 3*b + 5, []int64{0, 1, 2, 3}},
		{2 * b, 5 * b, []int64{0, 1}},
		{0, 5 * b, nil},
	} {
		var got []int64
		for i, n := range Aligned(tc.size, tc.old) {
			if n != BlockLen(tc.size, i) {
				t.Errorf("Aligned(%d, %d): block %d of %d octets", tc.size, tc.old, i, n)
			}
			got = append(got, i)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Aligned(%d, %d) = %v, want %v", tc.size, tc.old, got, tc.want)
		}
	}
}

// TestStreamMatchesChunk: data written to a Stream in pieces of any size
// hashes as Chunk hashes it whole, for lengths on and off block ends.
func TestStreamMatchesChunk(t *testing.T) {
	data := make([]byte, 3*BlockSize+12345)
	for i := range data {
		data[i] = byte(i*131 + i>>13)
	}
	for _, n := range []int{0, 1, BlockSize - 1, BlockSize, BlockSize + 1, 2 * BlockSize, len(data)} {
		for _, piece := range []int{1 << 20, 4093, BlockSize, 3 << 20, n + 1} {
			if n > 1<<20 && piece == 4093 {
				continue // slow and adds nothing
			}
			s := NewStream(int64(n))
			for off := 0; off < n; off += piece {
				s.Write(data[off:min(n, off+piece)])
			}
			got, want := s.Sums(), Chunk(data[:n])
			if len(got) != len(want) {
				t.Fatalf("%d octets in pieces of %d: %d sums, want %d", n, piece, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%d octets in pieces of %d: block %d hashes to %s, want %s", n, piece, i, got[i], want[i])
				}
			}
		}
	}
}
