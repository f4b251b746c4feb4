// Package compress shrinks chunks for links slower than compression:
// each chunk is one zstd frame (github.com/klauspost/compress), made at
// one of two levels, and sent as it is when it would not shrink enough
// to pay for the decoding. Decoding is bounded: a frame must decode to
// exactly the length the receiver expects, at most MaxOut octets, or it
// is refused before more is allocated.
package compress

import (
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Level is how hard a chunk is compressed.
type Level int

// The levels: Fast (zstd's fastest) and Strong (its default, about level
// 3): slower, for links much slower than compression.
const (
	Off Level = iota
	Fast
	Strong
)

// String names the level as the wire does.
func (l Level) String() string {
	switch l {
	case Fast:
		return "fast"
	case Strong:
		return "strong"
	}
	return "off"
}

// ParseLevel reads a level as String writes it.
func ParseLevel(s string) (Level, bool) {
	switch s {
	case "fast":
		return Fast, true
	case "strong":
		return Strong, true
	case "off":
		return Off, true
	}
	return Off, false
}

// MaxOut bounds what one frame may decode to: the largest chunk.
const MaxOut = 16 << 20

// pays is the largest share of a chunk its frame may take and still be
// sent: 15/16 (less saves too little to pay for the receiver's decoding).
func pays(frame, n int) bool { return frame <= n-n/16 }

var (
	encOnce  [3]sync.Once
	encoders [3]*zstd.Encoder
	decOnce  sync.Once
	decoder  *zstd.Decoder
)

// encoder returns the shared encoder of a level, made on first use.
func encoder(l Level) *zstd.Encoder {
	encOnce[l].Do(func() {
		lv := zstd.SpeedFastest
		if l == Strong {
			lv = zstd.SpeedDefault
		}
		// EncodeAll may run on many goroutines at once, each with an
		// encoder state of its own.
		encoders[l], _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(lv), zstd.WithEncoderCRC(false),
			zstd.WithZeroFrames(true), zstd.WithLowerEncoderMem(true))
	})
	return encoders[l]
}

// Compress appends src's frame at level l to dst and reports whether it
// pays (at most 15/16 of src); when it does not, dst comes back as it
// was, and src is to be sent as it is.
func Compress(dst, src []byte, l Level) ([]byte, bool) {
	if l == Off || len(src) == 0 {
		return dst, false
	}
	if len(src) >= 4*probeLen && !probeShrinks(src, l) {
		return dst, false
	}
	out := encoder(l).EncodeAll(src, dst)
	if !pays(len(out)-len(dst), len(src)) {
		return dst, false
	}
	return out, true
}

// probeLen is how much of a long chunk is compressed first, at its start
// and at its middle: a chunk that shrinks at neither is sent as it is
// without compressing the rest. Incompressible data (already compressed
// files, random data) would otherwise cost a whole chunk's compression,
// and a frame longer than the chunk, which outgrows the buffer it is made
// in: a new allocation of the chunk's size each time, beyond the memory a
// server budgets.
const probeLen = 64 << 10

// probeBufs hold a probe's frame: room for the worst (a stored frame is a
// few octets longer than its data), so EncodeAll never grows one.
var probeBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, probeLen+probeLen/8+1024)
	return &b
}}

// probeShrinks reports whether src shrinks enough at its start or its
// middle to be worth compressing whole.
func probeShrinks(src []byte, l Level) bool {
	buf := probeBufs.Get().(*[]byte)
	defer probeBufs.Put(buf)
	for _, off := range []int{0, len(src) / 2} {
		p := src[off : off+probeLen]
		out := encoder(l).EncodeAll(p, (*buf)[:0])
		if cap(out) == cap(*buf) {
			*buf = out[:0]
		}
		if pays(len(out), len(p)) {
			return true
		}
	}
	return false
}

// ErrFrame is a frame that is malformed or does not decode to the length
// expected.
var ErrFrame = errors.New("compress: bad frame")

// Decompress decodes frame into buf, which must have room for n octets,
// and returns buf[:n]; a frame that decodes to anything but n octets, or
// that declares more than MaxOut, is ErrFrame.
func Decompress(buf, frame []byte, n int) ([]byte, error) {
	if n > MaxOut || cap(buf) < n {
		return nil, fmt.Errorf("%w: %d octets expected (room for %d, at most %d)", ErrFrame, n, cap(buf), MaxOut)
	}
	decOnce.Do(func() {
		decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(MaxOut),
			zstd.WithDecoderMaxWindow(MaxOut), zstd.WithDecoderLowmem(true))
	})
	// The frame must say how long it is, and say n, before anything is
	// decoded: the decoder stops where a frame outgrows what it declared.
	var h zstd.Header
	if err := h.Decode(frame); err != nil || !h.HasFCS || h.FrameContentSize != uint64(n) {
		return nil, fmt.Errorf("%w: its header does not declare %d octets", ErrFrame, n)
	}
	out, err := decoder.DecodeAll(frame, buf[:0])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFrame, err)
	}
	if len(out) != n {
		return nil, fmt.Errorf("%w: it decodes to %d octets, %d expected", ErrFrame, len(out), n)
	}
	return out, nil
}
