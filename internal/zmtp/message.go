package zmtp

import "os"

// Message is one received multipart message. Its frames live in buffers
// borrowed from the connection's BufferPool: call Release when done with
// them, after which the frames must not be used.
type Message struct {
	// Frames are the message parts, in order.
	Frames [][]byte

	backing [][]byte
	pool    BufferPool
	budget  *Budget
	held    int64 // octets of budget this message holds
	sunk    []int // indexes of frames a Sink put into files
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
	if m.budget != nil {
		m.budget.Release(m.held)
		m.held = 0
	}
	m.backing = nil
	m.Frames = nil
}

// Part is one frame to send: either Data, or Len octets of File from Offset.
// A file section goes from the page cache to the socket with sendfile on a
// plaintext connection; on an encrypted one it is read into a pooled buffer
// and sealed.
type Part struct {
	Data   []byte
	File   *os.File
	Offset int64
	Len    int64
}

// size returns the payload length of p.
func (p Part) size() int64 {
	if p.File != nil {
		return p.Len
	}
	return int64(len(p.Data))
}
