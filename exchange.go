package flaxfile

import (
	"context"
	"errors"
	"fmt"

	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// reply is a received reply: frames after the delimiter.
type reply struct {
	m      *zmtp.Message
	frames [][]byte
}

func (r *reply) cmd() string { return wire.Status(r.frames) }

// sunk reports whether frame i (after the delimiter) went straight into a
// file through a zmtp.Sink.
func (r *reply) sunk(i int) bool { return r.m.Sunk(i + 1) }

// request sends one request on a pooled connection of the primary and
// returns its reply; the connection goes back to the pool unless the
// exchange broke it. When the primary cannot be reached, another server
// of its store takes its place first (failover).
func (c *Client) request(ctx context.Context, req wire.Request) (*reply, error) {
	r, _, err := c.requestOn(ctx, req)
	return r, err
}

// requestOn is request that also says which server answered: the one a
// transfer's handle or upload session then lives on. A request that may
// be made twice (repeatable) whose server stopped answering before it
// replied is made again through the server that took its place.
func (c *Client) requestOn(ctx context.Context, req wire.Request) (*reply, *peer, error) {
	p := c.home()
	conn, err := p.conns.take(ctx)
	if err != nil && c.failover(ctx, err) {
		p = c.home()
		conn, err = p.conns.take(ctx)
	}
	if err != nil {
		return nil, nil, err
	}
	r, err := c.call(ctx, conn, req)
	p.conns.settle(conn, err)
	if err != nil && repeatable(req.Command()) && c.failover(ctx, err) {
		p = c.home()
		if conn, err = p.conns.take(ctx); err != nil {
			return nil, nil, err
		}
		r, err = c.call(ctx, conn, req)
		p.conns.settle(conn, err)
	}
	return r, p, err
}

// repeatable reports whether a request of cmd may be made again when its
// answer was lost: it changes nothing (a question, opening a download),
// or doing it twice leaves what doing it once does (opening an upload by
// its id, publishing small files whole). Not a DELETE (the second would
// find nothing and say so), nor what names a server's own handle or
// cursor.
func repeatable(cmd string) bool {
	switch cmd {
	case wire.CmdPing, wire.CmdHello, wire.CmdStatus, wire.CmdPartials, wire.CmdList, wire.CmdList2,
		wire.CmdGet, wire.CmdGetSmall, wire.CmdHashes, wire.CmdPut, wire.CmdPutSmall:
		return true
	}
	return false
}

// chunkReply checks r, the answer to a chunk request req of a windowed
// transfer: ERROR becomes the server's error, anything but want a
// protocol error. It returns the reply (its number: the chunk's id or
// offset) once ok accepts the number.
func chunkReply(r *reply, req, want string, ok func(int64) bool) (wire.Numbered, error) {
	if r.cmd() == wire.ReplyError {
		return wire.Numbered{}, serverError(req, r.frames)
	}
	m, err := wire.ParseNumbered(r.frames, req, want)
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if !ok(m.N) {
		return m, fmt.Errorf("%w: %s answered %s %d", ErrProtocol, req, want, m.N)
	}
	return m, nil
}

// sunkErr is why a sink failed to write frame i into its file, or nil.
func (r *reply) sunkErr(i int) error { return r.m.SunkErr(i + 1) }

// Release returns the reply's buffers.
func (r *reply) Release() { r.m.Release() }

// recv waits for the next reply on conn within the reply timeout.
func (c *Client) recv(parent context.Context, conn *zmtp.Conn) (*reply, error) {
	ctx, cancel := context.WithTimeout(parent, c.opts.ReplyTimeout)
	defer cancel()
	m, err := conn.Recv(ctx)
	if err != nil {
		if parent.Err() != nil { // the caller's deadline or cancel, not ours
			return nil, parent.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: no reply within %v", ErrTimeout, c.opts.ReplyTimeout)
		}
		return nil, err
	}
	frames, ok := wire.SplitReply(m.Frames)
	if !ok {
		m.Release()
		return nil, fmt.Errorf("%w: a reply of %d frames without its delimiter", ErrProtocol, len(m.Frames))
	}
	return &reply{m: m, frames: frames}, nil
}

// call sends one request and waits for its reply. An ERROR reply comes
// back as a *ServerError.
func (c *Client) call(ctx context.Context, conn *zmtp.Conn, req wire.Request) (*reply, error) {
	cmd := req.Command()
	c.opts.Logger.Log(ctx, LevelTrace, "→ request", "command", cmd, "args", len(req.Args()))
	if err := conn.Send(ctx, wire.RequestFrames(req)...); err != nil {
		return nil, err
	}
	r, err := c.recv(ctx, conn)
	if err != nil {
		return nil, err
	}
	c.opts.Logger.Log(ctx, LevelTrace, "← reply", "command", cmd, "status", r.cmd(), "frames", len(r.frames))
	if r.cmd() == wire.ReplyError {
		defer r.Release()
		return nil, serverError(cmd, r.frames)
	}
	return r, nil
}

func serverError(cmd string, frames [][]byte) error {
	e, _ := wire.ParseError(frames)
	return &ServerError{Command: cmd, Message: e.Message}
}
