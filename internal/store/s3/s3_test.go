package s3_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/s3"
	"github.com/flaxfile/flaxfile/internal/store/storetest"
)

// open returns a store on its own fresh prefix of the test bucket of the
// S3 endpoint in FLAXFILE_TEST_S3 (SeaweedFS, which .ci/seaweedfs builds
// and starts). Without one the test is skipped, but under CI, where it
// fails.
func open(t *testing.T) *s3.Store {
	t.Helper()
	var id [6]byte
	_, _ = rand.Read(id[:])
	return openAt(t, "t/"+hex.EncodeToString(id[:]))
}

// openAt is open on a given prefix: stores opened on the same one share
// their files, as servers on one bucket do.
func openAt(t *testing.T, prefix string) *s3.Store {
	t.Helper()
	return openVia(t, "", prefix, 0)
}

// openVia is openAt through endpoint (the test store's when empty), each
// request bounded by timeout (the default when zero).
func openVia(t *testing.T, endpoint, prefix string, timeout time.Duration) *s3.Store {
	t.Helper()
	ep := os.Getenv("FLAXFILE_TEST_S3")
	if ep == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("FLAXFILE_TEST_S3 is not set under CI: .ci/seaweedfs starts SeaweedFS and sets it")
		}
		t.Skip("no S3 store: run .ci/seaweedfs and set FLAXFILE_TEST_S3 (it prints the line)")
	}
	bucket := os.Getenv("FLAXFILE_TEST_S3_BUCKET")
	if bucket == "" {
		bucket = "flaxfile-test"
	}
	if endpoint != "" {
		ep = endpoint
	}
	s, err := s3.Open(t.Context(), s3.Config{Endpoint: ep, Bucket: bucket, Prefix: prefix, Spool: t.TempDir(), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestS3Conformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// An object larger than what is read whole when opened fails its reads
// once the key is replaced, rather than mixing two versions: a range
// asked for afterwards is refused with store.ErrReplaced before any octet
// is read, and one opened before never yields the new octets.
func TestS3ReplacedLargeObject(t *testing.T) {
	s := open(t)
	old := bytes.Repeat([]byte("1"), 3<<20)
	storetest.Put(t, s, "big", old)
	o, err := s.Open(t.Context(), "big")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	buf := make([]byte, 1<<20)
	if _, err := o.ReadAt(buf, 1<<20); err != nil || !bytes.Equal(buf, old[:1<<20]) {
		t.Fatalf("read before the replace: %v", err)
	}
	rr := o.(store.RangeReader)
	r, err := rr.ReadRange(t.Context(), 2<<20, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	storetest.Put(t, s, "big", bytes.Repeat([]byte("2"), 3<<20))
	if got, err := io.ReadAll(r); err == nil && !bytes.Equal(got, old[:1<<20]) {
		t.Fatal("a range opened before the replace read other octets")
	}
	if _, err := o.ReadAt(buf, 0); err == nil {
		t.Fatal("a replaced object still read")
	}
	if _, err := rr.ReadRange(t.Context(), 0, 1<<20); !errors.Is(err, store.ErrReplaced) {
		t.Fatalf("a range of a replaced object: got %v, want store.ErrReplaced", err)
	}
}

func TestParseURL(t *testing.T) {
	c, err := s3.ParseURL("s3://bkt/a/b?endpoint=http://127.0.0.1:8333&region=r1&timeout=30s")
	if err != nil || c.Bucket != "bkt" || c.Prefix != "a/b" || c.Endpoint != "http://127.0.0.1:8333" || c.Region != "r1" || c.Timeout != 30*time.Second {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"s3://", "s3://bkt", "http://bkt?endpoint=http://x", "s3:///p?endpoint=http://x", "s3://b?endpoint=http://x&timeout=soon", "s3://b?endpoint=http://x&timeout=-1s"} {
		if _, err := s3.ParseURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
