package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// dialTo opens a connection to addr: the ZMTP handshake, which a wrong password or an
// encryption mismatch fails. Whether the server answers requests is learnt
// from the client's first request (ping, or negotiate), not checked again
// on every connection: on a long link each check is a round trip.
func (c *Client) dialTo(parent context.Context, addr string) (*zmtp.Conn, error) {
	ctx, cancel := context.WithTimeout(parent, c.opts.ConnectTimeout)
	defer cancel()
	mech := c.mech()
	conn, err := zmtp.Dial(ctx, addr, &zmtp.Options{
		Mechanism:        mech,
		Buffers:          c.bufs,
		Budget:           c.budget,
		Traffic:          &c.traffic,
		HandshakeTimeout: c.opts.ConnectTimeout,
		MaxMessageSize:   64<<20 + 64<<10,
	})
	if err != nil {
		if parent.Err() != nil { // cancelled by the caller: not a timeout
			return nil, fmt.Errorf("flaxfile: connecting to %s: %w", addr, parent.Err())
		}
		return nil, c.dialError(ctx, addr, mech, err)
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

// dialError explains a failed connection in the user's terms.
func (c *Client) dialError(ctx context.Context, addr string, mech zmtp.Mechanism, err error) error {
	var mm *zmtp.MechanismMismatchError
	var he *zmtp.HandshakeError
	switch {
	case errors.As(err, &mm) && mm.Remote == "NULL":
		return fmt.Errorf("%w: the server at %s does not use encryption", ErrEncryptionMismatch, addr)
	case errors.As(err, &mm):
		return fmt.Errorf("%w (%s)", ErrEncryptionRequired, addr)
	case ctx.Err() != nil:
		return fmt.Errorf("%w: connecting to %s: %v", ErrTimeout, addr, err)
	case errors.As(err, &he) && mech.Name() == "CURVE" && c.opts.ClientKey != (Key{}) && errors.As(err, new(*zmtp.PeerError)):
		return fmt.Errorf("%w: the server at %s refused this client key: %v", ErrNotAuthorized, addr, err)
	case errors.As(err, &he) && mech.Name() == "CURVE":
		return fmt.Errorf("%w: %v", ErrWrongPassword, err)
	case errors.As(err, &he) && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		// libzmq hangs up mid-greeting on a mechanism it does not use,
		// before saying which one it does.
		return fmt.Errorf("%w (%s closed the connection during the handshake)", ErrEncryptionRequired, addr)
	}
	return fmt.Errorf("flaxfile: connecting to %s: %w", addr, err)
}
