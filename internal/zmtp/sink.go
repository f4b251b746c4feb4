package zmtp

import (
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

// Target is where a Sink puts a frame body.
type Target struct {
	// File receives the body at Offset.
	File   *os.File
	Offset int64
	// Lock, if not nil, is held around each write into File, so that
	// writers of one file queue in user space instead of contending for
	// its lock in the kernel.
	Lock sync.Locker
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
