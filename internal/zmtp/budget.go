package zmtp

import "sync"

// Budget bounds the octets of frame bodies that connections sharing it may
// hold at once: a reader waits for room before it reads the first large
// frame of a message, so a server's memory stays near its budget whatever
// its clients send, and the rest waits in the kernel's socket buffers.
//
// Later frames of a message that already holds budget are read without
// waiting (an overdraft, bounded by the message size limit), so readers
// cannot deadlock waiting on each other's half-read messages.
type Budget struct {
	mu    sync.Mutex
	total int64
	used  int64
	freed chan struct{} // closed and replaced whenever budget is released
}

// NewBudget returns a budget of n octets.
func NewBudget(n int64) *Budget {
	return &Budget{total: n, freed: make(chan struct{})}
}

// Acquire takes n octets, waiting while the budget is spent; a request
// larger than the whole budget waits until nothing else is held. It returns
// false, having taken nothing, if done is closed first.
func (b *Budget) Acquire(done <-chan struct{}, n int64) bool {
	for {
		b.mu.Lock()
		if b.used == 0 || b.used+n <= b.total {
			b.used += n
			b.mu.Unlock()
			return true
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-done:
			return false
		}
	}
}

// Overdraw takes n octets without waiting.
func (b *Budget) Overdraw(n int64) {
	b.mu.Lock()
	b.used += n
	b.mu.Unlock()
}

// Release gives back n octets.
func (b *Budget) Release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// Used returns the octets held now.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
