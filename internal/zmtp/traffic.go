package zmtp

import (
	"net"
	"sync/atomic"
)

// Traffic counts the octets connections sent and received on their
// sockets, framing, encryption and handshakes included: what crossed the
// network, as against the payload. Connections share one through
// Options.Traffic.
type Traffic struct{ sent, received atomic.Int64 }

// Sent is the octets written to the sockets so far.
func (t *Traffic) Sent() int64 { return t.sent.Load() }

// Received is the octets read from the sockets so far.
func (t *Traffic) Received() int64 { return t.received.Load() }

// addSent counts n octets sent; a nil Traffic counts nothing.
func (t *Traffic) addSent(n int64) {
	if t != nil && n > 0 {
		t.sent.Add(n)
	}
}

// addReceived counts n octets received; a nil Traffic counts nothing.
func (t *Traffic) addReceived(n int64) {
	if t != nil && n > 0 {
		t.received.Add(n)
	}
}

// counted is a connection whose reads and writes count in a Traffic: the
// handshake runs on it, and the connection's buffered reader reads
// through it. (Sends after the handshake go to the socket itself, for
// sendfile, and count where they are made.)
type counted struct {
	net.Conn
	t *Traffic
}

func (c counted) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.t.addReceived(int64(n))
	return n, err
}

func (c counted) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.t.addSent(int64(n))
	return n, err
}

// countedConn is nc counting in t, or nc itself when t is nil.
func countedConn(nc net.Conn, t *Traffic) net.Conn {
	if t == nil {
		return nc
	}
	return counted{nc, t}
}
