// Package digest is FlaxFile 2's content hash. A file is cut into blocks
// of BlockSize octets (the last may be shorter); each block's hash is its
// XXH3-128, and the file's hash is the XXH3-128 of its size followed by its
// block hashes in order. Blocks can so be hashed in any order, by whoever
// holds them, and checked one by one when a transfer resumes.
package digest

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/zeebo/xxh3"
)

// BlockSize is the size of a hashed block: 4 MiB. Transfer chunks are
// whole multiples of it.
const BlockSize = 4 << 20

// Size is the length of a Sum.
const Size = 16

// Sum is a block or file hash: XXH3-128, big-endian.
type Sum [Size]byte

// Block hashes one block.
func Block(p []byte) Sum { return Sum(xxh3.Hash128(p).Bytes()) }

// String is the hash in 32 lower-case hex digits.
func (s Sum) String() string { return hex.EncodeToString(s[:]) }

// Parse reads a Sum from 32 hex digits.
func Parse(s string) (Sum, error) {
	var out Sum
	if len(s) != 2*Size {
		return out, fmt.Errorf("digest: %q is not 32 hex digits", s)
	}
	if _, err := hex.Decode(out[:], []byte(s)); err != nil {
		return out, fmt.Errorf("digest: %q is not 32 hex digits", s)
	}
	return out, nil
}

// Chunk hashes data that starts on a block boundary, block by block (the
// last block possibly short).
func Chunk(data []byte) []Sum {
	sums := make([]Sum, 0, Blocks(int64(len(data))))
	for len(data) > 0 {
		n := min(len(data), BlockSize)
		sums = append(sums, Block(data[:n]))
		data = data[n:]
	}
	return sums
}

// Blocks is the number of blocks of a file of size octets.
func Blocks(size int64) int64 { return (size + BlockSize - 1) / BlockSize }

// BlockLen is the length of block i of a file of size octets.
func BlockLen(size, i int64) int64 { return min(BlockSize, size-i*BlockSize) }

// File combines the block hashes of a file of size octets.
func File(size int64, blocks []Sum) Sum {
	h := xxh3.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(size))
	_, _ = h.Write(n[:])
	for i := range blocks {
		_, _ = h.Write(blocks[i][:])
	}
	return Sum(h.Sum128().Bytes())
}

// ErrShort means a reader ended before the size it was said to have.
var ErrShort = errors.New("digest: file shorter than its size")

// Reader hashes size octets of r, block by block, reading with buf (at
// least BlockSize long; nil allocates one). It returns the file hash and
// the block hashes.
func Reader(r io.ReaderAt, size int64, buf []byte) (Sum, []Sum, error) {
	if len(buf) < BlockSize {
		buf = make([]byte, BlockSize)
	}
	blocks := make([]Sum, Blocks(size))
	for i := range blocks {
		n := BlockLen(size, int64(i))
		m, err := r.ReadAt(buf[:n], int64(i)*BlockSize)
		if int64(m) < n {
			if err == nil || err == io.EOF {
				err = ErrShort
			}
			return Sum{}, nil, err
		}
		blocks[i] = Block(buf[:n])
	}
	return File(size, blocks), blocks, nil
}

// Small is the file hash of data held whole in memory.
func Small(data []byte) Sum { return File(int64(len(data)), Chunk(data)) }

// Aligned yields the index and length of each block of a file of size
// octets that has the same length at the same place in a file of oldSize
// octets: the blocks an older version of the file may hold unchanged.
func Aligned(size, oldSize int64) iter.Seq2[int64, int64] {
	return func(yield func(int64, int64) bool) {
		for i := range min(Blocks(size), Blocks(oldSize)) {
			if n := BlockLen(size, i); n == BlockLen(oldSize, i) && !yield(i, n) {
				return
			}
		}
	}
}
