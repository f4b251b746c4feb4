package s3

import (
	"context"
	"io"
	"sync"
	"time"
)

// A store charges for every request: SeaweedFS spends about as much CPU
// on one ranged GET as on moving 2 MiB (measured: 1 GiB read in 4 MiB
// ranges cost it 1.8 CPU-seconds, in 64 MiB ranges 1.0, in one GET 1.0).
// So an open version read range after range in order, as a download is,
// is read through one long response (a span) that the ranges queue on,
// like a file's readahead: a range that starts where an earlier one ended
// opens a span up to spanLen octets long, and the ranges that follow it in
// order queue behind it and read on in turn. Ranges out of order (a
// resumed download, one spread over several servers) are each read with a
// request of their own.
const (
	spanLen  = 128 << 20
	maxSpans = 4  // per open version; the least recently used idle one goes
	seenEnds = 16 // recent range ends remembered to recognise order
)

// stream is one span: a long response of an open version that ranges
// read in turn. pos is where the response stands; tail is where it will
// stand once every range queued on it has been read. A span that moves
// nothing for the store's timeout, held or idle, is closed, as a single
// range read would have timed out; so is one whose queue breaks (a range
// that gave up waiting, or stopped part way).
type stream struct {
	body  io.ReadCloser // nil until the response arrives
	stop  func()        // cancels the response
	idle  *time.Timer
	pos   int64
	tail  int64
	end   int64
	limit int64 // where the queue broke (a range gave up): end until then
	busy  bool
	dead  bool
	since time.Time
}

// spans are an open version's spans and the ends of its recent ranges.
type spans struct {
	mu      sync.Mutex
	list    []*stream
	ends    [seenEnds]int64
	nends   int
	changed chan struct{} // closed and replaced when a span changes hands
	closed  bool
}

// inOrder remembers that a range [start, end) was asked for, and reports
// whether an earlier one ended at start. Called with mu held.
func (sp *spans) inOrder(start, end int64) bool {
	found := false
	for i := range min(sp.nends, seenEnds) {
		if sp.ends[i] == start {
			found = true
		}
	}
	sp.ends[sp.nends%seenEnds] = end
	sp.nends++
	return found
}

// wake tells queued ranges that a span changed. Called with mu held.
func (sp *spans) wake() {
	if sp.changed != nil {
		close(sp.changed)
	}
	sp.changed = make(chan struct{})
}

// join queues a range [off, off+n) on the span whose queue ends at off, or
// on a new span when the range is in order and there is room for one
// (opened is then true: the caller opens its response, and calls ready or
// kill). It returns nil when the range is to be read on its own.
func (sp *spans) join(off, n, size int64) (s *stream, opened bool) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.closed {
		return nil, false
	}
	inOrder := sp.inOrder(off, off+n)
	for _, c := range sp.list {
		if !c.dead && c.tail == off && off+n <= c.end {
			c.tail = off + n
			return c, false
		}
	}
	if !inOrder {
		return nil, false
	}
	if len(sp.list) >= maxSpans {
		old := -1
		for i, c := range sp.list {
			if !c.busy && c.tail == c.pos && (old < 0 || c.since.Before(sp.list[old].since)) {
				old = i
			}
		}
		if old < 0 {
			return nil, false
		}
		sp.drop(old)
	}
	end := min(size, off+max(n, spanLen))
	s = &stream{pos: off, tail: off + n, end: end, limit: end, busy: true}
	sp.list = append(sp.list, s)
	return s, true
}

// ready gives a new span its response, held by the range that opened it;
// false when the span broke meanwhile (the response is then closed).
func (sp *spans) ready(s *stream, body io.ReadCloser, stop func(), quiet time.Duration) bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if s.dead {
		stop()
		_ = body.Close()
		return false
	}
	s.body, s.stop = body, stop
	s.idle = time.AfterFunc(quiet, func() { sp.expire(s) })
	return true
}

// wait waits until the range queued at off may read the span: the ranges
// before it are done. It returns false when the span broke or ctx ended;
// then the ranges queued behind this one could never have their turn, and
// read on their own, while those before it still read the span.
func (sp *spans) wait(ctx context.Context, s *stream, off int64) bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for {
		if s.dead || off >= s.limit {
			return false
		}
		if !s.busy && s.pos == off {
			s.busy = true
			return true
		}
		if sp.changed == nil {
			sp.wake()
		}
		ch := sp.changed
		sp.mu.Unlock()
		select {
		case <-ch:
			sp.mu.Lock()
		case <-ctx.Done():
			sp.mu.Lock()
			s.limit = min(s.limit, off)
			s.tail = -1 // nothing joins a broken queue
			if !s.busy && s.pos >= s.limit {
				sp.kill(s)
			}
			sp.wake()
			return false
		}
	}
}

// kill breaks a span: it is closed and every range queued on it reads on
// its own. Called with mu held.
func (sp *spans) kill(s *stream) {
	for i, c := range sp.list {
		if c == s {
			sp.list = append(sp.list[:i], sp.list[i+1:]...)
			break
		}
	}
	s.dead = true
	sp.closeStream(s)
	sp.wake()
}

// drop closes the i-th span and forgets it. Called with mu held.
func (sp *spans) drop(i int) {
	s := sp.list[i]
	s.dead = true
	sp.closeStream(s)
	sp.list = append(sp.list[:i], sp.list[i+1:]...)
}

// closeStream ends a dead span's response, if it has one yet: at once when
// no range reads it, else by cancelling it (its holder's read then fails,
// and release closes it). Called with mu held.
func (sp *spans) closeStream(s *stream) {
	if s.body == nil {
		return
	}
	s.stop()
	if s.busy {
		return
	}
	s.idle.Stop()
	_ = s.body.Close()
	s.body = nil
}

// release hands a span on after a range read from it: whole is true when
// the range was read to its end, false when it stopped part way (the
// span's position is then lost: it breaks).
func (sp *spans) release(s *stream, n int64, whole bool) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	s.busy = false
	s.since = time.Now()
	s.pos += n
	if !whole || s.pos >= s.limit {
		sp.kill(s)
		return
	}
	sp.wake()
}

// expire closes a span that moved nothing for the store's timeout: an
// idle one at once, a held one by cancelling its response, so that its
// holder's read fails and release breaks it.
func (sp *spans) expire(s *stream) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if s.busy && s.stop != nil {
		s.stop()
		return
	}
	sp.kill(s)
}

// closeAll lets every span go, when the version is closed.
func (sp *spans) closeAll() {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.closed = true
	for len(sp.list) > 0 {
		sp.drop(len(sp.list) - 1)
	}
	sp.wake()
}

// spanRange is one range read from a span, in its turn.
type spanRange struct {
	sp    *spans
	s     *stream
	n     int64
	left  int64
	key   string
	quiet time.Duration
	done  bool
}

func (r *spanRange) Read(p []byte) (int, error) {
	n, err := readLeft(r.s.body, p, &r.left, r.key)
	if n > 0 {
		r.s.idle.Reset(r.quiet)
	}
	return n, err
}

// PassTo implements store.Passer: each piece passed on counts as the span
// moving, as a Read does.
func (r *spanRange) PassTo(w io.Writer) (int64, bool, error) {
	return passRange(r.s.body, w, &r.left, r.key, func() { r.s.idle.Reset(r.quiet) })
}

func (r *spanRange) Close() error {
	if !r.done {
		r.done = true
		r.sp.release(r.s, r.n-r.left, r.left == 0)
	}
	return nil
}
