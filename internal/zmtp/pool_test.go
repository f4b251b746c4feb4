package zmtp

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestPoolClasses(t *testing.T) {
	prev := 0
	for _, n := range []int{minPooled, minPooled + 1, 48 << 10, 1 << 20, 4 << 20, 4<<20 + 33, 4<<20 + classSlack, 4<<20 + classSlack + 1, 6 << 20, 1 << 30} {
		i, size := class(n)
		if size < n {
			t.Fatalf("class(%d) = %d octets, too small", n, size)
		}
		if waste := size - n; waste > (n-classSlack)/2+classSlack {
			t.Errorf("class(%d) = %d octets, wastes %d", n, size, waste)
		}
		if j, again := class(size); j != i || again != size {
			t.Errorf("class(%d) = %d, %d; class of its capacity = %d, %d", n, i, size, j, again)
		}
		if size < prev {
			t.Errorf("class(%d) = %d octets, smaller than the class before it", n, size)
		}
		prev = size
	}
	// A 4 MiB chunk in a CURVE box fits the 4 MiB class.
	if _, a := class(4 << 20); a != 4<<20+classSlack {
		t.Errorf("4 MiB class holds %d octets", a)
	}
	if _, a := class(4<<20 + 33); a != 4<<20+classSlack {
		t.Errorf("a boxed 4 MiB chunk takes a %d-octet buffer", a)
	}
}

func TestPoolReusesNewestAndBounds(t *testing.T) {
	p := NewBufferPool(16 << 20)
	defer p.Drain()
	a, b := p.Get(4<<20), p.Get(4<<20)
	if len(a) != 4<<20 || &a[:cap(a)][cap(a)-1] == &b[:cap(b)][cap(b)-1] {
		t.Fatal("Get returned a short or shared buffer")
	}
	p.Put(a)
	p.Put(b)
	small, three := p.Get(100<<10), p.Get(3<<20)
	if cap(small) >= 4<<20 {
		t.Fatal("a small request took a large buffer")
	}
	if &three[0] == &b[0] {
		t.Fatal("a 3 MiB request took a buffer of the 4 MiB class")
	}
	if c := p.Get(4 << 20); &c[0] != &b[0] {
		t.Fatal("Get did not return the buffer put back last")
	}
	p.Put(small)
	p.Put(three)
	p.Put(b)
	// The bound: three 4 MiB buffers do not fit in 10 MiB, and a
	// capacity Get never returns is not kept.
	p = NewBufferPool(10 << 20)
	defer p.Drain()
	p.Put(make([]byte, 4<<20+classSlack))
	p.Put(make([]byte, 4<<20+classSlack))
	p.Put(make([]byte, 5<<20))
	if held := poolHeld(p); held != 2*(4<<20+classSlack) {
		t.Fatalf("pool holds %d octets, want two 4 MiB buffers", held)
	}
	p.Drain()
	if held := poolHeld(p); held != 0 {
		t.Fatalf("pool holds %d octets after Drain", held)
	}
}

// Buffers out count against the bound: free ones are not kept beside a
// full load of used ones, so that both together stay within it.
func TestPoolBoundCountsBuffersOut(t *testing.T) {
	const size = 4<<20 + classSlack
	p := NewBufferPool(4 * size)
	defer p.Drain()
	var out [][]byte
	for range 4 {
		out = append(out, p.Get(4<<20))
	}
	for _, b := range out {
		p.Put(b)
	}
	if held := poolHeld(p); held != 4*size {
		t.Fatalf("pool holds %d octets, want the four buffers put back", held)
	}
	out = out[:0]
	for range 6 { // four from the pool, two new
		out = append(out, p.Get(4<<20))
	}
	p.Put(out[4])
	p.Put(out[5])
	if held := poolHeld(p); held != 0 {
		t.Fatalf("pool keeps %d octets beside four buffers out, want none", held)
	}
	for _, b := range out[:4] {
		p.Put(b)
	}
	if held := poolHeld(p); held != 4*size {
		t.Fatalf("pool holds %d octets once all are back, want four buffers", held)
	}
	// A buffer of another class is made room for: the free 4 MiB ones
	// that, with it, would exceed the bound are let go.
	big := p.Get(12 << 20)
	if held := poolHeld(p); held > 4*size-int64(cap(big)) {
		t.Fatalf("pool keeps %d octets of free buffers beside a %d-octet one out, over its bound %d", held, cap(big), 4*size)
	}
	p.Put(big)
}

func TestPoolDropsIdleBuffers(t *testing.T) {
	p := NewBufferPool(10 << 20)
	p.wait = 20 * time.Millisecond
	var after atomic.Int32
	p.AfterIdle = func() { after.Add(1) }
	p.Put(p.Get(1 << 20))
	if poolHeld(p) == 0 {
		t.Fatal("pool kept nothing")
	}
	deadline := time.Now().Add(10 * time.Second)
	for poolHeld(p) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("idle buffers still held after 10 s")
		}
		runtime.Gosched()
	}
	for after.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("AfterIdle not called after the idle drop")
		}
		runtime.Gosched()
	}
	// And it keeps buffers again afterwards.
	p.Put(p.Get(1 << 20))
	if poolHeld(p) == 0 {
		t.Fatal("pool kept nothing after an idle drop")
	}
	p.Drain()
}

func poolHeld(p *Pool) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

func TestNewBufferIsZeroedAndWholeSize(t *testing.T) {
	for _, size := range []int{minPooled + classSlack, 1<<20 + classSlack, 4<<20 + classSlack, 6<<20 + classSlack} {
		b := newBuffer(size)
		if len(b) != size || cap(b) != size {
			t.Fatalf("newBuffer(%d): len %d cap %d", size, len(b), cap(b))
		}
		for i := 0; i < size; i += 997 {
			if b[i] != 0 {
				t.Fatalf("newBuffer(%d): octet %d is %d", size, i, b[i])
			}
		}
		b[0], b[size-1] = 1, 1 // writable to both ends
	}
}

func TestPoolCollectsWhenBufferSizeChanges(t *testing.T) {
	const size = 4<<20 + classSlack
	p := NewBufferPool(4 * size)
	calls := 0
	p.AfterDrop = func() {
		calls++
		if held := poolHeld(p); held != 0 {
			t.Errorf("AfterDrop called with %d octets still free in the pool", held)
		}
	}
	p.Put(p.Get(4 << 20))
	x, y := p.Get(4<<20), p.Get(4<<20)
	p.Put(x)
	p.Put(y)
	// Within the bound: nothing dropped, nothing collected.
	a := p.Get(8 << 20)
	if calls != 0 {
		t.Fatalf("AfterDrop called %d times when nothing was dropped", calls)
	}
	// Past it: every free buffer of the old size goes, one collection.
	b := p.Get(8 << 20)
	if calls != 1 {
		t.Fatalf("AfterDrop called %d times after the 4 MiB buffers were dropped, want 1", calls)
	}
	if held := poolHeld(p); held != 0 {
		t.Fatalf("pool keeps %d octets of 4 MiB buffers beside two 8 MiB ones", held)
	}
	p.Put(a)
	p.Put(b)
	// Another switch within DropPause drops again but does not collect.
	c := p.Get(4 << 20)
	_ = p.Get(4 << 20)
	if poolHeld(p) != 0 {
		t.Fatal("8 MiB buffers kept past the bound")
	}
	if calls != 1 {
		t.Fatalf("AfterDrop called %d times within DropPause, want 1", calls)
	}
	p.Put(c)
}
