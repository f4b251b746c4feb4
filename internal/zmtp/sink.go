package zmtp

import (
	"io"
	"os"
	"sync"
)

// Sink places the bodies of large message frames straight into files,
// without passing them through user space where the kernel allows it
// (splice on Linux). It is consulted only on plaintext connections, for
// message frames of at least 32 KiB. It pays when nothing needs to read
// the data: data that is to be hashed costs less read into a buffer,
// hashed there and written.
type Sink interface {
	// Place is called with the frames of the message received so far and
	// the size of the next frame. It returns where that frame's body
	// belongs, or a zero Target to have it read into a buffer as usual. An
	// error ends the connection.
	Place(frames [][]byte, n int64) (Target, error)
}

// Target is where a Sink puts a frame body: into File, or, with Pieces,
// wherever Pieces puts it.
type Target struct {
	// File receives the body at Offset.
	File   *os.File
	Offset int64
	// Lock, if not nil, is held around each write into File, so that
	// writers of one file queue in user space instead of contending for
	// its lock in the kernel.
	Lock sync.Locker
	// Pieces, if not nil, takes the body instead of File: it is given
	// the body in order, in pieces of up to PieceSize octets read into a
	// buffer the connection keeps, each while it is fresh in the cache.
	// This is for data that must be read on its way (hashed), which then
	// costs one pass through memory instead of three through a buffer of
	// the whole body. Once Pieces fails, the rest of the body is read and
	// dropped and the error is the frame's SunkErr.
	Pieces func(p []byte) error
}

// PieceSize is the largest piece Target.Pieces is given: one FlaxFile 2
// block, small enough to stay in the cache while it is hashed and
// written, large enough to keep system calls few. (Measured once with a
// small program receiving 1 GiB over loopback, hashing it in 4 MiB
// blocks and writing it to tmpfs, three rounds, CPU-seconds of sender
// and receiver: 4 MiB pieces 0.54-0.58, 2 MiB 0.58-0.62, 1 MiB
// 0.60-0.63, each 16 MiB read whole into one buffer 0.70-0.73.)
const PieceSize = 4 << 20

// copySize is the piece a body the Sink puts into a file goes through
// when it cannot be spliced, as it always did.
const copySize = 1 << 20

// readPieces reads n octets from r in pieces of up to size octets into
// *buf (made, or grown, on first need) and gives each to give until give
// fails; the rest is then read and dropped. err is a read error; failed
// is give's.
func readPieces(r io.Reader, buf *[]byte, size int, n int64, give func([]byte) error) (failed, err error) {
	if len(*buf) < size {
		*buf = make([]byte, size)
	}
	for n > 0 {
		k := min(n, int64(size))
		p := (*buf)[:k]
		if _, err := io.ReadFull(r, p); err != nil {
			return failed, err
		}
		if failed == nil {
			failed = give(p)
		}
		n -= k
	}
	return failed, nil
}

// SetSink makes s the connection's sink until it is replaced; nil
// removes it. It may be called at any time; the reader consults it before
// each large frame.
func (c *Conn) SetSink(s Sink) {
	if s == nil {
		c.sink.Store(nil)
		return
	}
	c.sink.Store(&s)
}

// Sunk reports whether frame i of m was put into a file by a Sink; its
// entry in Frames is then empty.
func (m *Message) Sunk(i int) bool {
	for _, j := range m.sunk {
		if j == i {
			return true
		}
	}
	return false
}

// SunkLen returns the length of frame i of m if a Sink put it into a
// file, and false otherwise.
func (m *Message) SunkLen(i int) (int64, bool) {
	for k, j := range m.sunk {
		if j == i {
			return m.sunkLen[k], true
		}
	}
	return 0, false
}

// SunkErr returns why a Sink's file write of frame i of m failed, or nil.
// Such a body was read off the connection and dropped, so the connection
// goes on and the message's handler answers the failure.
func (m *Message) SunkErr(i int) error {
	for k, j := range m.sunk {
		if j == i {
			return m.sunkErr[k]
		}
	}
	return nil
}

// sinkWriteError is a file write that failed during a splice; rest
// octets of the body are still to be read (and dropped).
type sinkWriteError struct {
	err  error
	rest int64
}

func (e *sinkWriteError) Error() string { return e.err.Error() }

// writeAt writes p into the target file at off, holding its lock.
func (t Target) writeAt(p []byte, off int64) error {
	if t.Lock != nil {
		t.Lock.Lock()
		defer t.Lock.Unlock()
	}
	_, err := t.File.WriteAt(p, off)
	return err
}
