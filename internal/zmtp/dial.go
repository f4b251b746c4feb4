package zmtp

import (
	"context"
	"net"
	"time"
)

// Dial connects a DEALER to the ROUTER at addr ("host:port") and runs the
// handshake. It fails when ctx ends, when the handshake fails or when it
// does not finish within Options.HandshakeTimeout.
func Dial(ctx context.Context, addr string, opts *Options) (*Conn, error) {
	o := opts.withDefaults()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	br, codec, hs, err := handshake(countedConn(nc, o.Traffic), &o, TypeDealer)
	if !stop() {
		err = ctx.Err()
	}
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	c := newConn(nc, br, codec, hs, &o)
	c.start()
	return c, nil
}
