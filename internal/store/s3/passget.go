package s3

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
)

// A download through an object-store server crosses the process twice
// when it is copied: the store's response read into a buffer, the buffer
// written to the client's socket (measured: 0.43 CPU-seconds per GiB, all
// of it in those two system calls, on a 2-core machine where the store
// itself and the client need the rest). So a ranged GET over plain HTTP
// is made on a connection of our own (passTransport), and its body keeps
// that connection at hand: a range passed on to a FlaxFile connection
// (store.Passer) goes socket to socket with splice(2), never copied
// through the process. minio-go still builds, signs and retries the
// request and reads any error reply; everything else goes through its
// own transport.

// passKey marks a request's context: a GET whose body may be passed on.
type passKey struct{}

// passable marks ctx for passTransport.
func passable(ctx context.Context) context.Context {
	return context.WithValue(ctx, passKey{}, true)
}

// passWindow bounds what the kernel takes in ahead of the reader on a
// connection of ours to the store (on Linux, where the system allows a
// buffer that large). A span that its ranges leave (the next ones went to
// another server, or read on their own) has taken in what the store sent
// ahead of them, all read from the store's disks for nothing: left to the
// kernel's tuning, the buffer reached tens of MiB (measured: one download
// spread over three servers made SeaweedFS send 25 % more than the file;
// 15 % with this bound). Held to 1 MiB the buffer cost the servers a
// sixth more CPU on loopback, waiting on it; 4 MiB keeps the store
// streaming. (TCP_WINDOW_CLAMP, which leaves the buffer's tuning alone,
// did not bound it: 25 % more, as without.)
const passWindow = 4 << 20

// maxIdlePass bounds the connections kept open for later GETs.
const maxIdlePass = 16

// maxReplyHead bounds a reply's status line and headers, as net/http's
// transport bounds them (its default is 1 MiB).
const maxReplyHead = 1 << 20

// passTransport makes the marked plain-HTTP GETs itself and hands every
// other request to base.
type passTransport struct {
	base   http.RoundTripper
	dialer net.Dialer
	mu     sync.Mutex
	idle   map[string][]*passConn // by host:port
}

// passConn is one connection with its reader; lim bounds what a reply's
// head may take of it.
type passConn struct {
	nc   net.Conn
	lim  *io.LimitedReader
	br   *bufio.Reader
	host string
}

func newPassTransport(base *http.Transport) *passTransport {
	return &passTransport{base: base, dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}, idle: map[string][]*passConn{}}
}

// RoundTrip implements http.RoundTripper.
func (t *passTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Scheme != "http" || req.Context().Value(passKey{}) == nil {
		return t.base.RoundTrip(req)
	}
	if b, ok := t.base.(*http.Transport); ok && b.Proxy != nil {
		if p, err := b.Proxy(req); err != nil || p != nil {
			return t.base.RoundTrip(req) // through a proxy: not ours to make
		}
	}
	if req.Body != nil {
		_ = req.Body.Close()
	}

	// A kept connection the store closed meanwhile fails before any of
	// its reply arrives: the GET is then made once more on a new one.
	for {
		c, reused, err := t.conn(req.Context(), req.URL.Host)
		if err != nil {
			return nil, err
		}
		resp, err := t.exchange(req, c)
		if err == nil {
			return resp, nil
		}
		_ = c.nc.Close()
		if !reused || req.Context().Err() != nil {
			return nil, err
		}
	}
}

// conn takes a kept connection to host or dials one.
func (t *passTransport) conn(ctx context.Context, host string) (*passConn, bool, error) {
	t.mu.Lock()
	if l := t.idle[host]; len(l) > 0 {
		c := l[len(l)-1]
		t.idle[host] = l[:len(l)-1]
		t.mu.Unlock()
		return c, true, nil
	}
	t.mu.Unlock()
	nc, err := t.dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, false, err
	}
	boundWindow(nc, passWindow)
	lim := &io.LimitedReader{R: nc, N: math.MaxInt64}
	return &passConn{nc: nc, lim: lim, br: bufio.NewReaderSize(lim, 16<<10), host: host}, false, nil
}

// keep returns a connection whose reply was read to its end.
func (t *passTransport) keep(c *passConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.idle[c.host]) >= maxIdlePass {
		_ = c.nc.Close()
		return
	}
	t.idle[c.host] = append(t.idle[c.host], c)
}

// closeIdle closes the kept connections.
func (t *passTransport) closeIdle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for h, l := range t.idle {
		for _, c := range l {
			_ = c.nc.Close()
		}
		delete(t.idle, h)
	}
	if b, ok := t.base.(*http.Transport); ok {
		b.CloseIdleConnections()
	}
}

// exchange sends req on c and reads its reply's head. The request's
// context interrupts the connection when it ends, to the reply's end.
func (t *passTransport) exchange(req *http.Request, c *passConn) (*http.Response, error) {
	ctx := req.Context()
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*http.Response, error) {
		stop()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if err := req.Write(c.nc); err != nil {
		return fail(err)
	}
	c.lim.N = maxReplyHead
	resp, err := http.ReadResponse(c.br, req)
	if c.lim.N == 0 {
		err = fmt.Errorf("s3: the store's reply head is longer than %d octets", maxReplyHead)
	}
	if err != nil {
		return fail(err)
	}
	c.lim.N = math.MaxInt64
	body := &passBody{t: t, c: c, stop: stop, keep: !resp.Close}
	if resp.ContentLength >= 0 && len(resp.TransferEncoding) == 0 {
		body.left = resp.ContentLength
	} else { // a length the reply does not give: read as the library reads it
		body.other, body.keep = resp.Body, false
	}
	resp.Body = body
	return resp, nil
}

// passBody is a reply's body on its own connection: read through the
// connection's buffer, or passed on from the connection itself.
type passBody struct {
	t      *passTransport
	c      *passConn
	stop   func() bool
	other  io.ReadCloser // the body as net/http reads it, without a length
	left   int64
	keep   bool
	closed bool
}

func (b *passBody) Read(p []byte) (int, error) {
	if b.other != nil {
		return b.other.Read(p)
	}
	if b.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.c.br.Read(p) // past its buffer, bufio reads into p directly
	b.left -= int64(n)
	if err == io.EOF && b.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if b.left == 0 && err == io.EOF {
		err = nil
	}
	return n, err
}

// passTo moves n octets of the body into w: what the connection's buffer
// holds is written, the rest passed from the connection itself.
func (b *passBody) passTo(w store.ConnSink, n int64) (int64, error) {
	if b.other != nil {
		return 0, errors.New("s3: a reply without a length cannot be passed on")
	}
	if n > b.left {
		return 0, fmt.Errorf("s3: %d octets asked of a reply that owes %d", n, b.left)
	}
	var done int64
	if k := min(int64(b.c.br.Buffered()), n); k > 0 {
		p, _ := b.c.br.Peek(int(k))
		m, err := w.Write(p)
		_, _ = b.c.br.Discard(m)
		done += int64(m)
		b.left -= int64(m)
		if err != nil {
			return done, err
		}
	}
	if rest := n - done; rest > 0 {
		m, err := w.ReadFromConn(b.c.nc, rest)
		done += m
		b.left -= m
		if err == nil && m < rest {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// passRange is a range body's store.Passer: it moves the *left octets the
// range still owes from body into w, in pieces of at most passPiece,
// calling moved (if not nil) after each piece that moved something. It
// reports false, having moved nothing, unless body is a reply with a
// length on a connection of its own and w can take from a connection.
func passRange(body io.Reader, w io.Writer, left *int64, key string, moved func()) (int64, bool, error) {
	pb, ok1 := body.(*passBody)
	sink, ok2 := w.(store.ConnSink)
	if !ok1 || !ok2 || pb.other != nil {
		return 0, false, nil
	}
	var done int64
	for *left > 0 {
		n, err := pb.passTo(sink, min(*left, passPiece))
		*left -= n
		done += n
		if n > 0 && moved != nil {
			moved()
		}
		if err != nil {
			return done, true, fmt.Errorf("s3: reading %s: %w", key, err)
		}
	}
	return done, true, nil
}

// passPiece is how much of a range passRange moves between two calls of
// its moved (a span's idle timer is reset at each).
const passPiece = 1 << 20

// Close ends the reply: its connection is kept for another GET when the
// reply was read to its end and its context let it be, else closed.
func (b *passBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.other != nil {
		_ = b.other.Close()
	}
	interrupted := !b.stop()
	if b.keep && b.left == 0 && !interrupted && b.c.br.Buffered() == 0 {
		b.t.keep(b.c)
		return nil
	}
	return b.c.nc.Close()
}
