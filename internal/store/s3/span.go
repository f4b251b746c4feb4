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
// opens a span to the version's end, and the ranges that follow queue on
// it and read on in turn. A download's connections ask for their ranges
// at once, so they arrive a little out of order: a range may join a span
// ahead of the ranges queued there, leaving a gap of at most maxGap that
// the range it misses fills when it comes. A gap nobody fills (its range
// was read on its own before the span began, or never comes) is passed
// over, at once when a range read on its own covers it, else after
// gapWait: read and dropped when short, else by a new response from the
// next range on (object.onSpan). Ranges out of order with no span to join
// (a resumed download) are each read with a request of their own.
const (
	maxSpans = 4        // per open version; the least recently used idle one goes
	seenEnds = 16       // recent range ends remembered to recognise order
	seenSolo = 16       // recent ranges read on their own, remembered
	maxGap   = 32 << 20 // how far past a span's queue a range may join it
	gapWait  = 50 * time.Millisecond
)

// claim is a range [off, off+n) of a version.
type claim struct{ off, n int64 }

// stream is one span: a long response of an open version that ranges
// read in turn. pos is where the response stands; front is where it will
// stand once the range reading it is done; queue holds the ranges waiting
// their turn. A span that moves nothing
// for the store's timeout, held or idle, is closed, as a single range read
// would have timed out; so is one whose queue breaks (a range that gave up
// waiting, or stopped part way).
type stream struct {
	body     io.ReadCloser // nil until the response arrives
	stop     func()        // cancels the response
	idle     *time.Timer
	pos      int64
	front    int64
	queue    []claim
	end      int64
	limit    int64 // where the queue broke (a range gave up): end until then
	busy     bool
	dead     bool
	since    time.Time
	gapAt    int64     // the position a gap was first seen at
	gapSince time.Time // and when
}

// takes reports whether range [off, off+n) may queue on s: not yet passed,
// before its limit, at most maxGap past its queue, overlapping no range
// queued there.
func (s *stream) takes(off, n int64) bool {
	if s.dead || off < s.front || off+n > s.limit {
		return false
	}
	reach := s.front // the furthest end claimed
	for _, q := range s.queue {
		if off < q.off+q.n && q.off < off+n {
			return false
		}
		reach = max(reach, q.off+q.n)
	}
	return off <= reach+maxGap
}

// first is the lowest offset queued on s, or -1.
func (s *stream) first() int64 {
	low := int64(-1)
	for _, q := range s.queue {
		if low < 0 || q.off < low {
			low = q.off
		}
	}
	return low
}

// unqueue takes the range at off off s's queue, and returns its length.
func (s *stream) unqueue(off int64) int64 {
	for i, q := range s.queue {
		if q.off == off {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			return q.n
		}
	}
	return 0
}

// spans are an open version's spans, the ends of its recent ranges and
// the recent ranges read on their own.
type spans struct {
	mu      sync.Mutex
	list    []*stream
	ends    [seenEnds]int64
	nends   int
	solo    [seenSolo]claim
	nsolo   int
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

// alone remembers a range read on its own. Called with mu held.
func (sp *spans) alone(off, n int64) {
	sp.solo[sp.nsolo%seenSolo] = claim{off, n}
	sp.nsolo++
}

// readAlone reports whether [from, to) is covered by ranges recently read
// on their own. Called with mu held.
func (sp *spans) readAlone(from, to int64) bool {
	for range seenSolo {
		if from >= to {
			return true
		}
		next := from // the furthest end of a range covering from
		for i := range min(sp.nsolo, seenSolo) {
			if q := sp.solo[i]; q.off <= from && from < q.off+q.n {
				next = max(next, q.off+q.n)
			}
		}
		if next == from {
			return false
		}
		from = next
	}
	return from >= to
}

// readingAlone remembers a range that joined a span but reads on its own
// after all (the span broke, or its response could not be had).
func (sp *spans) readingAlone(off, n int64) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.alone(off, n)
}

// wake tells queued ranges that a span changed. Called with mu held.
func (sp *spans) wake() {
	if sp.changed != nil {
		close(sp.changed)
	}
	sp.changed = make(chan struct{})
}

// join queues a range [off, off+n) on a span that takes it, or on a new
// span when the range is in order and there is room for one (opened is
// then true: the caller opens its response, and calls ready or kill). It
// returns nil when the range is to be read on its own.
func (sp *spans) join(off, n, size int64) (s *stream, opened bool) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.closed {
		return nil, false
	}
	inOrder := sp.inOrder(off, off+n)
	for _, c := range sp.list {
		if c.takes(off, n) {
			c.queue = append(c.queue, claim{off, n})
			return c, false
		}
	}
	if !inOrder {
		sp.alone(off, n)
		return nil, false
	}
	if len(sp.list) >= maxSpans {
		old := -1
		for i, c := range sp.list {
			if !c.busy && len(c.queue) == 0 && (old < 0 || c.since.Before(sp.list[old].since)) {
				old = i
			}
		}
		if old < 0 {
			sp.alone(off, n)
			return nil, false
		}
		sp.drop(old)
	}
	s = &stream{pos: off, front: off + n, end: size, limit: size, busy: true, gapAt: -1}
	sp.list = append(sp.list, s)
	return s, true
}

// ready gives a span its response: a new span's, held by the range that
// opened it, or a new one its holder moved on to (the old one is closed).
// False when the span broke meanwhile (the response is then closed).
func (sp *spans) ready(s *stream, body io.ReadCloser, stop func(), quiet time.Duration) bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if s.dead {
		stop()
		_ = body.Close()
		return false
	}
	if s.body != nil {
		s.stop()
		_ = s.body.Close()
	}
	s.body, s.stop = body, stop
	if s.idle == nil {
		s.idle = time.AfterFunc(quiet, func() { sp.expire(s) })
	}
	return true
}

// wait waits until the range queued at off may read the span: the ranges
// before it are done, or the gap before it, which no range fills, is to be
// read past (skip octets, which the range drops before its own). It
// returns false when the span broke or ctx ended; then the ranges queued
// behind this one could never have their turn, and read on their own,
// while those before it still read the span.
func (sp *spans) wait(ctx context.Context, s *stream, off int64) (skip int64, ok bool) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for {
		if s.dead || off >= s.limit || off < s.pos {
			s.unqueue(off)
			return 0, false
		}
		var gap <-chan time.Time
		if !s.busy && (s.pos == off || s.pos < off && s.first() == off) {
			if s.gapAt != s.pos {
				s.gapAt, s.gapSince = s.pos, time.Now()
			}
			left := gapWait - time.Since(s.gapSince)
			if s.pos == off || left <= 0 || sp.readAlone(s.pos, off) {
				n := s.unqueue(off)
				s.busy = true
				s.front = off + n
				return off - s.pos, true
			}
			if timer == nil {
				timer = time.NewTimer(left)
			} else {
				timer.Reset(left)
			}
			gap = timer.C
		}
		if sp.changed == nil {
			sp.wake()
		}
		ch := sp.changed
		sp.mu.Unlock()
		select {
		case <-ch:
			sp.mu.Lock()
		case <-gap:
			sp.mu.Lock()
		case <-ctx.Done():
			sp.mu.Lock()
			s.unqueue(off)
			s.limit = min(s.limit, off)
			if !s.busy && s.pos >= s.limit {
				sp.kill(s)
			}
			sp.wake()
			return 0, false
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

// release hands a span on after a range read n octets from it (those it
// dropped first included): whole is true when the range was read to its
// end, false when it stopped part way (the span's position is then lost:
// it breaks).
func (sp *spans) release(s *stream, n int64, whole bool) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	s.busy = false
	s.since = time.Now()
	s.pos += n
	s.front = s.pos
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

// spanRange is one range read from a span, in its turn: skip octets
// before it, a gap nobody fills, are dropped first.
type spanRange struct {
	sp    *spans
	s     *stream
	gap   int64 // octets before the range to drop
	skip  int64 // of those, still to drop
	n     int64
	left  int64
	key   string
	quiet time.Duration
	done  bool
}

// pass drops the gap before the range, if it has not yet.
func (r *spanRange) pass() error {
	if r.skip == 0 {
		return nil
	}
	buf := make([]byte, min(r.skip, 256<<10))
	for r.skip > 0 {
		k, err := readLeft(r.s.body, buf[:min(r.skip, int64(len(buf)))], &r.skip, r.key)
		if k > 0 {
			r.s.idle.Reset(r.quiet)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *spanRange) Read(p []byte) (int, error) {
	if err := r.pass(); err != nil {
		return 0, err
	}
	n, err := readLeft(r.s.body, p, &r.left, r.key)
	if n > 0 {
		r.s.idle.Reset(r.quiet)
	}
	return n, err
}

// PassTo implements store.Passer: each piece passed on counts as the span
// moving, as a Read does.
func (r *spanRange) PassTo(w io.Writer) (int64, bool, error) {
	if err := r.pass(); err != nil {
		return 0, true, err
	}
	return passRange(r.s.body, w, &r.left, r.key, func() { r.s.idle.Reset(r.quiet) })
}

func (r *spanRange) Close() error {
	if !r.done {
		r.done = true
		r.sp.release(r.s, r.gap-r.skip+r.n-r.left, r.skip == 0 && r.left == 0)
	}
	return nil
}
