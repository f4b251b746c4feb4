package s3

import (
	"bufio"
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
// endpoint reached without a proxy, ranges are read with presigned GETs
// on connections of their own (presigning is minio-go's: no signing code
// here); elsewhere through minio-go.

// presignFor is how long a range's presigned URL is good for: it is used
// at once.
const presignFor = 15 * time.Minute

// maxErrorBody bounds what is read of the store's refusal.
const maxErrorBody = 64 << 10

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

// rawGet opens n > 0 octets at off of the object, pinned to its ETag, on
// a connection of its own; ctx bounds the whole read (it closes the
// connection when it ends).
func (o *object) rawGet(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	u, err := o.s.rangeURL(ctx, o.name)
	if err != nil {
		return nil, fmt.Errorf("s3: reading %s: %w", o.info.Key, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("s3: reading %s: %w", o.info.Key, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	b := &rawBody{conn: conn, stop: stop, left: n, key: o.info.Key}
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: flaxfile\r\nRange: bytes=%d-%d\r\nIf-Match: \"%s\"\r\nConnection: close\r\n\r\n",
		u.RequestURI(), u.Host, off, off+n-1, o.etag)
	if _, err := io.WriteString(conn, req); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("s3: reading %s: %w", o.info.Key, err)
	}
	b.br = bufio.NewReaderSize(conn, 4096)
	resp, err := http.ReadResponse(b.br, nil)
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("s3: reading %s: %w", o.info.Key, err)
	}
	if err := o.checkRange(resp, n); err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

// checkRange accepts the response to a ranged GET of n octets: exactly
// those, not chunked. A refusal is read (at most maxErrorBody) for its
// code: a failed If-Match is the object replaced.
func (o *object) checkRange(resp *http.Response, n int64) error {
	if resp.StatusCode == http.StatusPartialContent || (resp.StatusCode == http.StatusOK && n == o.info.Size) {
		if resp.ContentLength != n || len(resp.TransferEncoding) > 0 {
			return fmt.Errorf("s3: reading %s: the store answered %d octets (%v) for a range of %d", o.info.Key, resp.ContentLength, resp.TransferEncoding, n)
		}
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if resp.StatusCode == http.StatusPreconditionFailed || strings.Contains(string(msg), "<Code>PreconditionFailed</Code>") {
		return fmt.Errorf("s3: %s: %w", o.info.Key, store.ErrReplaced)
	}
	code := resp.Status
	if i := strings.Index(string(msg), "<Code>"); i >= 0 {
		if j := strings.Index(string(msg[i:]), "</Code>"); j > 0 {
			code += " " + string(msg[i+len("<Code>"):i+j])
		}
	}
	return fmt.Errorf("s3: reading %s: the store answered %q", o.info.Key, code)
}

// rawBody is a range's body on its own connection: what the response's
// head left buffered, then the socket.
type rawBody struct {
	conn net.Conn
	br   *bufio.Reader
	stop func() bool
	left int64
	key  string
}

func (b *rawBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	var n int
	var err error
	if b.br.Buffered() > 0 {
		n, err = b.br.Read(p)
	} else {
		n, err = b.conn.Read(p)
	}
	b.left -= int64(n)
	return n, b.wrap(err)
}

// writeN writes the next n octets of the body to w: those buffered, then
// the rest from the socket by w's ReadFrom (a TCP connection splices
// them), or by copying.
func (b *rawBody) writeN(w io.Writer, n int64) (int64, error) {
	if n > b.left {
		return 0, fmt.Errorf("s3: reading %s: %d octets asked of %d left", b.key, n, b.left)
	}
	var done int64
	if k := min(int64(b.br.Buffered()), n); k > 0 {
		m, err := io.CopyN(w, b.br, k)
		done += m
		b.left -= m
		if err != nil {
			return done, b.wrap(err)
		}
	}
	if done == n {
		return done, nil
	}
	lr := io.LimitReader(b.conn, n-done)
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

func (b *rawBody) Close() error {
	b.stop()
	return b.conn.Close()
}
