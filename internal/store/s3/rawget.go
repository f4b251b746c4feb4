package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// A range read for a download goes from the store's socket to the
// client's. Through an HTTP client's body it is copied into this process
// and out again; read from a connection of our own, whose body is the
// socket itself after the response's head, the kernel moves it from one
// socket to the other (splice) without either copy. So on a plain-HTTP
// endpoint reached without a proxy, large ranges are read with presigned
// GETs (presigning is minio-go's: no signing code here) on connections
// kept alive from one range to the next (rawconn.go). A kept connection
// the store has closed meanwhile is replaced by a new one; a range that
// cannot be had this way (no connection, no usable answer) is read
// through minio-go, with its retries.

// presignFor is how long a range's presigned URL is good for: it is used
// at once.
const presignFor = 15 * time.Minute

// maxErrorBody bounds what is read of the store's refusal.
const maxErrorBody = 64 << 10

// rawAtLeast is the least range read on a connection of our own: a
// smaller one gains little from splicing.
const rawAtLeast = 1 << 20

// direct reports whether ranges of this endpoint can be read on
// connections of our own: plain HTTP, and no proxy configured for it.
func direct(ep *url.URL) bool {
	if ep.Scheme != "http" {
		return false
	}
	p, err := http.ProxyFromEnvironment(&http.Request{URL: ep})
	return err == nil && p == nil
}

// rangeURL is the URL a range of object name is read from: presigned, or
// plain when the store is reached without credentials.
func (s *Store) rangeURL(ctx context.Context, name string) (*url.URL, error) {
	v, err := s.creds.GetWithContext(nil)
	if err != nil {
		return nil, err
	}
	if v.SignerType.IsAnonymous() {
		u := *s.ep
		u.Path = "/" + s.bucket + "/" + name
		u.RawPath = "/" + s.bucket + "/" + s3utils.EncodePath(name)
		return &u, nil
	}
	return s.c.PresignedGetObject(ctx, s.bucket, name, presignFor, nil)
}

// errNoRaw marks a range that could not be had on a connection of our
// own for a reason that minio-go's way may not share.
var errNoRaw = errors.New("no usable answer on a connection of our own")

// rawGet opens n > 0 octets at off of the object, pinned to its ETag, on
// a kept or new connection; ctx bounds the whole read (it ends the
// connection's reads when it ends). An error wrapping errNoRaw means the
// range may still be had through minio-go.
func (o *object) rawGet(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	u, err := o.s.rangeURL(ctx, o.name)
	if err != nil {
		return nil, fmt.Errorf("s3: reading %s: %w: %w", o.info.Key, errNoRaw, err)
	}
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: flaxfile\r\nRange: bytes=%d-%d\r\nIf-Match: \"%s\"\r\n\r\n",
		u.RequestURI(), u.Host, off, off+n-1, o.etag)
	for {
		c, reused, err := o.s.raw.get(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3: reading %s: %w: %w", o.info.Key, errNoRaw, err)
		}
		stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
		b := &rawBody{c: c, pool: o.s.raw, stop: stop, left: n, key: o.info.Key}
		resp, err := b.roundTrip(req)
		if err != nil {
			_ = b.abort()
			if reused && ctx.Err() == nil {
				continue // the store closed it while it was kept
			}
			return nil, fmt.Errorf("s3: reading %s: %w: %w", o.info.Key, errNoRaw, err)
		}
		if err := o.checkRange(resp, n); err != nil {
			_ = b.abort()
			if errors.Is(err, errNoRaw) {
				o.s.raw.refused()
			}
			return nil, err
		}
		b.keep = !resp.Close
		return b, nil
	}
}

// checkRange accepts the response to a ranged GET of n octets: exactly
// those, not chunked. A refusal is read (at most maxErrorBody) for its
// code: a failed If-Match is the object replaced; any other is left to
// minio-go's way (errNoRaw), which knows the store's errors.
func (o *object) checkRange(resp *http.Response, n int64) error {
	if resp.StatusCode == http.StatusPartialContent || (resp.StatusCode == http.StatusOK && n == o.info.Size) {
		if resp.ContentLength != n || len(resp.TransferEncoding) > 0 {
			return fmt.Errorf("s3: reading %s: %w: the store answered %d octets (%v) for a range of %d", o.info.Key, errNoRaw, resp.ContentLength, resp.TransferEncoding, n)
		}
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if resp.StatusCode == http.StatusPreconditionFailed || strings.Contains(string(msg), "<Code>PreconditionFailed</Code>") {
		return fmt.Errorf("s3: %s: %w", o.info.Key, store.ErrReplaced)
	}
	return fmt.Errorf("s3: reading %s: %w: the store answered %q", o.info.Key, errNoRaw, resp.Status)
}

// rawBody is a range's body on a connection of our own: what the
// response's head left buffered, then the socket. Read to its end, its
// connection is kept for the next range.
type rawBody struct {
	c    *rawConn
	pool *rawConns
	stop func() bool
	left int64
	key  string
	keep bool // the store will read another request on the connection
}

// roundTrip sends the request and reads the response's head.
func (b *rawBody) roundTrip(req string) (*http.Response, error) {
	if _, err := io.WriteString(b.c.nc, req); err != nil {
		return nil, err
	}
	return http.ReadResponse(b.c.br, nil)
}

func (b *rawBody) Read(p []byte) (int, error) {
	if b.c == nil {
		return 0, fmt.Errorf("s3: reading %s: %w", b.key, net.ErrClosed)
	}
	if b.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	var n int
	var err error
	if b.c.br.Buffered() > 0 {
		n, err = b.c.br.Read(p)
	} else {
		n, err = b.c.nc.Read(p)
	}
	b.left -= int64(n)
	return n, b.wrap(err)
}

// writeN writes the next n octets of the body to w: those buffered, then
// the rest from the socket by w's ReadFrom (a TCP connection splices
// them), or by copying.
func (b *rawBody) writeN(w io.Writer, n int64) (int64, error) {
	if b.c == nil {
		return 0, fmt.Errorf("s3: reading %s: %w", b.key, net.ErrClosed)
	}
	if n > b.left {
		return 0, fmt.Errorf("s3: reading %s: %d octets asked of %d left", b.key, n, b.left)
	}
	var done int64
	if k := min(int64(b.c.br.Buffered()), n); k > 0 {
		m, err := io.CopyN(w, b.c.br, k)
		done += m
		b.left -= m
		if err != nil {
			return done, b.wrap(err)
		}
	}
	if done == n {
		return done, nil
	}
	lr := &io.LimitedReader{R: b.c.nc, N: n - done}
	var m int64
	var err error
	if rf, ok := w.(io.ReaderFrom); ok {
		m, err = rf.ReadFrom(lr)
	} else {
		m, err = io.Copy(w, lr)
	}
	done += m
	b.left -= m
	if err == nil && done < n {
		err = io.ErrUnexpectedEOF
	}
	return done, b.wrap(err)
}

// WriteTo implements io.WriterTo: the rest of the body.
func (b *rawBody) WriteTo(w io.Writer) (int64, error) { return b.writeN(w, b.left) }

// wrap names the key in a read error; the end of the connection before
// the range's end is one.
func (b *rawBody) wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) && b.left > 0:
		err = io.ErrUnexpectedEOF
	case errors.Is(err, io.EOF):
		return err
	}
	return fmt.Errorf("s3: reading %s: %w", b.key, err)
}

// Close keeps the connection when the body was read to its end and its
// context had not ended, else closes it.
func (b *rawBody) Close() error {
	if b.c == nil {
		return nil
	}
	if stopped := b.stop(); !stopped || !b.keep || b.left > 0 {
		return b.abort()
	}
	b.pool.put(b.c)
	b.c = nil
	return nil
}

// abort closes the connection.
func (b *rawBody) abort() error {
	b.stop()
	err := b.c.nc.Close()
	b.c = nil
	return err
}
