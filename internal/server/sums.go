package server

import (
	"encoding/binary"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/store"
)

// A published file's block hashes are recorded beside it
// (store.CommitOptions.Sums), so that a delta upload against it (seed)
// lists them without reading the file. The record is sumsVersion, the
// size as a uvarint, the modification time (ns) as a varint, then each
// block's hash; like fileMeta it is trusted only while the file's size
// and time are still the recorded ones, and a block that then copies
// with another hash drops it (materialize).
const sumsVersion = 1

// encodeSums returns the record of a file's block hashes, or nil for a
// file of one block (nothing a delta could save) or too many to keep.
func encodeSums(size, mtime int64, blocks []digest.Sum) []byte {
	if len(blocks) < 2 {
		return nil
	}
	b := make([]byte, 1, 1+2*binary.MaxVarintLen64+len(blocks)*digest.Size)
	b[0] = sumsVersion
	b = binary.AppendUvarint(b, uint64(size))
	b = binary.AppendVarint(b, mtime)
	for _, s := range blocks {
		b = append(b, s[:]...)
	}
	if len(b) > store.MaxSums {
		return nil
	}
	return b
}

// recordedSums returns the block hashes recorded with an open version,
// by block, or nil when it has none or they are stale.
func recordedSums(obj store.Object) []digest.Sum {
	k, ok := obj.(store.SumsKeeper)
	if !ok {
		return nil
	}
	raw := k.Sums()
	if len(raw) < 2 || raw[0] != sumsVersion {
		return nil
	}
	b := raw[1:]
	size, n := binary.Uvarint(b)
	if n <= 0 {
		return nil
	}
	b = b[n:]
	mtime, n := binary.Varint(b)
	if n <= 0 {
		return nil
	}
	b = b[n:]
	in := obj.Info()
	if size != uint64(in.Size) || mtime != in.ModTime.UnixNano() || int64(len(b)) != digest.Blocks(in.Size)*digest.Size {
		return nil
	}
	sums := make([]digest.Sum, len(b)/digest.Size)
	for i := range sums {
		copy(sums[i][:], b[i*digest.Size:])
	}
	return sums
}
