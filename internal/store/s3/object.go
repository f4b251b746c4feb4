package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"

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
		if _, err := o.read(ctx, buf, 0); err != nil {
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
}

// ReadAt reads a range of the opened version; a larger object replaced
// since it was opened fails here (its ETag no longer matches).
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if o.whole != nil {
		return o.whole.ReadAt(p, off)
	}
	ctx, cancel := o.s.opContext()
	defer cancel()
	return o.read(ctx, p, off)
}

// read fetches len(p) octets at off, pinned to the ETag.
func (o *object) read(ctx context.Context, p []byte, off int64) (int, error) {
	size := o.info.Size
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
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(off, off+want-1); err != nil {
		return 0, err
	}
	if err := opts.SetMatchETag(o.etag); err != nil {
		return 0, err
	}
	// The response body itself (Core), not minio.Object, which pipes it
	// through a goroutine of its own.
	r, _, _, err := o.s.core.GetObject(ctx, o.s.bucket, o.name, opts)
	if err != nil {
		if code := minio.ToErrorResponse(err).Code; code == "PreconditionFailed" {
			return 0, fmt.Errorf("s3: %s: %w", o.info.Key, store.ErrReplaced)
		}
		return 0, fmt.Errorf("s3: reading %s: %w", o.info.Key, err)
	}
	defer r.Close()
	n, err := io.ReadFull(r, p[:want])
	if err != nil {
		return n, fmt.Errorf("s3: reading %s: %w", o.info.Key, err)
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// Close implements store.Object.
func (o *object) Close() error { return nil }

// Info implements store.Object.
func (o *object) Info() store.Info { return o.info }
