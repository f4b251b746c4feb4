// Package s3 keeps FlaxFile's files in an S3-API object store (tested
// against SeaweedFS), through minio-go: one object per file under an
// optional prefix, its size, time, mode and the server's metadata (the
// file hash) as object metadata, so that a listing or a stat reads no
// data.
//
// What the object store cannot do directly is done here:
//   - writes at any offset: an upload is written into a spool file on the
//     server's own disk and sent as one object (minio-go cuts it into
//     multipart parts) when it is committed, so that readers see the old
//     object or the new one, never a mix;
//   - resumable uploads: multipart uploads whose parts (by offset) and
//     journal records are in the store, so that any server on the bucket
//     resumes them (partial.go);
//   - an open version: objects of up to 1 MiB are read whole when opened;
//     larger ones are read by ranges pinned to the opened object's ETag,
//     so that once the key is replaced their reads fail instead of mixing
//     two versions;
//   - directories: a key is a directory when objects lie under KEY/, and
//     deleting it deletes them in batches.
package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config says where the store is.
type Config struct {
	// Endpoint is the S3 endpoint's URL: http://HOST:PORT or https://….
	Endpoint string
	// Bucket holds the files; Prefix, if not empty, is the folder inside
	// it ("a/b", no slashes at either end).
	Bucket, Prefix string
	// Region, if the store needs one.
	Region string
	// Spool is the local directory uploads are written into before they
	// are sent; empty means one under the system's temporary directory.
	Spool string
	// Timeout bounds each request to the store made without a caller's
	// context (a part sent, a range read), minio-go's retries with
	// backoff included; zero means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout is Config.Timeout's default: long enough for a part
// (8 MiB) over a slow link and minio-go's retries, and shorter than a
// client's reply timeout (60 s by default), so that when the store stops
// answering the client hears why from the server ("sending part N of
// KEY: …") rather than only that no reply came.
const DefaultTimeout = 45 * time.Second

// ParseURL reads
// s3://BUCKET[/PREFIX]?endpoint=URL[&region=R][&spool=DIR][&timeout=D].
func ParseURL(spec string) (Config, error) {
	u, err := url.Parse(spec)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return Config{}, fmt.Errorf("storage %q: want s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT", spec)
	}
	q := u.Query()
	c := Config{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/"), Endpoint: q.Get("endpoint"), Region: q.Get("region"), Spool: q.Get("spool")}
	if v := q.Get("timeout"); v != "" {
		if c.Timeout, err = time.ParseDuration(v); err != nil || c.Timeout <= 0 {
			return Config{}, fmt.Errorf("storage %q: timeout=%s: want a duration such as 30s", spec, v)
		}
	}
	if c.Endpoint == "" {
		return Config{}, fmt.Errorf("storage %q: endpoint= is missing (http://HOST:PORT)", spec)
	}
	return c, nil
}

// Store is an S3 bucket (or a prefix of one) holding files.
type Store struct {
	c       *minio.Client
	core    minio.Core     // the same client's multipart calls
	pass    *passTransport // the client's transport (passget.go)
	bucket  string
	prefix  string // "" or "p/" (with the slash)
	spool   string
	where   string
	timeout time.Duration
	// namespace names what the bucket's prefix holds (Namespace)
	namespace string
}

// opContext bounds one request made without a caller's context.
func (s *Store) opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}

// Open connects to the store cfg names, with credentials from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the shared credentials
// file, and checks that the bucket exists.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	ep, err := url.Parse(cfg.Endpoint)
	if err != nil || (ep.Scheme != "http" && ep.Scheme != "https") || ep.Host == "" {
		return nil, fmt.Errorf("s3: endpoint %q: want http://HOST:PORT or https://HOST:PORT", cfg.Endpoint)
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{&credentials.EnvAWS{}, &credentials.FileAWSCredentials{}})
	base, err := minio.DefaultTransport(ep.Scheme == "https")
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	pass := newPassTransport(base)
	c, err := minio.New(ep.Host, &minio.Options{Creds: creds, Secure: ep.Scheme == "https", Region: cfg.Region, BucketLookup: minio.BucketLookupPath, Transport: pass})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3: %s: %w", cfg.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("s3: %s: no bucket %q", cfg.Endpoint, cfg.Bucket)
	}
	spool := cfg.Spool
	if spool == "" {
		spool = filepath.Join(os.TempDir(), "flaxfile-s3-"+cfg.Bucket+"-"+strings.ReplaceAll(cfg.Prefix, "/", "_"))
	}
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return nil, fmt.Errorf("s3: spool: %w", err)
	}
	sweepSpool(spool)
	// Each store open has its own folder: servers sharing a spool never
	// write each other's files.
	if spool, err = os.MkdirTemp(spool, "run-"); err != nil {
		return nil, fmt.Errorf("s3: spool: %w", err)
	}
	prefix := ""
	if cfg.Prefix != "" {
		prefix = cfg.Prefix + "/"
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	s := &Store{pass: pass, timeout: timeout, c: c, core: minio.Core{Client: c}, bucket: cfg.Bucket, prefix: prefix, spool: spool, where: fmt.Sprintf("s3://%s/%s at %s", cfg.Bucket, cfg.Prefix, cfg.Endpoint)}
	if s.namespace, err = s.readNamespace(ctx); err != nil {
		_ = os.RemoveAll(spool)
		return nil, err
	}
	return s, nil
}

// readNamespace returns the name the bucket's prefix keeps for itself,
// made the first time: every server that opens it shares that name,
// whatever endpoint it reaches it through. (Two servers opening a new
// prefix at the same moment may each keep their own until restarted:
// clients then only fail over between them, not spread.)
func (s *Store) readNamespace(ctx context.Context) (string, error) {
	name := s.prefix + store.PartialDir + "/namespace"
	b, err := s.readSmall(ctx, name)
	if notFound(err) {
		var id [16]byte
		_, _ = rand.Read(id[:])
		if err = s.putSmall(ctx, name, []byte(hex.EncodeToString(id[:]))); err == nil {
			b, err = s.readSmall(ctx, name)
		}
	}
	if err != nil {
		return "", fmt.Errorf("s3: %s: %w", name, err)
	}
	return "s3:" + strings.TrimSpace(string(b)), nil
}

// Namespace implements store.Shared.
func (s *Store) Namespace() string { return s.namespace }

// Where names the store to a person.
func (s *Store) Where() string { return s.where }

// Close implements store.Store: this store's spool folder goes.
func (s *Store) Close() error {
	s.pass.closeIdle()
	return os.RemoveAll(s.spool)
}

// spoolAge is how long a spool folder left by a store that did not close
// (a crash) stays before another open removes it.
const spoolAge = 24 * time.Hour

// sweepSpool removes the folders under spool that stores left behind.
func sweepSpool(spool string) {
	ents, _ := os.ReadDir(spool)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && e.IsDir() && strings.HasPrefix(e.Name(), "run-") && time.Since(fi.ModTime()) > spoolAge {
			_ = os.RemoveAll(filepath.Join(spool, e.Name()))
		}
	}
}

// object is the object name of key.
func (s *Store) object(key string) string { return s.prefix + key }

// notFound reports whether err is the store's "no such object".
func notFound(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == "NoSuchKey" || code == "NotFound" || code == "NoSuchObject"
}

// Stat implements store.Store.
func (s *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	k, err := store.CleanKey(key)
	if err != nil {
		return store.Info{}, err
	}
	if k != "" {
		oi, err := s.c.StatObject(ctx, s.bucket, s.object(k), minio.StatObjectOptions{})
		if err == nil {
			return infoOf(k, oi.Size, oi.LastModified, oi.UserMetadata), nil
		}
		if !notFound(err) {
			return store.Info{}, fmt.Errorf("s3: %s: %w", k, err)
		}
	}
	dir, err := s.isDir(ctx, k)
	if err != nil {
		return store.Info{}, err
	}
	if !dir && k != "" {
		return store.Info{}, store.ErrNotFound
	}
	return store.Info{Key: k, Dir: true}, nil
}

// isDir reports whether any object lies under k/ (under the prefix, for
// the root).
func (s *Store) isDir(ctx context.Context, k string) (bool, error) {
	p := s.prefix
	if k != "" {
		p = s.object(k) + "/"
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	oi, ok := <-s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: p, Recursive: true, MaxKeys: 1})
	switch {
	case !ok:
		return false, nil
	case oi.Err != nil:
		return false, fmt.Errorf("s3: listing %s: %w", p, oi.Err)
	}
	return true, nil
}

// Delete implements store.Store: a file, or every object under a
// directory's prefix, removed in batches.
func (s *Store) Delete(ctx context.Context, key string) error {
	k, err := store.FileKey(key)
	if err != nil {
		return err
	}
	_, err = s.c.StatObject(ctx, s.bucket, s.object(k), minio.StatObjectOptions{})
	switch {
	case err == nil:
		if err := s.c.RemoveObject(ctx, s.bucket, s.object(k), minio.RemoveObjectOptions{}); err != nil {
			return fmt.Errorf("s3: deleting %s: %w", k, err)
		}
		return nil
	case !notFound(err):
		return fmt.Errorf("s3: %s: %w", k, err)
	}
	found := false
	objs := make(chan minio.ObjectInfo)
	var listErr error
	go func() {
		defer close(objs)
		for oi := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.object(k) + "/", Recursive: true}) {
			if oi.Err != nil {
				listErr = oi.Err
				return
			}
			found = true
			objs <- oi
		}
	}()
	var rmErr error
	for e := range s.c.RemoveObjects(ctx, s.bucket, objs, minio.RemoveObjectsOptions{}) {
		rmErr = errors.Join(rmErr, fmt.Errorf("s3: deleting %s: %w", e.ObjectName, e.Err))
	}
	if err := errors.Join(listErr, rmErr); err != nil {
		return err
	}
	if !found {
		return store.ErrNotFound
	}
	return nil
}

// List implements store.Store, from the store's own paging; objects
// outside the key rules (made by other tools) are skipped. Stores that
// list objects without their metadata (SeaweedFS, AWS) are asked for it
// object by object (HEAD, no data), listStats at a time, in order.
func (s *Store) List(ctx context.Context, prefix string, fn func(store.Info) error) error {
	p, err := store.CleanKey(prefix)
	if err != nil {
		return nil // no file lies under a key that cannot be
	}
	lp := s.prefix
	if p != "" {
		lp = s.object(p) + "/"
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan *listed, listStats)
	slots := make(chan struct{}, listStats)
	go func() {
		defer close(queue)
		for oi := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: lp, Recursive: true, WithMetadata: true}) {
			l := &listed{done: make(chan struct{})}
			if oi.Err != nil {
				l.err = fmt.Errorf("s3: listing %s: %w", lp, oi.Err)
				close(l.done)
				queue <- l
				return
			}
			k := strings.TrimPrefix(oi.Key, s.prefix)
			if ck, err := store.FileKey(k); err != nil || ck != k {
				continue
			}
			md := oi.UserMetadataStripped
			if len(md) == 0 {
				md = oi.UserMetadata
			}
			if len(md) > 0 {
				l.info = infoOf(k, oi.Size, oi.LastModified, md)
				close(l.done)
				queue <- l
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			queue <- l
			go func() {
				defer func() { <-slots; close(l.done) }()
				st, err := s.c.StatObject(ctx, s.bucket, oi.Key, minio.StatObjectOptions{})
				switch {
				case err == nil:
					l.info = infoOf(k, st.Size, st.LastModified, st.UserMetadata)
				case notFound(err):
					l.gone = true // deleted since it was listed
				default:
					l.err = fmt.Errorf("s3: %s: %w", k, err)
				}
			}()
		}
	}()
	for l := range queue {
		<-l.done
		if l.err == nil && !l.gone {
			l.err = fn(l.info)
		}
		if l.err != nil {
			cancel()
			for l := range queue { // let the HEADs in flight end
				<-l.done
			}
			return l.err
		}
	}
	return ctx.Err()
}

// listStats bounds the HEAD requests of a listing in flight.
const listStats = 16

// listed is one object of a listing, described once done is closed.
type listed struct {
	done chan struct{}
	info store.Info
	gone bool
	err  error
}
