package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flaxfile/flaxfile/internal/pace"
	"github.com/flaxfile/flaxfile/internal/umask"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// Defaults for Options fields left at zero.
const (
	// DefaultConnectTimeout bounds connecting: the handshake and the first
	// PING, as 1.2's 5 s.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultReplyTimeout bounds the wait for any reply while requests are
	// outstanding.
	DefaultReplyTimeout = 60 * time.Second
	// DefaultMemoryLimit bounds a client's received chunk data.
	DefaultMemoryLimit = 48 << 20
	// DefaultPort is the server's port when an address names none.
	DefaultPort = wire.DefaultPort
	// DefaultMaxFileSize is the largest file a client accepts from a
	// server: 10 TiB, 1.2's own limit.
	DefaultMaxFileSize = wire.MaxFileSize
	// DefaultMaxListEntries bounds the entries of one listing.
	DefaultMaxListEntries = 1 << 20
	// DefaultMaxListBytes bounds the octets of one listing's pages.
	DefaultMaxListBytes = 1 << 30
	// DefaultListTimeout bounds a whole listing, however many pages.
	DefaultListTimeout = 10 * time.Minute
)

// Options configures a Client. Zero fields take the documented defaults;
// a nil *Options is the zero value.
type Options struct {
	// Password, when not empty, encrypts with CurveZMQ using the server key
	// derived from it (ServerKeysFromPassword).
	Password string
	// ServerKey, when not zero, is the server's public key; it takes
	// precedence over Password.
	ServerKey Key
	// ClientKey, when not zero, is this client's secret key (key-file
	// mode, see GenerateKey): the server knows the client by its public
	// key and gives it the rights its authorized-keys file names. Zero
	// means a fresh key pair per connection, as 1.2.
	ClientKey Key
	// Connections per file; zero follows 1.2's table by file size.
	Connections int
	// Window is the chunks in flight per connection; zero follows 1.2's
	// table (8 on loopback, 32 otherwise, 16 for files under 1 MiB on
	// loopback).
	Window int
	// ChunkSize for uploads; zero follows 1.2: 4 MiB on loopback, else 8,
	// 16 or 32 MiB by file size. Downloads use the size the server
	// announces.
	ChunkSize int64
	// ConnectTimeout bounds each new connection's handshake and PING.
	ConnectTimeout time.Duration
	// ReplyTimeout bounds the wait for a reply while requests are
	// outstanding.
	ReplyTimeout time.Duration
	// MemoryLimit bounds the received chunk data held at once across the
	// client's connections; zero means DefaultMemoryLimit. The rest waits
	// in kernel socket buffers.
	MemoryLimit int64
	// Protocol chooses the protocol: "" asks the server for FlaxFile 2 and
	// falls back to 1.2 when it does not know it; "1.2" speaks 1.2 only,
	// and encrypted keeps to CurveZMQ's own cipher as 1.2 does; "2"
	// requires FlaxFile 2.
	Protocol string
	// NoSync skips flushing a download to stable storage before it is
	// renamed into place (FlaxFile 2): faster, but a crash soon after
	// may leave a damaged file under the final name.
	NoSync bool
	// Delta chooses when a transfer over an older copy (FlaxFile 2, a
	// server with the feature) moves only the 4 MiB blocks that differ:
	// an upload over an existing key starts from the server's file, a
	// download over an existing local file from that file. DeltaAuto on a
	// long link (a round trip over 5 ms), where the bytes saved outweigh
	// hashing the copies first; DeltaAlways; DeltaNever.
	Delta DeltaMode
	// Compress chooses when chunks travel compressed (FlaxFile 2, a
	// server with the feature): CompressAuto when the data shrinks and
	// the link is slower than compression; CompressAlways; CompressNever.
	Compress CompressMode
	// MaxFileSize is the largest file the client accepts from a server:
	// a larger declared size is refused before anything is allocated or
	// written. Zero means DefaultMaxFileSize.
	MaxFileSize int64
	// MaxListEntries bounds the entries of one listing (List, Walk, and
	// the remote side of Push and Pull); zero means DefaultMaxListEntries.
	MaxListEntries int64
	// MaxListBytes bounds the octets of a FlaxFile 2 listing's pages, all
	// together (a 1.2 listing is one reply, bounded by the message
	// limit); zero means DefaultMaxListBytes.
	MaxListBytes int64
	// ListTimeout bounds a whole listing, all its pages together; zero
	// means DefaultListTimeout.
	ListTimeout time.Duration
	// BandwidthLimit, when positive, holds the client's transfers to that
	// many payload octets a second, all its connections together (a
	// token bucket; chunks wait for their turn before they are sent or
	// asked for).
	BandwidthLimit int64
	// Progress is told of every chunk moved; nil reports nothing.
	Progress Progress
	// Logger receives debug lines, and at LevelTrace every request and
	// reply (command and status); nil discards.
	Logger *slog.Logger
}

// DeltaMode chooses when uploads send only the blocks that differ from
// the server's file (Options.Delta).
type DeltaMode int

// The DeltaModes.
const (
	DeltaAuto DeltaMode = iota
	DeltaAlways
	DeltaNever
)

// LevelTrace is the log level of the protocol exchange: each request's
// command and each reply's status, below slog.LevelDebug.
const LevelTrace = slog.LevelDebug - 4

// Progress receives progress reports. Implementations must be safe for
// concurrent use: several connections report at once.
type Progress interface {
	// Start reports that a transfer of size octets of key begins.
	Start(key string, size int64)
	// Transferred reports n more payload octets of key moved.
	Transferred(key string, n int64)
}

// Client talks to one FlaxFile server over a small pool of connections.
// Its methods are safe for concurrent use.
type Client struct {
	addr   string
	opts   Options
	local  bool
	mech   func() zmtp.Mechanism
	cipher string      // what seals the frames ("" in the clear): the first connection's
	umask  fs.FileMode // applied to the modes the server sends
	bufs   *zmtp.Pool  // buffers for received chunks, within the memory limit
	budget *zmtp.Budget

	peers     []*peer              // the addresses given, in order
	primary   atomic.Pointer[peer] // where requests go
	namespace string               // what the first server's store holds, if others share it (HELLO)
	failMu    sync.Mutex           // one failover at a time
	pace      *pace.Limiter        // Options.BandwidthLimit; nil: none

	v2        bool         // the server speaks FlaxFile 2
	rtt       atomic.Int64 // the shortest round trip seen (PING, HELLO), in nanoseconds
	delta     bool         // the server takes Put.Delta
	deltaGet  bool         // the server answers GetBlocks
	patch     bool         // the server takes PutSums and PutPatch
	cuts      bool         // the server answers PutCuts and GetCuts and takes PutBuild
	zstd      bool         // the server takes and makes compressed chunks
	partChunk int64        // the chunk size the server asks uploads to use (its store's parts), 0 none
	traffic   zmtp.Traffic // what every connection sent and received
}

// Dial connects to the server at addr ("host:port", or "host" for port
// 25555) and checks it answers, so that a wrong password or an encryption
// mismatch is reported here, within Options.ConnectTimeout.
//
// addr may name several servers, separated by commas: servers in front of
// one shared store (see docs/SCALING.md). The first that answers is the
// client's; a transfer spreads its connections over the others that name
// the same store, and goes on through them when one stops answering.
func Dial(ctx context.Context, addr string, opts *Options) (*Client, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.ReplyTimeout <= 0 {
		o.ReplyTimeout = DefaultReplyTimeout
	}
	if o.MemoryLimit <= 0 {
		o.MemoryLimit = DefaultMemoryLimit
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.MaxListEntries <= 0 {
		o.MaxListEntries = DefaultMaxListEntries
	}
	if o.MaxListBytes <= 0 {
		o.MaxListBytes = DefaultMaxListBytes
	}
	if o.ListTimeout <= 0 {
		o.ListTimeout = DefaultListTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	addrs, err := splitAddrs(addr)
	if err != nil {
		return nil, err
	}
	c := &Client{opts: o, bufs: zmtp.NewBufferPool(o.MemoryLimit), budget: zmtp.NewBudget(o.MemoryLimit), umask: umask.Get()}
	c.newPeers(addrs)
	c.pace = pace.New(o.BandwidthLimit)
	serverKey := o.ServerKey
	if serverKey == (Key{}) && o.Password != "" {
		if serverKey, _, err = ServerKeysFromPassword(o.Password); err != nil {
			return nil, err
		}
	}
	// A forced 1.2 keeps 1.2's wire to the octet: RFC 26's cipher, no
	// offer of another.
	classic := o.Protocol == "1.2"
	switch {
	case serverKey != (Key{}) && o.ClientKey != (Key{}):
		pub, err := curve.PublicKey(curve.Key(o.ClientKey))
		if err != nil {
			return nil, err
		}
		c.mech = func() zmtp.Mechanism {
			return &curve.Client{ServerKey: curve.Key(serverKey), PublicKey: pub, SecretKey: curve.Key(o.ClientKey), Classic: classic}
		}
	case serverKey != (Key{}):
		// A fresh client key pair per connection, as 1.2.
		c.mech = func() zmtp.Mechanism { return &curve.Client{ServerKey: curve.Key(serverKey), Classic: classic} }
	default:
		c.mech = func() zmtp.Mechanism { return zmtp.Null{} }
	}
	switch o.Protocol {
	case "", "2", "1.2":
	default:
		return nil, fmt.Errorf("flaxfile: unknown protocol %q: want 2 or 1.2", o.Protocol)
	}
	// The first server that answers is the client's; one that answers
	// with a refusal (a wrong password) ends it.
	var errs []error
	for _, p := range c.peers {
		err := c.first(ctx, p)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if !transportFailure(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// first makes p the client's server: its first connection, and the
// request that shows the server answers (HELLO, or for a forced 1.2 a
// PING).
func (c *Client) first(ctx context.Context, p *peer) error {
	c.addr = p.addr
	host, _, _ := net.SplitHostPort(p.addr)
	c.local = isLocal(host)
	conn, err := c.dialTo(ctx, p.addr)
	if err != nil {
		return err
	}
	check := c.negotiate
	if c.opts.Protocol == "1.2" {
		check = c.ping
	}
	if err := check(ctx, conn); err != nil {
		conn.Close()
		return err
	}
	c.cipher = conn.Cipher()
	p.checked, p.namespace = true, c.namespace
	c.primary.Store(p)
	p.conns.give(conn)
	return nil
}

// negotiate asks the server for FlaxFile 2; a 1.2 server does not know
// the command, and the client then speaks 1.2.
func (c *Client) negotiate(parent context.Context, conn *zmtp.Conn) error {
	ctx, cancel := context.WithTimeout(parent, c.opts.ConnectTimeout)
	defer cancel()
	t0 := time.Now()
	r, err := c.call(ctx, conn, wire.Hello{Version: wire.Version2})
	var se *ServerError
	if err == nil || errors.As(err, &se) {
		c.noteRTT(time.Since(t0))
	}
	switch {
	case errors.As(err, &se) && se.Message == wire.ErrUnknownCommand && c.opts.Protocol == "":
		c.opts.Logger.Debug("server speaks FlaxFile 1.2 only", "addr", c.addr)
		return nil
	case err != nil && !errors.As(err, &se):
		return c.firstReplyError(parent, "answer to "+wire.CmdHello, err)
	case err != nil:
		return fmt.Errorf("flaxfile: asking %s for FlaxFile 2: %w", c.addr, err)
	}
	defer r.Release()
	hello, err := wire.ParseHelloReply(r.frames)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	c.v2 = true
	on := hello.FeaturesOn()
	c.delta, c.deltaGet, c.patch, c.cuts = on[wire.FeatureDelta], on[wire.FeatureDeltaGet], on[wire.FeaturePatch], on[wire.FeatureCuts]
	c.zstd = on[wire.FeatureZstd]
	c.partChunk = hello.PartChunk()
	c.namespace = hello.Namespace()
	return nil
}

// Protocol reports the protocol the client speaks with its server: "2"
// or "1.2".
func (c *Client) Protocol() string {
	if c.v2 {
		return wire.Version2
	}
	return "1.2"
}

// Cipher names the cipher that seals the client's traffic: "" in the
// clear; with a password "xsalsa20-poly1305" (CurveZMQ's own) with a 1.2
// server or when 1.2 is forced, else the faster one a FlaxFile 2 server
// agreed on.
func (c *Client) Cipher() string { return c.cipher }

// isLocal is 1.2's test for a loopback server: the exact host strings.
func isLocal(host string) bool {
	return host == "127.0.0.1" || host == "localhost" || host == "::1"
}

// Close closes the client's connections.
func (c *Client) Close() error {
	for _, p := range c.peers {
		p.conns.close()
	}
	c.bufs.Drain()
	return nil
}

// Traffic reports the octets the client's connections have sent and
// received on the network so far, everything included (payload, requests,
// replies, framing, encryption, handshakes): what a link carried, as
// against the files' sizes.
func (c *Client) Traffic() (sent, received int64) {
	return c.traffic.Sent(), c.traffic.Received()
}

// metered runs a transfer and sets its Result's WireSent and
// WireReceived from the client's traffic while it ran.
func (c *Client) metered(f func() (*Result, error)) (*Result, error) {
	s0, r0 := c.Traffic()
	res, err := f()
	if res != nil {
		s1, r1 := c.Traffic()
		res.WireSent, res.WireReceived = s1-s0, r1-r0
	}
	return res, err
}
