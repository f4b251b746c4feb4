package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/storetest"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// rawBucket is a client of the test bucket itself, to see what a server
// left in it.
func rawBucket(t *testing.T) (*minio.Client, string) {
	t.Helper()
	open(t) // skips (or fails under CI) without a store
	u, err := url.Parse(os.Getenv("FLAXFILE_TEST_S3"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewEnvAWS(), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	bucket := os.Getenv("FLAXFILE_TEST_S3_BUCKET")
	if bucket == "" {
		bucket = "flaxfile-test"
	}
	return c, bucket
}

// names lists the object names under prefix (all of the bucket's top
// level when recursive is false).
func names(t *testing.T, c *minio.Client, bucket, prefix string, recursive bool) []string {
	t.Helper()
	var out []string
	for oi := range c.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: recursive}) {
		if oi.Err != nil {
			t.Fatal(oi.Err)
		}
		out = append(out, oi.Key)
	}
	return out
}

// The hostile-key corpus against a server on the object store, both
// protocols: every key is refused or lands under the server's prefix as
// a key the store accepts; an object beside the prefix and the bucket's
// top level are untouched; the server keeps serving.
func TestHostileKeysOnS3(t *testing.T) {
	raw, bucket := rawBucket(t)
	var id [6]byte
	_, _ = rand.Read(id[:])
	prefix := "t/" + hex.EncodeToString(id[:])
	beside := prefix + "-outside/secret"
	if _, err := raw.PutObject(t.Context(), bucket, beside, strings.NewReader("secret"), 6, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	top := names(t, raw, bucket, "", false)
	addr := serve(t, openAt(t, prefix))
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, bytes.Repeat([]byte("x"), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	refused, confined := 0, 0
	for _, proto := range []string{"2", "1.2"} {
		c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: proto})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range storetest.HostileKeys {
			if _, err := c.SetFile(ctx, k, src); err != nil {
				refused++
			} else {
				confined++
			}
			_, _ = c.GetFile(ctx, k, filepath.Join(t.TempDir(), "out"))
			_ = c.Delete(ctx, k)
		}
		var specs []flaxfile.FileSpec
		for _, k := range storetest.HostileKeys {
			specs = append(specs, flaxfile.FileSpec{Key: k, Path: src})
		}
		_ = c.SetFiles(ctx, specs, nil)
		_, _ = c.List(ctx, "../", true)
		_ = c.Walk(ctx, "..", true, func(flaxfile.Entry) error { return nil })
		c.Close()
	}
	o, err := raw.GetObject(t.Context(), bucket, beside, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(o); string(b) != "secret" {
		t.Fatalf("the object beside the prefix now holds %q", b)
	}
	o.Close()
	if now := names(t, raw, bucket, "", false); !slices.Equal(now, top) {
		t.Fatalf("the bucket's top level changed: %q, was %q", now, top)
	}
	for _, name := range names(t, raw, bucket, prefix, true) {
		k, ok := strings.CutPrefix(name, prefix+"/")
		if name == beside {
			continue
		}
		if !ok {
			t.Errorf("an object outside the prefix: %q", name)
			continue
		}
		if ck, err := store.FileKey(k); (err != nil || ck != k) && !strings.HasPrefix(k, store.PartialDir+"/") {
			t.Errorf("an object under a key the store refuses: %q", k)
		}
	}
	if refused == 0 || confined == 0 {
		t.Fatalf("refused %d, confined %d: the corpus should hold both kinds", refused, confined)
	}
	c, err := flaxfile.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.SetFile(ctx, "after/ok", src); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d hostile keys × 2 protocols: %d refused, %d stored under the prefix", len(storetest.HostileKeys), refused, confined)
}
