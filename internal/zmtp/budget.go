package zmtp

import "sync"

// FrameCost is what every received frame counts, beyond its body, toward
// the message size limit and the Budget: the bookkeeping a frame costs
// whatever its length, so that a flood of empty frames is bounded like a
// flood of data.
const FrameCost = 64

// smallMessage is how much of a message is admitted without waiting for
// the Budget (it is still counted): requests and replies this small never
// wait behind large transfers, and each connection assembles one message
// at a time, so they stay bounded by the number of connections.
const smallMessage = 8 << 10

// Budget bounds the octets that received messages (their frame bodies and
// FrameCost per frame) hold at once across the connections sharing it,
// and the buffers that encrypted sends seal into: a reader waits for room
// before it reads a frame, so memory stays near the budget whatever peers
// send, and the rest waits in the kernel's socket buffers.
//
// A message already holding budget may need more to complete, and readers
// waiting on each other's half-read messages would deadlock; so one
// message at a time may overdraw. At most the budget plus one message
// (Options.MaxMessageSize) is held, plus a few KiB per connection.
type Budget struct {
	mu    sync.Mutex
	total int64
	used  int64         // octets held beyond small messages
	small int64         // octets held by small messages
	over  *Message      // the one message allowed to overdraw, if any
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
	return b.wait(done, func() bool {
		if b.used == 0 || b.used+n <= b.total {
			b.used += n
			return true
		}
		return false
	})
}

// grow takes n more octets for m, a message being received: at once while
// m's small frames stay within smallMessage (counted apart, so that small
// requests, and the small frames around a large body, never wait behind
// large ones) or there is room, by overdraft when m already holds budget and no
// other message overdraws, else after waiting. It reports false, having
// taken nothing, if done is closed first, and whether it took from the
// small allowance.
func (b *Budget) grow(done <-chan struct{}, m *Message, n int64) (ok, small bool) {
	ok = b.wait(done, func() bool {
		big := m.held - m.small
		small = false
		switch {
		case m.small+n <= smallMessage:
			b.small += n
			m.small += n
			small = true
		case b.used == 0, b.used+n <= b.total:
			b.used += n
		case big > 0 && (b.over == nil || b.over == m):
			b.over = m
			b.used += n
		default:
			return false
		}
		m.held += n
		return true
	})
	return ok, small
}

// wait calls try under the lock until it succeeds or done is closed.
func (b *Budget) wait(done <-chan struct{}, try func() bool) bool {
	for {
		b.mu.Lock()
		if try() {
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

// Release gives back n octets taken by Acquire.
func (b *Budget) Release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.freeLocked()
	b.mu.Unlock()
}

// releaseMessage gives back what m held, and the overdraft if m had it.
func (b *Budget) releaseMessage(m *Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.small -= m.small
	b.used -= m.held - m.small
	m.held, m.small = 0, 0
	if b.over == m {
		b.over = nil
	}
	b.freeLocked()
}

// freeLocked wakes every waiter to look again.
func (b *Budget) freeLocked() {
	close(b.freed)
	b.freed = make(chan struct{})
}

// Used returns the octets held now.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used + b.small
}

// ungrow gives back the n octets that m took last, for a frame it dropped;
// small says whether grow took them from the small allowance.
func (b *Budget) ungrow(m *Message, n int64, small bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if small {
		b.small -= n
		m.small -= n
	} else {
		b.used -= n
	}
	m.held -= n
	b.freeLocked()
}

// TryAcquire takes n octets if there is room now, without waiting, and
// reports whether it did.
func (b *Budget) TryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.total {
		return false
	}
	b.used += n
	return true
}
