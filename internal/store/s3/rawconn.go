package s3

import (
	"bufio"
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// rawConns keeps this store's own connections to a plain-HTTP endpoint,
// for ranges read with presigned GETs (rawget.go): one is kept alive
// after a response read to its end, for the next range.
type rawConns struct {
	host   string
	dialer net.Dialer
	mu     sync.Mutex
	idle   []*rawConn
	closed bool
	// offUntil: after the store refused a range on such a connection,
	// ranges go through minio-go until then (UnixNano)
	offUntil atomic.Int64
}

// rawConn is one connection and the reader of its responses.
type rawConn struct {
	nc    net.Conn
	br    *bufio.Reader
	since time.Time // when it was last put back
}

const (
	// maxIdleRaw bounds the connections kept between ranges.
	maxIdleRaw = 8
	// rawIdleFor is how long a kept connection may wait for its next
	// range: well below the idle timeouts of HTTP servers, so that a
	// store seldom closes one just as it is used.
	rawIdleFor = 20 * time.Second
	// rawDialFor bounds a connection's set-up, within the caller's context.
	rawDialFor = 10 * time.Second
	// rawOffFor is how long ranges go through minio-go after the store
	// refused one on a connection of our own.
	rawOffFor = time.Minute
)

// on reports whether ranges may be read on connections of our own now.
func (p *rawConns) on() bool { return time.Now().UnixNano() >= p.offUntil.Load() }

// refused turns them off for rawOffFor.
func (p *rawConns) refused() { p.offUntil.Store(time.Now().Add(rawOffFor).UnixNano()) }

func newRawConns(host string) *rawConns {
	return &rawConns{host: host, dialer: net.Dialer{Timeout: rawDialFor, KeepAlive: 30 * time.Second}}
}

// get returns a kept connection (reused true) or a new one.
func (p *rawConns) get(ctx context.Context) (c *rawConn, reused bool, err error) {
	p.mu.Lock()
	for len(p.idle) > 0 {
		c = p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if time.Since(c.since) < rawIdleFor {
			p.mu.Unlock()
			return c, true, nil
		}
		_ = c.nc.Close()
	}
	p.mu.Unlock()
	nc, err := p.dialer.DialContext(ctx, "tcp", p.host)
	if err != nil {
		return nil, false, err
	}
	return &rawConn{nc: nc, br: bufio.NewReaderSize(nc, 4096)}, false, nil
}

// put keeps c for the next range, when it stands between responses with
// nothing of the last one left unread; else it is closed.
func (p *rawConns) put(c *rawConn) {
	if c.br.Buffered() > 0 || c.nc.SetDeadline(time.Time{}) != nil {
		_ = c.nc.Close()
		return
	}
	c.since = time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle) >= maxIdleRaw {
		_ = c.nc.Close()
		return
	}
	p.idle = append(p.idle, c)
}

// close lets every kept connection go; later ones are not kept.
func (p *rawConns) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, c := range p.idle {
		_ = c.nc.Close()
	}
	p.idle = nil
}
