package server

import (
	"testing"

	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// A server's pool keeps a full budget of chunks in use: taken, put back
// and taken again, they are the same buffers, not new ones (a pool bounded
// by the budget itself kept 15 of 16 4 MiB chunks, whose size class is 4
// KiB larger, and made the 16th anew each time).
func TestPoolKeepsAFullBudget(t *testing.T) {
	for _, limit := range []int64{4 << 20, DefaultMemoryLimit, 256 << 20} {
		p := zmtp.NewBufferPool(poolRetain(limit))
		n := int(limit / (4 << 20))
		seen := map[*byte]bool{}
		var bufs [][]byte
		for range n {
			b := p.Get(4 << 20)
			seen[&b[0]] = true
			bufs = append(bufs, b)
		}
		for _, b := range bufs {
			p.Put(b)
		}
		for range n {
			b := p.Get(4 << 20)
			if !seen[&b[0]] {
				t.Fatalf("budget %d MiB: a chunk buffer was made anew with %d in use", limit>>20, n)
			}
			defer p.Put(b)
		}
		p.Drain()
	}
}
