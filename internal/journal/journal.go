// Package journal is the record kept beside a partial file so that a
// transfer can resume: a header line that says what the file will be,
// then one fixed-size record per verified block (its index and hash, and
// a check that tells a torn last record from a whole one).
package journal

import (
	"bytes"
	"encoding/binary"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/zeebo/xxh3"
)

// RecordSize is the length of one block record: index (8 octets,
// big-endian), hash (16), and the XXH3-64 of those 24 (8).
const RecordSize = 32

// Header is the journal's first line: h followed by a newline. h must hold
// no newline (JSON does not).
func Header(h []byte) []byte { return append(append([]byte{}, h...), '\n') }

// AppendRecord appends the record of block i with hash s to b.
func AppendRecord(b []byte, i int64, s digest.Sum) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint64(b, uint64(i))
	b = append(b, s[:]...)
	return binary.BigEndian.AppendUint64(b, xxh3.Hash(b[start:]))
}

// Parse splits a journal into its header and the blocks it records, the
// last record for a block winning. Blocks at or past n are ignored, and
// so is everything from the first damaged record on. ok is false when
// there is no header line.
func Parse(data []byte, n int64) (header []byte, blocks map[int64]digest.Sum, ok bool) {
	header, rest, ok := bytes.Cut(data, []byte{'\n'})
	if !ok {
		return nil, nil, false
	}
	blocks = map[int64]digest.Sum{}
	if n <= 0 {
		return header, blocks, true
	}
	for ; len(rest) >= RecordSize; rest = rest[RecordSize:] {
		r := rest[:RecordSize]
		if binary.BigEndian.Uint64(r[24:]) != xxh3.Hash(r[:24]) {
			break
		}
		i := binary.BigEndian.Uint64(r)
		if i < uint64(n) {
			blocks[int64(i)] = digest.Sum(r[8:24])
		}
	}
	return header, blocks, true
}
