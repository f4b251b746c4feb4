package zmtp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// ctrlFrame is a command the reader asks the writer to send (a PONG).
type ctrlFrame struct {
	name string
	data []byte
}

// writeLoop is the writer goroutine: it writes queued messages, control
// commands and heartbeats, one at a time, until the connection ends.
func (c *Conn) writeLoop() {
	var tick <-chan time.Time
	if c.hbInterval > 0 && c.peer.supportsHeartbeats() {
		t := time.NewTicker(c.hbInterval)
		defer t.Stop()
		tick = t.C
	}
	w := &frameWriter{c: c}
	for {
		var err error
		select {
		case <-c.done:
			return
		case req := <-c.sendq:
			if !req.state.CompareAndSwap(reqQueued, reqTaken) {
				continue
			}
			err = w.writeMessage(req.parts)
			req.done <- err
		case f := <-c.ctrlq:
			err = w.writeCommand(f.name, f.data)
		case <-tick:
			err = w.writeCommand(CmdPing, AppendPingData(nil, Ping{TTL: c.hbTTL}))
		}
		if err != nil {
			c.fail(err)
			return
		}
	}
}

// frameWriter holds the writer goroutine's scratch space.
type frameWriter struct {
	c    *Conn
	hdrs []byte      // headers of the message being written
	bufs net.Buffers // what the next vectored write sends
	held [][]byte    // pooled buffers to return after the write

	budgetHeld int64 // octets of the connection's Budget held for them
}

// writeCommand writes one command frame, sealed when there is a codec.
func (w *frameWriter) writeCommand(name string, data []byte) error {
	body := AppendCommandBody(nil, name, data)
	if w.c.codec == nil {
		n, err := w.c.nc.Write(AppendCommandFrame(nil, name, data))
		w.c.traffic.addSent(int64(n))
		return err
	}
	out, err := w.c.codec.Seal(nil, FlagCommand, body)
	if err != nil {
		return err
	}
	n, err := w.c.nc.Write(out)
	w.c.traffic.addSent(int64(n))
	return err
}

// writeMessage writes a multipart message: on a plaintext connection its
// headers and byte bodies go out in one vectored write, file sections by
// sendfile between them; on an encrypted one each frame is sealed into a
// pooled buffer and the lot goes out in one vectored write.
func (w *frameWriter) writeMessage(parts []Part) error {
	defer w.release()
	if need := len(parts) * MaxHeaderSize; cap(w.hdrs) < need {
		w.hdrs = make([]byte, 0, need)
	}
	w.hdrs = w.hdrs[:0]
	for i, p := range parts {
		var flags byte
		if i < len(parts)-1 {
			flags = FlagMore
		}
		if (p.File != nil || p.Fill != nil || p.Stream != nil) && p.Len < 0 {
			return fmt.Errorf("zmtp: negative section length %d", p.Len)
		}
		if w.c.codec != nil {
			if p.Stream != nil && p.Fill == nil {
				return errors.New("zmtp: a streamed frame needs a Fill to be sealed")
			}
			if err := w.sealPart(flags, p); err != nil {
				return err
			}
			continue
		}
		start := len(w.hdrs)
		w.hdrs = AppendFrameHeader(w.hdrs, flags, uint64(p.size()))
		w.bufs = append(w.bufs, w.hdrs[start:])
		if p.Stream != nil {
			if err := w.stream(p); err != nil {
				return err
			}
			continue
		}
		if p.Fill != nil {
			buf := w.c.pool.Get(int(p.Len))
			w.held = append(w.held, buf)
			if err := p.Fill(buf); err != nil {
				return err
			}
			w.bufs = append(w.bufs, buf)
			continue
		}
		if p.File == nil {
			if len(p.Data) > 0 {
				w.bufs = append(w.bufs, p.Data)
			}
			continue
		}
		if err := w.flush(); err != nil {
			return err
		}
		if err := sendFile(w.c.nc, p.File, p.Offset, p.Len); err != nil {
			return err
		}
		w.c.traffic.addSent(p.Len)
	}
	return w.flush()
}

// sealPart encrypts one frame into a pooled buffer queued for the next
// write. With a Budget, the buffers it needs (the box, and the plaintext
// while sealing) are taken from it first, so that many connections
// sealing at once share a few buffers instead of each holding its own.
func (w *frameWriter) sealPart(flags byte, p Part) error {
	if w.c.budget != nil && p.size() >= minPooled {
		need := 2 * p.size()
		if _, inPlace := w.c.codec.(InPlaceCodec); inPlace {
			need = p.size()
		}
		if !w.c.budget.Acquire(w.c.done, need) {
			return w.c.err
		}
		w.budgetHeld += need
	}
	fill := p.filler()
	if fs, ok := w.c.codec.(FillSealer); ok && fill != nil {
		out := w.c.pool.Get(MaxHeaderSize + w.c.codec.Overhead() + int(p.Len))
		out, err := fs.SealFill(out[:0], flags, int(p.Len), fill)
		if err != nil {
			w.c.pool.Put(out)
			return err
		}
		w.held = append(w.held, out)
		w.bufs = append(w.bufs, out)
		return nil
	}
	data := p.Data
	if fill != nil {
		buf := w.c.pool.Get(int(p.Len))
		w.held = append(w.held, buf)
		if err := fill(buf); err != nil {
			return err
		}
		data = buf
	}
	out := w.c.pool.Get(MaxHeaderSize + w.c.codec.Overhead() + len(data))
	out, err := w.c.codec.Seal(out[:0], flags, data)
	if err != nil {
		w.c.pool.Put(out)
		return err
	}
	w.held = append(w.held, out)
	w.bufs = append(w.bufs, out)
	return nil
}

// stream writes what is queued, then p's payload as p.Stream produces it;
// any other length than p.Len breaks the framing and fails the write.
func (w *frameWriter) stream(p Part) error {
	if err := w.flush(); err != nil {
		return err
	}
	cw := &countingWriter{w: w.c.nc, max: p.Len}
	err := p.Stream(cw)
	w.c.traffic.addSent(cw.n)
	if err == nil && cw.n != p.Len {
		err = fmt.Errorf("zmtp: a streamed frame of %d octets ended after %d", p.Len, cw.n)
	}
	return err
}

// countingWriter counts what it passes on, and passes on no more than
// max octets (a frame's declared length). It hides the connection's
// ReadFrom, so that io.CopyBuffer into it uses the caller's buffer.
type countingWriter struct {
	w   io.Writer
	n   int64
	max int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	var over error
	if int64(len(p)) > c.max-c.n {
		p = p[:c.max-c.n]
		over = fmt.Errorf("zmtp: a streamed frame of %d octets went on past its length", c.max)
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err == nil {
		err = over
	}
	return n, err
}

// ReadFromConn passes n octets from src into the frame (store.ConnSink):
// from one TCP connection to another with splice(2) on Linux, the octets
// never copied through the process. Like Write, it refuses to go past the
// frame's length.
func (c *countingWriter) ReadFromConn(src net.Conn, n int64) (int64, error) {
	if n < 0 || n > c.max-c.n {
		return 0, fmt.Errorf("zmtp: %d octets passed into a streamed frame that has room for %d", n, c.max-c.n)
	}
	lr := &io.LimitedReader{R: src, N: n}
	var m int64
	var err error
	if rf, ok := c.w.(io.ReaderFrom); ok {
		m, err = rf.ReadFrom(lr)
	} else {
		m, err = io.Copy(c.w, lr)
	}
	c.n += m
	return m, err
}

// flush writes what is queued with one vectored write.
func (w *frameWriter) flush() error {
	if len(w.bufs) == 0 {
		return nil
	}
	n, err := w.bufs.WriteTo(w.c.nc)
	w.c.traffic.addSent(n)
	w.bufs = w.bufs[:0]
	return err
}

// release returns held buffers to the pool and drops references to the
// caller's data.
func (w *frameWriter) release() {
	for _, b := range w.held {
		w.c.pool.Put(b)
	}
	if w.budgetHeld > 0 {
		w.c.budget.Release(w.budgetHeld)
		w.budgetHeld = 0
	}
	clear(w.held)
	w.held = w.held[:0]
	clear(w.bufs[:cap(w.bufs)])
	w.bufs = w.bufs[:0]
}
