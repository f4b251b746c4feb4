package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// A client may be given several addresses: servers in front of one
// shared store (an object store's bucket), which name the same namespace
// in HELLO. Requests go to one of them, the primary; a transfer also
// spreads its connections over the others that name the primary's
// namespace, and when one stops answering, its chunks go back to the
// others and, if it was the primary, the next one that answers takes its
// place. Servers that name no namespace, or another, are only used when
// those before them cannot be reached at all (Dial).

// peer is one of a client's addresses: its connections, and what the
// client has learnt of the server there.
type peer struct {
	addr  string
	conns *connPool

	mu        sync.Mutex
	checked   bool      // its HELLO was read: namespace is what it names
	namespace string    // "" none
	downUntil time.Time // it stopped answering: left alone until then
}

// downFor is how long a server that stopped answering is left alone.
const downFor = 30 * time.Second

// splitAddrs reads Dial's address: one, or several separated by commas,
// each "host:port" or "host" (for port DefaultPort).
func splitAddrs(addr string) ([]string, error) {
	var out []string
	for a := range strings.SplitSeq(addr, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			a = net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(a, "["), "]"), fmt.Sprint(DefaultPort))
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("flaxfile: no address in %q", addr)
	}
	return out, nil
}

// newPeers makes the client's peers, one pool each.
func (c *Client) newPeers(addrs []string) {
	for _, a := range addrs {
		p := &peer{addr: a}
		p.conns = &connPool{addr: a, dial: func(ctx context.Context) (*zmtp.Conn, error) { return c.dialTo(ctx, a) }}
		c.peers = append(c.peers, p)
	}
}

// home is the primary: where requests go.
func (c *Client) home() *peer { return c.primary.Load() }

// pool is the primary's connections.
func (c *Client) pool() *connPool { return c.home().conns }

// down reports whether p is being left alone.
func (p *peer) down() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Now().Before(p.downUntil)
}

// markDown leaves p alone for a while.
func (p *peer) markDown() {
	p.mu.Lock()
	p.downUntil = time.Now().Add(downFor)
	p.mu.Unlock()
}

// sameStore reports whether p's server shares the primary's store: it
// names the same namespace (asking it first, on conn, if it has not yet
// been asked). A server that does not answer is marked down.
func (c *Client) sameStore(ctx context.Context, p *peer, conn *zmtp.Conn) bool {
	p.mu.Lock()
	checked, ns := p.checked, p.namespace
	p.mu.Unlock()
	if !checked {
		var err error
		if ns, err = c.askNamespace(ctx, conn); err != nil {
			if transportFailure(err) {
				p.markDown()
			}
			return false
		}
		p.mu.Lock()
		p.checked, p.namespace = true, ns
		p.mu.Unlock()
	}
	return ns != "" && ns == c.namespace
}

// askNamespace asks a server for FlaxFile 2 on conn and returns the
// namespace it names.
func (c *Client) askNamespace(parent context.Context, conn *zmtp.Conn) (string, error) {
	ctx, cancel := context.WithTimeout(parent, c.opts.ConnectTimeout)
	defer cancel()
	r, err := c.call(ctx, conn, wire.Hello{Version: wire.Version2})
	if err != nil {
		return "", err
	}
	defer r.Release()
	hello, err := wire.ParseHelloReply(r.frames)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	return hello.Namespace(), nil
}

// spreadPeers lists the peers a transfer may spread over: the primary
// first, then the others that share its store and are not down.
func (c *Client) spreadPeers() []*peer {
	home := c.home()
	out := []*peer{home}
	if c.namespace == "" {
		return out
	}
	for _, p := range c.peers {
		if p == home || p.down() {
			continue
		}
		p.mu.Lock()
		ok := !p.checked || p.namespace == c.namespace
		p.mu.Unlock()
		if ok {
			out = append(out, p)
		}
	}
	return out
}

// failover reports whether a request or transfer that failed with err
// may be tried again: err says the server stopped answering (not that
// it refused), the primary does not answer a PING, and another server of
// its store does and has become the primary.
func (c *Client) failover(ctx context.Context, err error) bool {
	if len(c.peers) < 2 || c.namespace == "" || ctx.Err() != nil || !transportFailure(err) {
		return false
	}
	c.failMu.Lock()
	defer c.failMu.Unlock()
	home := c.home()
	if !home.down() && c.answers(ctx, home) {
		return false
	}
	home.markDown()
	for _, p := range c.peers {
		if p == home || p.down() {
			continue
		}
		conn, err := p.conns.take(ctx)
		if err != nil {
			p.markDown()
			continue
		}
		if !c.sameStore(ctx, p, conn) {
			conn.Close()
			continue
		}
		p.conns.give(conn)
		c.opts.Logger.Debug("server stopped answering; going on through another", "was", home.addr, "now", p.addr, "err", err)
		c.primary.Store(p)
		return true
	}
	return false
}

// answers reports whether p's server answers a PING within the connect
// timeout, on a connection of its pool.
func (c *Client) answers(ctx context.Context, p *peer) bool {
	conn, err := p.conns.take(ctx)
	if err != nil {
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, c.opts.ConnectTimeout)
	defer cancel()
	r, err := c.call(pctx, conn, wire.Ping{})
	p.conns.settle(conn, err)
	if err != nil {
		return false
	}
	r.Release()
	return true
}

// transportFailure reports whether err says that the server stopped
// answering (a connection that broke or could not be made, or no reply
// in time), as against a refusal, a protocol violation or a local error.
func transportFailure(err error) bool {
	var se *ServerError
	var pe *fs.PathError
	switch {
	case err == nil, errors.As(err, &se), errors.As(err, &pe),
		errors.Is(err, context.Canceled),
		errors.Is(err, ErrProtocol), errors.Is(err, ErrChecksum), errors.Is(err, ErrEncryptionMismatch),
		errors.Is(err, ErrWrongPassword), errors.Is(err, ErrNotAuthorized):
		return false
	}
	var ne net.Error
	return errors.Is(err, ErrTimeout) || errors.As(err, &ne) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, zmtp.ErrClosed) || errors.Is(err, zmtp.ErrHeartbeat) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}
