package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store"
)

// serve runs a FlaxFile server on st until the test ends.
func serve(t *testing.T, st store.Store) string {
	t.Helper()
	addr, _, stop := serveStop(t, st)
	t.Cleanup(stop)
	return addr
}

// serveStop runs a FlaxFile server on st until stop is called.
func serveStop(t *testing.T, st store.Store) (string, *server.Server, func()) {
	t.Helper()
	addr, srv, stop, err := servertest.Background(server.Config{Store: st, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return addr, srv, stop
}

// A FlaxFile server on the object store: files set in both protocols
// come back octet for octet, a delta re-set of shifted data sends little,
// a listing shows them with their times, and a directory deletes.
func TestServerOnS3(t *testing.T) {
	addr := serve(t, open(t))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	data := make([]byte, 9<<20+123)
	_, _ = rand.Read(data)
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, proto := range []string{"2", "1.2"} {
		c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: proto, Delta: flaxfile.DeltaAlways})
		if err != nil {
			t.Fatal(err)
		}
		key := "d/p" + proto
		if _, err := c.SetFile(ctx, key, src); err != nil {
			t.Fatalf("set over %s: %v", proto, err)
		}
		out := filepath.Join(dir, "out"+proto)
		if _, err := c.GetFile(ctx, key, out); err != nil {
			t.Fatalf("get over %s: %v", proto, err)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Fatalf("protocol %s: the file came back different", proto)
		}
		c.Close()
	}
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Delta: flaxfile.DeltaAlways})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	shifted := append(append([]byte("inserted"), data[:100]...), data[100:]...)
	if err := os.WriteFile(src, shifted, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := c.SetFile(ctx, "d/p2", src)
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved > 1<<20 {
		t.Errorf("delta set of shifted data sent %d octets of %d", res.Moved, len(shifted))
	}
	out := filepath.Join(dir, "shifted")
	if _, err := c.GetFile(ctx, "d/p2", out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, shifted) {
		t.Fatal("the delta set stored a different file")
	}
	fi, _ := os.Stat(src)
	entries, err := c.List(ctx, "d", true)
	if err != nil || len(entries) != 2 {
		t.Fatalf("list: %+v %v", entries, err)
	}
	for _, e := range entries {
		if e.Key == "d/p2" && (e.Size != int64(len(shifted)) || e.ModTime.Sub(fi.ModTime()).Abs() > time.Microsecond) {
			t.Errorf("listed %+v, want size %d and time %v", e, len(shifted), fi.ModTime())
		}
	}
	if err := c.Delete(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	if entries, err := c.List(ctx, "", false); err != nil || len(entries) != 0 {
		t.Fatalf("after deleting the directory: %+v %v", entries, err)
	}
}
