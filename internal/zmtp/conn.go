package zmtp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is one ZMTP connection whose handshake has succeeded.
//
// Goroutines: the reader (readLoop) owns br, the codec's Open side and the
// message being assembled; the writer (writeLoop) owns the codec's Seal side
// and the write scratch. Everything else is set before they start and then
// only read, except err, which is written once under closeOnce before done is
// closed, and peerTTL, which is atomic.
type Conn struct {
	nc        net.Conn
	br        *bufio.Reader
	codec     Codec
	pool      BufferPool
	budget    *Budget
	traffic   *Traffic // counts what the socket carries; may be nil
	maxMsg    int64
	maxFrames int
	peer      Greeting
	peerMeta  Metadata
	peerKey   []byte
	id        []byte
	mech      string

	hbInterval time.Duration
	hbTimeout  time.Duration
	msgIdle    time.Duration // Options.MessageIdleTimeout
	hbTTL      uint16
	peerTTL    atomic.Int64 // nanoseconds; from the peer's PINGs

	sink atomic.Pointer[Sink] // consulted by the reader

	sendq chan *sendReq
	ctrlq chan ctrlFrame
	recvq chan *Message

	closeOnce sync.Once
	done      chan struct{}
	err       error
	onClose   func() // set before start
}

// newConn wraps a handshaken connection; start runs it.
func newConn(nc net.Conn, br *bufio.Reader, codec Codec, hs *Handshake, o *Options) *Conn {
	c := &Conn{
		nc:         nc,
		br:         br,
		codec:      codec,
		pool:       o.Buffers,
		budget:     o.Budget,
		traffic:    o.Traffic,
		maxMsg:     o.MaxMessageSize,
		maxFrames:  o.MaxFrames,
		peer:       hs.Peer,
		peerMeta:   hs.peerMeta,
		peerKey:    hs.peerKey,
		mech:       o.Mechanism.Name(),
		hbInterval: o.HeartbeatInterval,
		hbTimeout:  o.HeartbeatTimeout,
		msgIdle:    o.MessageIdleTimeout,
		hbTTL:      uint16(min(o.HeartbeatTTL/(100*time.Millisecond), 0xFFFF)),
		sendq:      make(chan *sendReq),
		ctrlq:      make(chan ctrlFrame, 4),
		// The reader itself holds one complete message while it waits
		// to hand it over, so RecvQueue-1 more wait in the channel; with
		// the default of 1, two buffers alternate, which keeps them warm
		// in the CPU's caches.
		recvq: make(chan *Message, o.RecvQueue-1),
		done:  make(chan struct{}),
	}
	return c
}

// start launches the reader and writer goroutines.
func (c *Conn) start() {
	go c.readLoop()
	go c.writeLoop()
}

// ID returns the routing identity of the peer: what it sent in READY, or
// one the Router assigned. It is nil on a dialled connection.
func (c *Conn) ID() []byte { return c.id }

// PeerMetadata returns the metadata the peer sent in its READY.
func (c *Conn) PeerMetadata() Metadata { return c.peerMeta }

// PeerPublicKey returns the peer's long-term public key for mechanisms that
// authenticate one (CURVE), else nil.
func (c *Conn) PeerPublicKey() []byte { return c.peerKey }

// RemoteAddr returns the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// Encrypted reports whether frames pass through a codec (CURVE).
func (c *Conn) Encrypted() bool { return c.codec != nil }

// Cipher names the cipher that seals the connection's frames, or "" when
// they travel in the clear.
func (c *Conn) Cipher() string {
	if c.codec == nil {
		return ""
	}
	return c.codec.Cipher()
}

// Done is closed when the connection has failed or been closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, or nil while it is open.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close closes the connection. Sends in progress fail with ErrClosed.
// Messages already received but not yet taken by Recv are dropped.
func (c *Conn) Close() error {
	c.fail(ErrClosed)
	return nil
}

// fail is the one teardown path: the first error wins, the socket is closed
// and every goroutine blocked on the connection wakes up through done.
func (c *Conn) fail(err error) {
	c.closeOnce.Do(func() {
		c.err = err
		close(c.done)
		_ = c.nc.Close()
		if c.onClose != nil {
			c.onClose()
		}
	})
}

// Recv returns the next message. The caller must Release it. Messages that
// arrived before the connection ended are still returned; after them Recv
// returns the error that ended it.
func (c *Conn) Recv(ctx context.Context) (*Message, error) {
	select {
	case m := <-c.recvq:
		return m, nil
	default:
	}
	select {
	case m := <-c.recvq:
		return m, nil
	case <-c.done:
		select {
		case m := <-c.recvq:
			return m, nil
		default:
			return nil, c.err
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Send sends one multipart message made of frames. It returns once the
// message is written to the socket, so the caller may then reuse the
// frames.
func (c *Conn) Send(ctx context.Context, frames ...[]byte) error {
	parts := make([]Part, len(frames))
	for i, f := range frames {
		parts[i] = Part{Data: f}
	}
	return c.SendParts(ctx, parts)
}

// Request states: the writer takes a queued request by moving it to
// reqTaken; a cancelled caller withdraws it by moving it to reqCancelled.
const (
	reqQueued int32 = iota
	reqTaken
	reqCancelled
)

type sendReq struct {
	parts []Part
	state atomic.Int32
	done  chan error
}

// SendParts sends one multipart message whose frames may be file sections.
// It returns once the message is written. If ctx ends while the message is
// being written, the connection is closed, since a message cut short would
// break the framing.
func (c *Conn) SendParts(ctx context.Context, parts []Part) error {
	if len(parts) == 0 {
		return errors.New("zmtp: empty message")
	}
	req := &sendReq{parts: parts, done: make(chan error, 1)}
	select {
	case c.sendq <- req:
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		if req.state.CompareAndSwap(reqQueued, reqCancelled) {
			return ctx.Err()
		}
		c.fail(ctx.Err())
		return <-req.done
	}
}
