package server

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupSync: every caller returns only after a flush that began after
// it called, and concurrent callers share flushes.
func TestGroupSync(t *testing.T) {
	g := newGroupSync()
	var flushes atomic.Int64
	var wrote atomic.Int64 // writes made; a flush records how many it covered
	var covered atomic.Int64
	flush := func() error {
		covered.Store(wrote.Load())
		flushes.Add(1)
		time.Sleep(2 * time.Millisecond) // a flush takes a while
		return nil
	}
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			n := wrote.Add(1)
			if err := g.sync(flush); err != nil {
				t.Error(err)
			}
			if covered.Load() < n {
				t.Errorf("returned before a flush covered write %d (covered %d)", n, covered.Load())
			}
		})
	}
	wg.Wait()
	if f := flushes.Load(); f == 0 || f > 32 {
		t.Fatalf("%d flushes for 64 concurrent callers: not shared", f)
	}
	t.Logf("%d flushes for 64 concurrent callers", flushes.Load())
}
