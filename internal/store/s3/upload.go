package s3

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/minio/minio-go/v7"
)

// Create implements store.Store: the upload is written into a spool file
// and sent when it is committed.
func (s *Store) Create(ctx context.Context, key string) (store.Upload, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.spool, "upload-*")
	if err != nil {
		return nil, fmt.Errorf("s3: spool: %w", err)
	}
	return &upload{s: s, key: k, f: f}, nil
}

// upload is a new version in its spool file.
type upload struct {
	s   *Store
	key string
	f   *os.File
}

// WriteAt implements store.Upload.
func (u *upload) WriteAt(p []byte, off int64) (int, error) { return u.f.WriteAt(p, off) }

// ReadAt implements store.Upload.
func (u *upload) ReadAt(p []byte, off int64) (int, error) { return u.f.ReadAt(p, off) }

// File returns the spool file (store.Filer).
func (u *upload) File() *os.File { return u.f }

// Commit sends the spool file as the key's object (one PUT, or a
// multipart upload completed at once: the store publishes it whole) and
// removes it.
func (u *upload) Commit(ctx context.Context, opts store.CommitOptions) error {
	if err := u.s.sendFile(ctx, u.key, u.f, opts); err != nil {
		return err
	}
	return u.Abort()
}

// Abort implements store.Upload.
func (u *upload) Abort() error {
	u.f.Close()
	if err := os.Remove(u.f.Name()); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// send writes size octets read from r as key's object, with its metadata.
func (s *Store) send(ctx context.Context, key string, r io.Reader, size int64, opts store.CommitOptions) error {
	if len(opts.Meta) > store.MaxMeta {
		return fmt.Errorf("s3: metadata of %d octets (at most %d)", len(opts.Meta), store.MaxMeta)
	}
	_, err := s.c.PutObject(ctx, s.bucket, s.object(key), r, size, minio.PutObjectOptions{
		UserMetadata: commitMeta(opts), ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("s3: storing %s: %w", key, err)
	}
	return nil
}

// sendFile writes f as key's object, with its metadata.
func (s *Store) sendFile(ctx context.Context, key string, f *os.File, opts store.CommitOptions) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return s.send(ctx, key, io.NewSectionReader(f, 0, fi.Size()), fi.Size(), opts)
}

// setMeta gives the object a multipart upload made (whose ETag is etag)
// the time, mode and metadata of opts: a copy onto itself that replaces
// its metadata (the store keeps the data), unless the key was replaced
// meanwhile (then the later upload's metadata stands, and this one's
// publish has been superseded: not an error).
func (s *Store) setMeta(ctx context.Context, key, etag string, opts store.CommitOptions) error {
	_, err := s.c.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: s.object(key), ReplaceMetadata: true, UserMetadata: commitMeta(opts)},
		minio.CopySrcOptions{Bucket: s.bucket, Object: s.object(key), MatchETag: etag})
	if code := minio.ToErrorResponse(err).Code; code == "PreconditionFailed" {
		return nil // published, then replaced by another upload: the later wins
	}
	if err != nil {
		return fmt.Errorf("s3: recording the metadata of %s: %w", key, err)
	}
	return nil
}

// commitMeta is the object metadata a commit with opts writes: its time
// (now if none), mode (0644 if none) and metadata.
func commitMeta(opts store.CommitOptions) map[string]string {
	mtime := opts.ModTime
	if mtime.IsZero() {
		mtime = time.Now()
	}
	mode := opts.Mode
	if mode == 0 {
		mode = 0o644
	}
	return userMeta(mtime, mode, opts.Meta)
}
