package server

import "sync"

// groupSync shares flushes among the requests that need one at the same
// time (group commit): a request waits for a flush that starts after its
// own writes, and every request waiting then shares that one. Batches of
// small files arriving on several connections thus cost one syncfs
// between them instead of one each.
type groupSync struct {
	mu      sync.Mutex
	cond    *sync.Cond
	running bool
	started uint64 // flushes begun
	done    uint64 // the last flush finished
	err     error  // its outcome
}

func newGroupSync() *groupSync {
	g := &groupSync{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// sync returns once a flush (flush) that began after the call has
// finished, with its error.
func (g *groupSync) sync(flush func() error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// A flush running now began before our writes: we need the next.
	target := g.started + 1
	for g.done < target {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		n := g.started
		g.mu.Unlock()
		err := flush()
		g.mu.Lock()
		g.running, g.done, g.err = false, n, err
		g.cond.Broadcast()
	}
	return g.err
}
