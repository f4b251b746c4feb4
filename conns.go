package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// dial opens a connection: the ZMTP handshake, which a wrong password or an
// encryption mismatch fails. Whether the server answers requests is learnt
// from the client's first request (ping, or negotiate), not checked again
// on every connection: on a long link each check is a round trip.
func (c *Client) dial(parent context.Context) (*zmtp.Conn, error) {
	ctx, cancel := context.WithTimeout(parent, c.opts.ConnectTimeout)
	defer cancel()
	mech := c.mech()
	conn, err := zmtp.Dial(ctx, c.addr, &zmtp.Options{
		Mechanism:        mech,
		Buffers:          c.pool,
		Budget:           c.budget,
		HandshakeTimeout: c.opts.ConnectTimeout,
		MaxMessageSize:   64<<20 + 64<<10,
	})
	if err != nil {
		if parent.Err() != nil { // cancelled by the caller: not a timeout
			return nil, fmt.Errorf("flaxfile: connecting to %s: %w", c.addr, parent.Err())
		}
		return nil, c.dialError(ctx, mech, err)
	}
	return conn, nil
}

// ping checks with a PING that the server answers on conn, within the
// connect timeout, and notes the round trip.
func (c *Client) ping(parent context.Context, conn *zmtp.Conn) error {
	ctx, cancel := context.WithTimeout(parent, c.opts.ConnectTimeout)
	defer cancel()
	t0 := time.Now()
	reply, err := c.call(ctx, conn, wire.Ping{})
	if err != nil {
		return c.firstReplyError(parent, "PONG", err)
	}
	defer reply.Release()
	c.noteRTT(time.Since(t0))
	if reply.cmd() != wire.ReplyPong {
		return fmt.Errorf("%w: PING answered with %q", ErrProtocol, reply.cmd())
	}
	return nil
}

// firstReplyError explains a failed first request on a new connection.
func (c *Client) firstReplyError(parent context.Context, what string, err error) error {
	switch {
	case parent.Err() != nil:
		return fmt.Errorf("flaxfile: connecting to %s: %w", c.addr, parent.Err())
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: no %s from %s within %v", ErrTimeout, what, c.addr, c.opts.ConnectTimeout)
	}
	return err
}

// noteRTT keeps the shortest round trip seen, so that a loaded moment
// does not pass for a long link.
func (c *Client) noteRTT(d time.Duration) {
	for {
		old := c.rtt.Load()
		if old != 0 && old <= int64(d) || c.rtt.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// dialing is the connection pool's state beyond its idle connections:
// dials under way in the background, and a channel closed (and replaced)
// whenever one ends or a connection comes back.
type dialing struct {
	n       int
	changed chan struct{}
}

// predial starts dialling, in the background, the connections beyond the
// idle ones that a transfer over n connections will take, so that their
// handshakes overlap the request that opens the transfer instead of
// following it. Connections dialled go to the pool; a failed dial is left
// for the transfer's own dial to meet and report.
func (c *Client) predial(ctx context.Context, n int) {
	c.mu.Lock()
	k := n - len(c.idle) - c.dials.n - len(c.lent)
	if c.closed || k <= 0 {
		c.mu.Unlock()
		return
	}
	c.dials.n += k
	c.mu.Unlock()
	for range k {
		go func() {
			conn, err := c.dial(ctx)
			c.mu.Lock()
			defer c.mu.Unlock()
			c.dials.n--
			switch {
			case err != nil:
			case c.closed:
				conn.Close()
			default:
				c.idle = append(c.idle, conn)
			}
			c.poolChangedLocked()
		}()
	}
}

// get takes an idle connection, waits for one being dialled in the
// background or lent (soon back), or dials a new one.
func (c *Client) get(ctx context.Context) (*zmtp.Conn, error) {
	c.mu.Lock()
	for {
		if c.closed {
			c.mu.Unlock()
			return nil, errors.New("flaxfile: client closed")
		}
		for len(c.idle) > 0 {
			conn := c.idle[len(c.idle)-1]
			c.idle = c.idle[:len(c.idle)-1]
			if conn.Err() == nil {
				c.mu.Unlock()
				return conn, nil
			}
		}
		if c.dials.n == 0 && len(c.lent) == 0 {
			break
		}
		if c.dials.changed == nil {
			c.dials.changed = make(chan struct{})
		}
		changed := c.dials.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("flaxfile: connecting to %s: %w", c.addr, ctx.Err())
		}
		c.mu.Lock()
	}
	c.mu.Unlock()
	return c.dial(ctx)
}

// getN takes n connections, dialling the missing ones in parallel.
func (c *Client) getN(ctx context.Context, n int) ([]*zmtp.Conn, error) {
	conns := make([]*zmtp.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { conns[i], errs[i] = c.get(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		if err == nil {
			continue
		}
		for _, conn := range conns {
			if conn != nil {
				c.put(conn)
			}
		}
		return nil, err
	}
	return conns, nil
}

// lend records conn as busy with an answer nobody waits for, so that
// Close closes it; it reports false, having closed conn, when the client
// is closed already.
func (c *Client) lend(conn *zmtp.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		conn.Close()
		return false
	}
	if c.lent == nil {
		c.lent = make(map[*zmtp.Conn]struct{})
	}
	c.lent[conn] = struct{}{}
	return true
}

// unlend ends what lend recorded: conn goes back to the pool after a
// request that ended with err, or is closed.
func (c *Client) unlend(conn *zmtp.Conn, err error) {
	c.mu.Lock()
	delete(c.lent, conn)
	keep := reusable(err) && !c.closed && conn.Err() == nil
	if keep {
		c.idle = append(c.idle, conn) // before waiters wake
	}
	c.poolChangedLocked()
	c.mu.Unlock()
	if !keep {
		conn.Close()
	}
}

// put returns a connection with no request outstanding to the pool.
func (c *Client) put(conn *zmtp.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || conn.Err() != nil {
		conn.Close()
		return
	}
	c.idle = append(c.idle, conn)
	c.poolChangedLocked()
}

// poolChangedLocked wakes those waiting in get for a dial under way.
func (c *Client) poolChangedLocked() {
	if c.dials.changed != nil {
		close(c.dials.changed)
		c.dials.changed = nil
	}
}

// putBack returns to the pool the connections of a transfer whose share
// ended cleanly (clean[i]) and closes the others, whose replies may still
// be on their way.
func (c *Client) putBack(conns []*zmtp.Conn, clean []bool) {
	for i, conn := range conns {
		if clean[i] {
			c.put(conn)
		} else {
			conn.Close()
		}
	}
}

// release returns conn to the pool after a request that ended with err,
// or closes it when a reply may still be on its way.
func (c *Client) release(conn *zmtp.Conn, err error) {
	if reusable(err) {
		c.put(conn)
		return
	}
	conn.Close()
}

// reusable reports whether a connection whose request ended with err has
// nothing more on its way: it succeeded, or the server answered ERROR.
func reusable(err error) bool {
	var se *ServerError
	return err == nil || errors.As(err, &se)
}
