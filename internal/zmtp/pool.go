package zmtp

import (
	"math/bits"
	"sync"
)

// BufferPool supplies the buffers that frame bodies are read into and that
// encrypted frames are built in. Get returns a slice of length n; Put takes
// back a slice that Get returned once it is no longer used.
type BufferPool interface {
	Get(n int) []byte
	Put(b []byte)
}

// Pool sizes: bodies below minPooled are plain allocations; above, buffers
// come in classes of 2^k and 1.5*2^k octets so that a buffer wastes at most a
// third of its size.
const (
	minPooled   = 32 << 10
	maxPooledLg = 30 // 1 GiB
)

// classPool is the default BufferPool: one sync.Pool per size class.
type classPool struct {
	pools [2 * (maxPooledLg + 1)]sync.Pool
}

// NewBufferPool returns a BufferPool that recycles buffers by size class.
func NewBufferPool() BufferPool { return new(classPool) }

// class returns the index and capacity of the smallest class that holds n.
func class(n int) (int, int) {
	lg := bits.Len(uint(n - 1)) // 2^lg >= n
	if lg > 0 {
		if mid := 3 << (lg - 2); lg >= 2 && mid >= n {
			return 2*(lg-1) + 1, mid
		}
	}
	return 2 * lg, 1 << lg
}

func (p *classPool) Get(n int) []byte {
	if n < minPooled {
		return make([]byte, n)
	}
	i, size := class(n)
	if i >= len(p.pools) {
		return make([]byte, n)
	}
	if b, ok := p.pools[i].Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return make([]byte, n, size)
}

func (p *classPool) Put(b []byte) {
	c := cap(b)
	if c < minPooled {
		return
	}
	i, size := class(c)
	if size != c || i >= len(p.pools) {
		return
	}
	b = b[:c]
	p.pools[i].Put(&b)
}
