package zmtp

import (
	"math/bits"
	"sync"
	"time"
)

// BufferPool supplies the buffers that frame bodies are read into and that
// encrypted frames are built in. Get returns a slice of length n; Put takes
// back a slice that Get returned once it is no longer used.
type BufferPool interface {
	Get(n int) []byte
	Put(b []byte)
}

// Pool sizes: bodies below minPooled are plain allocations; above, buffers
// come in classes of 2^k and 1.5*2^k octets, plus classSlack, so that a
// buffer wastes at most a third of its size and a power of two plus a
// frame's few octets of envelope (a CURVE box of a 4 MiB chunk) fits the
// class of the power of two.
const (
	minPooled   = 32 << 10
	maxPooledLg = 30 // 1 GiB
	classSlack  = 4 << 10
)

// DefaultPoolRetain is what a Pool made for Options that name none keeps.
const DefaultPoolRetain = 32 << 20

// DefaultPoolIdle is how long a Pool keeps free buffers nobody asks for.
const DefaultPoolIdle = 30 * time.Second

// Pool is the default BufferPool. It keeps the buffers put back, by size
// class, up to a bound in octets, and hands out the most recently put back
// first, so a transfer cycles through a few buffers whose pages are already
// mapped; new ones come mapped in (newBuffer). Unlike a
// sync.Pool, a collection does not empty it, so a server in steady use does
// not return memory to the system only to fault it back in; instead, free
// buffers are dropped once none has been asked for in DefaultPoolIdle, and by
// Drain.
type Pool struct {
	mu     sync.Mutex
	free   [2 * (maxPooledLg + 1)][][]byte // stacks, newest last
	held   int64                           // octets in free
	out    int64                           // octets of pooled classes handed out and not put back
	retain int64
	wait   time.Duration // how long free buffers may sit unasked for
	used   time.Time     // last Get or Put
	timer  *time.Timer

	// AfterIdle, if set before the pool is used, is called after free
	// buffers were dropped for want of use; a server gives the memory
	// back to the system there (debug.FreeOSMemory), which the Go runtime
	// otherwise does slowly, or, for memory in huge pages, not at all.
	AfterIdle func()

	// AfterDrop, if set before the pool is used, is called (outside the
	// pool's lock) after Get dropped free buffers of other classes to
	// stay within its bound. Those buffers are garbage beside the new
	// one until the collector runs, which a heap well under its limit
	// puts off: a server whose uploads filled the pool with chunk buffers
	// and whose downloads then want ranges of another size would map
	// both (measured, a server of 64 MiB budget after a 1 GiB set and
	// three compressed gets of it at once: 115-135 MiB without this,
	// 96-115 with it). A
	// server collects there (debug.FreeOSMemory). It is called at most
	// once in DropPause.
	AfterDrop func()
	dropped   time.Time // when AfterDrop was last called
}

// DropPause is the least time between two calls of a Pool's AfterDrop: a
// server whose uploads and downloads alternate drops buffers often, and
// its memory limit's collections bound what it maps meanwhile.
const DropPause = time.Second

// NewBufferPool returns a Pool that keeps at most retain octets of free
// buffers.
func NewBufferPool(retain int64) *Pool {
	return &Pool{retain: retain, wait: DefaultPoolIdle}
}

// class returns the index and capacity of the smallest class that holds n
// (n >= minPooled).
func class(n int) (int, int) {
	m := n - classSlack
	lg := bits.Len(uint(m - 1)) // 2^lg >= m
	if lg > 0 {
		if mid := 3 << (lg - 2); lg >= 2 && mid >= m {
			return 2*(lg-1) + 1, mid + classSlack
		}
	}
	return 2 * lg, 1<<lg + classSlack
}

// Get returns a buffer of length n.
func (p *Pool) Get(n int) []byte {
	if n < minPooled {
		return make([]byte, n)
	}
	i, size := class(n)
	if i >= len(p.free) {
		return make([]byte, n)
	}
	p.mu.Lock()
	p.used = time.Now()
	p.out += int64(size)
	if s := p.free[i]; len(s) > 0 {
		b := s[len(s)-1]
		s[len(s)-1] = nil
		p.free[i] = s[:len(s)-1]
		p.held -= int64(size)
		p.mu.Unlock()
		return b[:n]
	}
	// None free of this class. If the new one takes the pool past its
	// bound, the free buffers of other classes all go to the garbage
	// collector at once (a server's upload chunks and its download ranges
	// are of different sizes: once the work changed, the old size would
	// only be dropped piece by piece, each piece garbage beside a new
	// buffer), and AfterDrop collects them.
	dropped := p.held > 0 && p.held+p.out > p.retain
	if dropped {
		p.free = [len(p.free)][][]byte{}
		p.held = 0
	}
	var after func()
	if dropped && p.AfterDrop != nil && time.Since(p.dropped) >= DropPause {
		after, p.dropped = p.AfterDrop, time.Now()
	}
	p.mu.Unlock()
	if after != nil {
		after()
	}
	return newBuffer(size)[:n]
}

// Put takes back a buffer that Get returned; one of a size Get never
// returns, or beyond the bound, is left to the garbage collector. The
// bound counts the buffers still out as well as the free ones, so that
// the pool's buffers in all stay within it while they are in use: free
// buffers kept beside a full load of used ones would double what a
// server maps.
func (p *Pool) Put(b []byte) {
	c := cap(b)
	if c < minPooled {
		return
	}
	i, size := class(c)
	if size != c || i >= len(p.free) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out = max(0, p.out-int64(c))
	if p.held+p.out+int64(c) > p.retain {
		return
	}
	p.free[i] = append(p.free[i], b[:c])
	p.held += int64(c)
	p.used = time.Now()
	if p.timer == nil {
		p.timer = time.AfterFunc(p.wait, p.idle)
	}
}

// idle drops the free buffers if none was asked for in p.wait, else looks
// again when that much time has passed since the last use.
func (p *Pool) idle() {
	p.mu.Lock()
	if p.timer == nil { // drained meanwhile
		p.mu.Unlock()
		return
	}
	if wait := p.wait - time.Since(p.used); wait > 0 {
		p.timer.Reset(wait)
		p.mu.Unlock()
		return
	}
	p.dropLocked()
	after := p.AfterIdle
	p.mu.Unlock()
	if after != nil {
		after()
	}
}

// Drain drops the free buffers now (a client or server that is done).
func (p *Pool) Drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropLocked()
}

func (p *Pool) dropLocked() {
	p.free = [len(p.free)][][]byte{}
	p.held = 0
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
}
