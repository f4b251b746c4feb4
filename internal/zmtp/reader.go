package zmtp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// readLoop is the reader goroutine: it decodes frames into messages and
// hands complete messages to Recv, answers PINGs through the writer and ends
// the connection on the first error.
func (c *Conn) readLoop() {
	// Reads go straight to br until a timeout applies: ours from the start,
	// or the peer's once its first PING carries a TTL.
	var hdrBuf [MaxHeaderSize]byte
	msg := &Message{pool: c.pool, budget: c.budget}
	r := io.Reader(c.br)
	if c.hbTimeout > 0 || c.msgIdle > 0 {
		r = &deadlineReader{r: c.br, c: c, msg: &msg}
	}
	var total int64
	sp := newSplicer()
	defer sp.close()
	lw := newLowWater(c.nc)
	var piece []byte // the sink's piece buffer, made when first needed
	overhead := uint64(0)
	if c.codec != nil {
		overhead = uint64(c.codec.Overhead())
	}
	inPlace, _ := c.codec.(InPlaceCodec) // opens a body where it lies
	for {
		if r == io.Reader(c.br) && c.peerTTL.Load() > 0 {
			r = &deadlineReader{r: c.br, c: c, msg: &msg}
		}
		h, err := ReadFrameHeader(r, &hdrBuf)
		if err != nil {
			if total > 0 {
				err = noEOF(err)
			}
			c.endRead(msg, err)
			return
		}
		if len(msg.Frames) >= c.maxFrames {
			c.endRead(msg, fmt.Errorf("%w: more than %d frames", ErrMessageTooLarge, c.maxFrames))
			return
		}
		if room := c.maxMsg - total - FrameCost; h.Size < overhead || room < 0 || h.Size-overhead > uint64(room) {
			c.endRead(msg, fmt.Errorf("%w: frame of %d octets after %d, limit %d", ErrMessageTooLarge, h.Size, total, c.maxMsg))
			return
		}
		// A body the sink takes goes to a file and needs no buffer, so
		// the sink is asked before any budget is taken.
		if taken, writeErr, err := c.sinkBody(&sp, &lw, &piece, msg, h); err != nil {
			c.endRead(msg, err)
			return
		} else if taken {
			msg.sunk = append(msg.sunk, len(msg.Frames))
			msg.sunkLen = append(msg.sunkLen, int64(h.Size))
			msg.sunkErr = append(msg.sunkErr, writeErr)
			if ok, _ := c.take(msg, FrameCost); !ok || !c.addFrame(&msg, &total, h.Flags, nil, nil, int64(h.Size)) {
				return
			}
			continue
		}
		// Every frame counts, the empty ones too; a CURVE frame needs its
		// ciphertext and its plaintext, unless it is opened in place.
		need := int64(h.Size)
		if c.codec != nil && inPlace == nil && h.Size >= minPooled {
			need *= 2
		}
		ok, small := c.take(msg, need+FrameCost)
		if !ok {
			return
		}
		raw := c.pool.Get(int(h.Size))
		if err := readBody(r, &lw, raw); err != nil {
			c.pool.Put(raw)
			c.endRead(msg, noEOF(err))
			return
		}
		flags, payload, backing := h.Flags, raw, raw
		if c.codec != nil {
			if h.More() {
				c.pool.Put(raw)
				c.endRead(msg, fmt.Errorf("%w: MORE set outside the box on an encrypted connection", ErrProtocol))
				return
			}
			if inPlace != nil {
				flags, payload, err = inPlace.OpenInPlace(h, raw)
			} else {
				backing = c.pool.Get(len(raw))
				flags, payload, err = c.codec.Open(backing, h, raw)
				c.pool.Put(raw)
			}
			if err != nil {
				c.pool.Put(backing)
				c.endRead(msg, err)
				return
			}
		}
		if flags&FlagCommand != 0 {
			err := c.handleCommand(payload)
			c.pool.Put(backing)
			if c.budget != nil { // a command is not part of the message
				c.budget.ungrow(msg, need+FrameCost, small)
			}
			if err != nil {
				c.endRead(msg, err)
				return
			}
			continue
		}
		if !c.addFrame(&msg, &total, flags, payload, backing, int64(len(payload))) {
			return
		}
	}
}

// addFrame appends a frame of n octets to the message being assembled
// and, on its last frame, hands the message to Recv and starts the next.
// It reports false when the connection ended meanwhile.
func (c *Conn) addFrame(msg **Message, total *int64, flags byte, payload, backing []byte, n int64) bool {
	m := *msg
	*total += n + FrameCost
	m.Frames = append(m.Frames, payload)
	m.backing = append(m.backing, backing)
	if flags&FlagMore != 0 {
		return true
	}
	select {
	case c.recvq <- m:
	case <-c.done:
		m.Release()
		return false
	}
	*msg = &Message{pool: c.pool, budget: c.budget}
	*total = 0
	return true
}

// take counts n octets of msg against the budget, if there is one,
// waiting for room; it reports false, having dropped msg, when the
// connection ended meanwhile, and whether the octets were a small
// message's (for give).
func (c *Conn) take(msg *Message, n int64) (ok, small bool) {
	if c.budget == nil {
		return true, false
	}
	if ok, small = c.budget.grow(c.done, msg, n); !ok {
		msg.Release()
	}
	return ok, small
}

// sinkBody lets the Sink, if there is one, take a large message frame's
// body straight from the socket. It reports whether it did.
func (c *Conn) sinkBody(sp *splicer, lw *lowWater, piece *[]byte, msg *Message, h FrameHeader) (taken bool, writeErr, err error) {
	sp2 := c.sink.Load()
	if sp2 == nil || c.codec != nil || h.Command() || h.Size < minPooled {
		return false, nil, nil
	}
	t, err := (*sp2).Place(msg.Frames, int64(h.Size))
	if err != nil || t.File == nil && t.Pieces == nil {
		return false, nil, err
	}
	n := int64(h.Size)
	if t.Pieces != nil {
		c.bodyDeadline()
		lw.begin()
		writeErr, err = readPieces(&bodyReader{r: c.br, l: lw, n: n}, piece, PieceSize, n, t.Pieces)
		lw.end()
		if err != nil {
			return false, nil, noEOF(err)
		}
		return true, writeErr, nil
	}
	// What the buffered reader already holds goes by pwrite; the rest
	// from the socket by splice.
	if b := min(int64(c.br.Buffered()), n); b > 0 {
		p, _ := c.br.Peek(int(b))
		writeErr = t.writeAt(p, t.Offset)
		_, _ = c.br.Discard(int(b))
		t.Offset += b
		n -= b
	}
	if n == 0 {
		return true, writeErr, nil
	}
	c.bodyDeadline()
	if writeErr == nil {
		err = sp.spliceTo(c.nc, lw, t, n)
		var we *sinkWriteError
		switch {
		case err == nil:
			c.traffic.addReceived(n)
			return true, nil, nil
		case errors.As(err, &we):
			c.traffic.addReceived(n - we.rest)
			if _, err := io.CopyN(io.Discard, c.br, we.rest); err != nil {
				return false, nil, noEOF(err)
			}
			return true, we.err, nil
		case err != errNoSplice:
			return err == nil, nil, err
		}
	}
	// Without splice, or after a failed write: through a buffer; once a
	// write has failed, the rest of the body is read and dropped so that
	// the connection can go on and the handler can answer.
	lw.begin()
	body := &bodyReader{r: c.br, l: lw, n: n}
	if writeErr != nil {
		_, err = readPieces(body, piece, copySize, n, func([]byte) error { return writeErr })
	} else {
		writeErr, err = readPieces(body, piece, copySize, n, func(p []byte) error {
			err := t.writeAt(p, t.Offset)
			t.Offset += int64(len(p))
			return err
		})
	}
	lw.end()
	if err != nil {
		return false, nil, noEOF(err)
	}
	return true, writeErr, nil
}

// bodyDeadline gives a sunk body the read timeout, if there is one, to
// arrive in.
func (c *Conn) bodyDeadline() {
	if c.readTimeout() > 0 {
		_ = c.nc.SetReadDeadline(time.Now().Add(c.readTimeout()))
	}
}

// endRead drops a half-assembled message and ends the connection.
func (c *Conn) endRead(partial *Message, err error) {
	mid := len(partial.Frames) > 0
	partial.Release()
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		if t := c.readTimeout(); c.msgIdle > 0 && mid && (t == 0 || c.msgIdle < t) {
			err = fmt.Errorf("%w: nothing received for %v in the middle of a message", ErrHeartbeat, c.msgIdle)
		} else {
			err = fmt.Errorf("%w: nothing received for %v", ErrHeartbeat, t)
		}
	}
	c.fail(err)
}

// handleCommand acts on a command received after the handshake.
func (c *Conn) handleCommand(body []byte) error {
	cmd, err := ParseCommand(body)
	if err != nil {
		return err
	}
	switch cmd.Name {
	case CmdPing:
		p, err := ParsePing(cmd.Data)
		if err != nil {
			return err
		}
		c.peerTTL.Store(int64(p.TTL) * int64(100*time.Millisecond))
		select {
		case c.ctrlq <- ctrlFrame{name: CmdPong, data: append([]byte(nil), p.Context...)}:
		default: // the writer is behind; the peer will ping again
		}
	case CmdError:
		reason, err := ParseError(cmd.Data)
		if err != nil {
			return err
		}
		return &PeerError{Reason: reason}
	default:
		// PONG, and commands of later protocol versions, need nothing.
	}
	return nil
}

// readTimeout is how long the reader waits for the next octets: our own
// heartbeat timeout or the peer's TTL, whichever is longer; zero for none.
func (c *Conn) readTimeout() time.Duration {
	return max(c.hbTimeout, time.Duration(c.peerTTL.Load()))
}

// deadlineReader moves the read deadline forward before every read, so a
// timeout means "nothing arrived for that long", however large the frame.
// Inside a message, MessageIdleTimeout applies too.
type deadlineReader struct {
	r   io.Reader
	c   *Conn
	msg **Message // the message being assembled
	set bool      // a deadline is in force
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	t := d.c.readTimeout()
	if m := *d.msg; d.c.msgIdle > 0 && len(m.Frames) > 0 && (t == 0 || d.c.msgIdle < t) {
		t = d.c.msgIdle
	}
	switch {
	case t > 0:
		_ = d.c.nc.SetReadDeadline(time.Now().Add(t))
		d.set = true
	case d.set: // between messages, with no heartbeat timeout: none
		_ = d.c.nc.SetReadDeadline(time.Time{})
		d.set = false
	}
	return d.r.Read(p)
}
