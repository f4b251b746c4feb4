package flaxfile

import (
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/compress"
)

// CompressMode chooses when chunks travel compressed (Options.Compress).
type CompressMode int

// The CompressModes.
const (
	// CompressAuto compresses when it pays: the data shrinks (a sample
	// says so for uploads, the replies for downloads) and the link is
	// slower than compression (measured as the chunks go).
	CompressAuto CompressMode = iota
	// CompressAlways compresses every chunk that shrinks.
	CompressAlways
	// CompressNever sends chunks as they are.
	CompressNever
)

// squeezer decides, chunk by chunk, whether and how hard one transfer
// compresses: from the link's throughput, measured on the chunks
// answered so far, and from what compression does to the data.
type squeezer struct {
	mode   CompressMode
	long   bool            // a long link: taken as slow until measured
	src    io.ReaderAt     // an upload's data, sampled once; nil for a download
	size   int64           // its size
	sample sync.Once       // measures ratio and speed on src
	ratio  [3]float64      // by level: frame octets per octet (1: does not shrink)
	speed  [3]float64      // by level: octets compressed per second on one core
	mu     sync.Mutex      // guards what follows
	first  time.Time       // the first chunk's answer
	wire   int64           // octets the link carried for the chunks answered after it
	done   int             // chunks answered
	plain  int             // downloads: replies in a row that came as they are
	sizes  map[int64]int64 // uploads: octets on the wire of each chunk in flight
}

// Assumptions and bounds of the decision.
const (
	measureAfter = 50 * time.Millisecond // the link's rate counts from then
	fastLink     = 200e6                 // octets/s: too fast for compression to pay (zstd makes 370-480 MB/s of text on a core here)
	shortFast    = 60e6                  // octets/s: on a short link, a download this fast is bounded by the machines, not the link
	sampleLen    = 64 << 10              // octets of each of the samples
	samples      = 4
)

// newSqueezer returns the squeezer of a transfer over c; src is an
// upload's data (nil for a download). Nil when compression is off.
func (c *Client) newSqueezer(src io.ReaderAt, size int64) *squeezer {
	if !c.zstd || c.opts.Compress == CompressNever {
		return nil
	}
	return &squeezer{mode: c.opts.Compress, long: c.longLink(), src: src, size: size, sizes: map[int64]int64{}}
}

// level is how the next chunk is to be compressed.
func (z *squeezer) level() compress.Level {
	if z == nil {
		return compress.Off
	}
	z.mu.Lock()
	rate := z.rateLocked()
	plain := z.plain
	z.mu.Unlock()
	if z.mode == CompressAuto && (rate == 0 && !z.long || rate > fastLink) {
		return compress.Off // a fast link (or so far as known)
	}
	if rate == 0 {
		rate = 12.5e6 // not yet measured: taken as 100 Mbit/s
	}
	if z.src == nil { // a download: the server compresses, the replies tell
		if z.mode == CompressAuto && !z.long && rate > shortFast {
			// On a short link this pace is the machines' (their CPU,
			// disks, an object store), not the link's: the server's
			// compressing would take from the very CPU that sets it.
			return compress.Off
		}
		if z.mode == CompressAuto && plain >= 4 && plain%16 != 0 {
			return compress.Off // incompressible so far; asked again now and then
		}
		if z.mode == CompressAuto && rate > 60e6 {
			return compress.Fast
		}
		return compress.Strong
	}
	z.sample.Do(z.measure)
	best, bestRate := compress.Off, rate
	if z.mode == CompressAlways { // the best level, whatever the link
		best, bestRate = compress.Fast, 0
	}
	cores := float64(max(1, runtime.NumCPU()/2))
	for _, l := range []compress.Level{compress.Fast, compress.Strong} {
		if z.ratio[l] >= 0.95 {
			continue
		}
		// What gets through at this level: the link carries the frames,
		// the cores make them.
		if r := min(z.speed[l]*cores, rate/z.ratio[l]); r > bestRate*1.05 {
			best, bestRate = l, r
		}
	}
	return best
}

// rateLocked is the link's throughput so far in octets a second, 0 while
// too little is known. It counts from the first answer: the wait for that
// one is the transfer's opening (on a busy object store, the time its
// first ranges take to start), not the link's pace.
func (z *squeezer) rateLocked() float64 {
	el := time.Since(z.first)
	if z.done < 3 || el < measureAfter {
		return 0
	}
	return float64(z.wire) / el.Seconds()
}

// measure compresses samples of the upload's data at each level, for the
// ratio and the speed.
func (z *squeezer) measure() {
	n := min(z.size, sampleLen)
	buf := make([]byte, n)
	var data []byte
	for i := range int64(samples) {
		off := (z.size - n) * i / (samples - 1)
		if k, _ := z.src.ReadAt(buf, off); int64(k) == n {
			data = append(data, buf...)
		}
	}
	for _, l := range []compress.Level{compress.Fast, compress.Strong} {
		z.ratio[l], z.speed[l] = 1, 1
		if len(data) == 0 {
			continue
		}
		// The first use of a level builds its encoder's tables, which
		// is not what compressing costs: untimed.
		frame, _ := compress.Compress(nil, data, l)
		t0 := time.Now()
		frame, _ = compress.Compress(frame[:0], data, l)
		el := max(time.Since(t0).Seconds(), 1e-6)
		z.speed[l] = float64(len(data)) / el
		if len(frame) > 0 {
			z.ratio[l] = float64(len(frame)) / float64(len(data))
		}
	}
}

// sent notes that chunk j went out as wire octets.
func (z *squeezer) sent(j, wire int64) {
	if z == nil {
		return
	}
	z.mu.Lock()
	z.sizes[j] = wire
	z.mu.Unlock()
}

// acked notes that chunk j, of raw octets, was answered (an upload's).
func (z *squeezer) acked(j, raw int64) {
	if z == nil {
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	w, ok := z.sizes[j]
	if !ok {
		w = raw
	}
	delete(z.sizes, j)
	z.note(w)
}

// received notes a download's reply: wire octets, compressed or not.
func (z *squeezer) received(wire int64, squeezed bool) {
	if z == nil {
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	z.note(wire)
	if squeezed {
		z.plain = 0
	} else {
		z.plain++
	}
}

// note counts a chunk answered, wire octets on the link; the caller holds
// mu.
func (z *squeezer) note(wire int64) {
	if z.done == 0 {
		z.first = time.Now()
	} else {
		z.wire += wire
	}
	z.done++
}
