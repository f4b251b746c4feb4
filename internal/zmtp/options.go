package zmtp

import "time"

// Defaults for Options fields left at zero.
const (
	// DefaultMaxMessageSize bounds a message when Options.MaxMessageSize is
	// zero: room for FlaxFile's largest chunk (32 MiB) twice over.
	DefaultMaxMessageSize = 64 << 20
	// DefaultHandshakeTimeout bounds the greeting and mechanism exchange.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultMaxHandshakes bounds a Router's concurrent handshakes.
	DefaultMaxHandshakes = 256
	// DefaultMaxFrames bounds the frames of one message when
	// Options.MaxFrames is zero: FlaxFile's largest (a batch of 1024
	// small files) has about 6,200.
	DefaultMaxFrames = 16384
	// DefaultRecvQueue is how many complete messages a connection holds
	// for Recv before its reader stops reading from the socket.
	DefaultRecvQueue = 1
)

// Options configures a connection or a router. The zero value is usable and
// every zero field means the documented default. An Options must not be
// changed after it has been passed to Dial or Listen.
type Options struct {
	// Mechanism is the security mechanism; nil means NULL.
	Mechanism Mechanism
	// Identity is the routing identity sent in READY; empty by default, as
	// FlaxFile 1.2's sockets.
	Identity []byte
	// MaxMessageSize bounds the total payload of one received message,
	// each frame counting FrameCost octets beyond its body; zero means
	// DefaultMaxMessageSize. A peer that announces more is
	// disconnected before anything is allocated.
	MaxMessageSize int64
	// MaxFrames bounds the frames of one received message; zero means
	// DefaultMaxFrames. Each frame costs bookkeeping whatever its length,
	// so a peer sending endless empty frames is cut off here.
	MaxFrames int
	// HandshakeTimeout bounds the whole handshake; zero means
	// DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// HeartbeatInterval, when positive, sends a PING this often to peers
	// that speak ZMTP 3.1 (RFC 37 §2.7).
	HeartbeatInterval time.Duration
	// HeartbeatTimeout, when positive, closes a connection on which nothing
	// arrives for this long. Zero means three heartbeat intervals when
	// heartbeats are on, else no timeout (unless the peer asks for one
	// with a PING TTL).
	HeartbeatTimeout time.Duration
	// MessageIdleTimeout, when positive, closes a connection on which
	// nothing arrives for this long while a message is only partly
	// received: a peer that stops half way through a message would
	// otherwise hold what that message took of the Budget for ever. Zero
	// means no such timeout.
	MessageIdleTimeout time.Duration
	// HeartbeatTTL is the time-to-live advertised in our PINGs; zero means
	// none.
	HeartbeatTTL time.Duration
	// Buffers supplies frame buffers; nil gives each Router, or each Dial,
	// a pool of its own.
	Buffers BufferPool
	// RecvQueue is how many complete messages wait for Recv; zero means
	// DefaultRecvQueue.
	RecvQueue int
	// MaxHandshakes bounds how many connections a Router handshakes at
	// once; further connections are closed at once. Zero means
	// DefaultMaxHandshakes.
	MaxHandshakes int
	// MaxConns bounds how many connections a Router keeps open after their
	// handshake; zero means no bound.
	MaxConns int
	// OnRefused, when not nil, is told of each connection a Router
	// refuses for a limit ("connections": MaxConns reached).
	OnRefused func(limit string)
	// Budget, when set, bounds the memory that received messages hold at
	// once (every frame's body plus FrameCost), across every connection
	// sharing it, and the buffers that encrypted sends of 32 KiB or more
	// are sealed in.
	Budget *Budget
	// Traffic, when set, counts the octets the connections send and
	// receive on their sockets.
	Traffic *Traffic
}

// withDefaults returns a copy of o (nil allowed) with zero fields filled in.
func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Mechanism == nil {
		r.Mechanism = Null{}
	}
	if r.MaxMessageSize <= 0 {
		r.MaxMessageSize = DefaultMaxMessageSize
	}
	if r.HandshakeTimeout <= 0 {
		r.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if r.MaxFrames <= 0 {
		r.MaxFrames = DefaultMaxFrames
	}
	if r.HeartbeatTimeout <= 0 && r.HeartbeatInterval > 0 {
		r.HeartbeatTimeout = 3 * r.HeartbeatInterval
	}
	if r.Buffers == nil {
		r.Buffers = NewBufferPool(DefaultPoolRetain)
	}
	if r.RecvQueue <= 0 {
		r.RecvQueue = DefaultRecvQueue
	}
	if r.MaxHandshakes <= 0 {
		r.MaxHandshakes = DefaultMaxHandshakes
	}
	return r
}
