package zmtp

import (
	"errors"
	"io"
	"os"
	"time"
)

// A large frame body arrives over many TCP segments, and a reader waiting
// on the socket is woken at each: on loopback the sender's CPU does that
// waking, and the two cores of a small machine that also run the sender
// and an object store pay for every wake-up (measured: three 1 GiB
// downloads through three object-store servers at once took 5.5 % fewer
// CPU-seconds in all, the servers' share a fifth fewer, clients with and
// without the mark in turns). So while a body is read, the socket's
// receive low-water mark (SO_RCVLOWAT, Linux) asks the kernel to wake
// the reader only once a share of the body has arrived: what the
// connection brought in
// lowWaterSpan at the pace it has shown, at most maxLowWater, never more
// than the body still owes (its end would otherwise never wake anyone),
// and nothing below minLowWater (a slow link gains nothing, and a
// sudden slowdown must not hold octets that have arrived for long).
const (
	lowWaterSpan = 10 * time.Millisecond
	minLowWater  = 64 << 10
	maxLowWater  = 1 << 20
	minLowBody   = 4 * minLowWater // smaller bodies are read as they come
)

// lowWater follows one connection's pace and sets its socket's mark
// through sock (lowwater_sock.go; lowwater_none.go sets nothing); it
// belongs to the reader goroutine.
type lowWater struct {
	sock  lowWaterSock
	set   int       // the mark set; 1 (the kernel's default) when none
	rate  float64   // octets a second the last body came at; 0 unknown
	start time.Time // when the body being read began
	got   int64     // octets of it read so far
}

// begin starts a body.
func (l *lowWater) begin() {
	l.start, l.got = time.Now(), 0
}

// owe sets the mark for a wait with n octets of the body still owed.
func (l *lowWater) owe(n int64) {
	want := int64(l.rate * lowWaterSpan.Seconds())
	want = min(want, maxLowWater, n)
	if want < minLowWater {
		want = 1
	}
	if int(want) != l.set && l.sock.mark(int(want)) {
		l.set = int(want)
	}
}

// read notes k octets of the body read.
func (l *lowWater) read(k int) {
	l.got += int64(k)
	if el := time.Since(l.start); el > 0 && l.got >= minLowWater {
		l.rate = float64(l.got) / el.Seconds()
	}
}

// end puts the mark back: what follows a body (a frame header) may be
// all the peer sends.
func (l *lowWater) end() {
	if l.set > 1 && l.sock.mark(1) {
		l.set = 1
	}
}

// bodyReader reads a body of n octets from r under l's mark.
type bodyReader struct {
	r io.Reader
	l *lowWater
	n int64
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	b.l.owe(b.n)
	k, err := b.r.Read(p)
	if k == 0 && errors.Is(err, os.ErrDeadlineExceeded) && b.l.set > 1 && b.l.sock.queued() {
		// Octets came, but fewer than the mark before the reader's
		// idle timeout (the link slowed): they count as arrived.
		b.l.end()
		k, err = b.r.Read(p)
	}
	b.n -= int64(k)
	b.l.read(k)
	return k, err
}

// readBody reads len(p) octets of a body from r under the connection's
// mark; bodies under minLowBody are read as they come.
func readBody(r io.Reader, lw *lowWater, p []byte) error {
	if len(p) < minLowBody || !lw.sock.ok() {
		_, err := io.ReadFull(r, p)
		return err
	}
	lw.begin()
	_, err := io.ReadFull(&bodyReader{r: r, l: lw, n: int64(len(p))}, p)
	lw.end()
	return err
}
