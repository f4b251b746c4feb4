package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/minio/minio-go/v7"
)

// wholeBelow is the size up to which an opened object is read whole, so
// that it keeps its version whatever happens to the key.
const wholeBelow = 1 << 20

// Open implements store.Store.
func (s *Store) Open(ctx context.Context, key string) (store.Object, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return nil, err
	}
	oi, err := s.c.StatObject(ctx, s.bucket, s.object(k), minio.StatObjectOptions{})
	if err != nil {
		if notFound(err) {
			if dir, derr := s.isDir(ctx, k); derr == nil && dir {
				return nil, store.ErrIsDir
			}
			return nil, store.ErrNotFound
		}
		return nil, fmt.Errorf("s3: %s: %w", k, err)
	}
	o := &object{s: s, name: s.object(k), etag: oi.ETag, info: infoOf(k, oi.Size, oi.LastModified, oi.UserMetadata)}
	if oi.Size <= wholeBelow {
		buf := make([]byte, oi.Size)
		if _, err := o.readAt(ctx, buf, 0); err != nil {
			return nil, err
		}
		o.whole = bytes.NewReader(buf)
	}
	return o, nil
}

// object is an opened version of a file.
type object struct {
	s     *Store
	name  string
	etag  string
	info  store.Info
	whole *bytes.Reader // the octets, for a small object
	spans spans         // long responses ranges in order are read from
}

// ReadAt reads a range of the opened version; a larger object replaced
// since it was opened fails here (its ETag no longer matches). Reads in
// order (hashing or cutting a file, copying its blocks) share long
// responses, as ReadRange's ranges do.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if o.whole != nil {
		return o.whole.ReadAt(p, off)
	}
	ctx, cancel := o.s.opContext()
	defer cancel()
	return o.readAt(ctx, p, off)
}

// readAt is ReadAt within ctx.
func (o *object) readAt(ctx context.Context, p []byte, off int64) (int, error) {
	size := o.info.Size
	if off < 0 {
		return 0, fmt.Errorf("s3: reading %s: negative offset %d", o.info.Key, off)
	}
	if off >= size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := min(int64(len(p)), size-off)
	if want == 0 {
		return 0, nil
	}
	r, err := o.ReadRange(ctx, off, want)
	if err != nil {
		return 0, err
	}
	n, err := io.ReadFull(r, p[:want])
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// ReadRange implements store.RangeReader: the store's response body for
// n octets at off, pinned to the ETag, for a caller to pass on as it
// arrives. A small object read whole on open is served from memory. A
// range read on its own is bounded by the store's request timeout, as
// ReadAt is; one read from a span fails when the span moves nothing for
// that long.
func (o *object) ReadRange(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	if off < 0 || n < 0 || off > o.info.Size || n > o.info.Size-off {
		return nil, fmt.Errorf("s3: range %d+%d of %s is past its %d octets", off, n, o.info.Key, o.info.Size)
	}
	if o.whole != nil || n == 0 {
		return io.NopCloser(io.NewSectionReader(o, off, n)), nil
	}
	if s, opened := o.spans.join(off, n, o.info.Size); s != nil {
		if r := o.onSpan(ctx, s, opened, off, n); r != nil {
			return r, nil
		}
		o.spans.readingAlone(off, n)
	}
	ctx, cancel := context.WithTimeout(ctx, o.s.timeout)
	r, err := o.get(ctx, off, n)
	if err != nil {
		cancel()
		return nil, err
	}
	return &rangeBody{r: r, left: n, key: o.info.Key, cancel: cancel}, nil
}

// onSpan reads a range on the span it joined: the one who opened the span
// opens its response (from off to the version's end); the others wait
// their turn. It returns nil when the span broke, or its response could not be
// had: the range is then read on its own.
func (o *object) onSpan(ctx context.Context, s *stream, opened bool, off, n int64) io.ReadCloser {
	if opened {
		body, stop, err := o.openSpan(off, s.end)
		if err != nil {
			o.spans.mu.Lock()
			o.spans.kill(s)
			o.spans.mu.Unlock()
			return nil
		}
		if !o.spans.ready(s, body, stop, o.s.timeout) {
			return nil
		}
		return &spanRange{sp: &o.spans, s: s, n: n, left: n, key: o.info.Key, quiet: o.s.timeout}
	}
	skip, ok := o.spans.wait(ctx, s, off)
	if !ok {
		return nil
	}
	r := &spanRange{sp: &o.spans, s: s, gap: skip, skip: skip, n: n, left: n, key: o.info.Key, quiet: o.s.timeout}
	if skip > reopenPast {
		// A long gap costs the store more to send than a new request.
		body, stop, err := o.openSpan(off, s.end)
		if err == nil {
			if !o.spans.ready(s, body, stop, o.s.timeout) {
				o.spans.release(s, 0, false)
				return nil
			}
			r.skip = 0
		}
	}
	return r
}

// reopenPast is the longest gap a span reads past; after a longer one it
// opens a new response where the next range begins.
const reopenPast = 4 << 20

// openSpan opens a span's response, from off to end, bounded in its wait
// for the store's answer by the store's timeout.
func (o *object) openSpan(off, end int64) (io.ReadCloser, func(), error) {
	sctx, stop := context.WithCancel(context.Background())
	t := time.AfterFunc(o.s.timeout, stop)
	body, err := o.get(sctx, off, end-off)
	t.Stop()
	if err != nil {
		stop()
		return nil, nil, err
	}
	return body, stop, nil
}

// get opens the store's response for n > 0 octets at off, pinned to the
// ETag: the response body itself (Core), not minio.Object, which pipes it
// through a goroutine of its own.
func (o *object) get(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(off, off+n-1); err != nil {
		return nil, err
	}
	if err := opts.SetMatchETag(o.etag); err != nil {
		return nil, err
	}
	r, _, _, err := o.s.core.GetObject(passable(ctx), o.s.bucket, o.name, opts)
	if err != nil {
		if code := minio.ToErrorResponse(err).Code; code == "PreconditionFailed" {
			return nil, fmt.Errorf("s3: %s: %w", o.info.Key, store.ErrReplaced)
		}
		return nil, fmt.Errorf("s3: reading %s: %w", o.info.Key, err)
	}
	return r, nil
}

// rangeBody yields exactly the range's octets: a response that ends early
// is an error, one that goes on is cut at the range's end.
type rangeBody struct {
	r      io.ReadCloser
	left   int64
	key    string
	cancel context.CancelFunc
}

func (b *rangeBody) Read(p []byte) (int, error) { return readLeft(b.r, p, &b.left, b.key) }

// readLeft reads from r, a response owing *left more octets of key, no
// more than those, counting them off: a response that ends sooner is an
// error, one that goes on is cut at the range's end.
func readLeft(r io.Reader, p []byte, left *int64, key string) (int, error) {
	if *left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > *left {
		p = p[:*left]
	}
	n, err := r.Read(p)
	*left -= int64(n)
	switch {
	case *left == 0:
		return n, nil
	case err == io.EOF:
		return n, fmt.Errorf("s3: reading %s: %w", key, io.ErrUnexpectedEOF)
	case err != nil:
		return n, fmt.Errorf("s3: reading %s: %w", key, err)
	}
	return n, nil
}

// PassTo implements store.Passer.
func (b *rangeBody) PassTo(w io.Writer) (int64, bool, error) {
	return passRange(b.r, w, &b.left, b.key, nil)
}

func (b *rangeBody) Close() error {
	err := b.r.Close()
	b.cancel()
	return err
}

// Close implements store.Object: it lets the version's spans go.
func (o *object) Close() error {
	o.spans.closeAll()
	return nil
}

// Info implements store.Object.
func (o *object) Info() store.Info { return o.info }
