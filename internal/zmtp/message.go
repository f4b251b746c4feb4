package zmtp

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// Message is one received multipart message. Its frames live in buffers
// borrowed from the connection's BufferPool: call Release when done with
// them, after which the frames must not be used.
type Message struct {
	// Frames are the message parts, in order.
	Frames [][]byte

	backing [][]byte
	pool    BufferPool
	budget  *Budget
	held    int64   // octets of budget this message holds
	small   int64   // of which it took while small (see Budget.grow)
	sunk    []int   // indexes of frames a Sink put into files
	sunkLen []int64 // and their lengths
	sunkErr []error // and why writing them failed, if it did
}

// Release returns the message's buffers to their pool. It is safe to call
// more than once.
func (m *Message) Release() {
	if m == nil {
		return
	}
	for _, b := range m.backing {
		if b != nil {
			m.pool.Put(b)
		}
	}
	if m.budget != nil && m.held > 0 {
		m.budget.releaseMessage(m)
	}
	m.backing = nil
	m.Frames = nil
}

// Part is one frame to send: Data; or Len octets of File from Offset; or
// Len octets that Fill writes. A file section goes from the page cache to
// the socket with sendfile on a plaintext connection; on an encrypted one
// it is read straight into the buffer it is sealed in. Fill is called by
// the connection's writer goroutine with the buffer the payload is sent
// (or sealed) from, so a caller can produce the payload, or look at it,
// without a copy of its own.
//
// Stream, beside Fill, lets a plaintext connection send a long payload as
// it is produced, through no buffer of the payload's length: the writer
// sends the frame's header and then calls Stream, which must write exactly
// Len octets to w. A frame cut short cannot be taken back, so a Stream
// that fails or writes another length closes the connection. An encrypted
// connection, which seals whole frames, calls Fill instead.
type Part struct {
	Data   []byte
	File   *os.File
	Offset int64
	Len    int64
	Fill   func(p []byte) error
	Stream func(w io.Writer) error
}

// size returns the payload length of p.
func (p Part) size() int64 {
	if p.File != nil || p.Fill != nil || p.Stream != nil {
		return p.Len
	}
	return int64(len(p.Data))
}

// filler returns the function that writes p's payload into a buffer, or
// nil for a Data part.
func (p Part) filler() func([]byte) error {
	switch {
	case p.Fill != nil:
		return p.Fill
	case p.File != nil:
		return func(b []byte) error {
			if m, err := p.File.ReadAt(b, p.Offset); m < len(b) {
				return fmt.Errorf("zmtp: reading file section: %w", err)
			}
			return nil
		}
	}
	return nil
}

// Size returns the octets of m's frames, FrameCost each included: what
// it counted against the message limit.
func (m *Message) Size() int64 {
	var n int64
	for i, f := range m.Frames {
		n += int64(len(f)) + FrameCost
		if k := slices.Index(m.sunk, i); k >= 0 {
			n += m.sunkLen[k]
		}
	}
	return n
}
