package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
)

// Several FlaxFile servers on one bucket (issue 18): what one publishes
// the others list and serve at once, and an upload cut short through one
// resumes through another, moving only the parts the store lacks.

// shared opens n stores on one fresh prefix, as n servers would.
func shared(t *testing.T, n int) []string {
	t.Helper()
	var id [6]byte
	_, _ = rand.Read(id[:])
	prefix := "t/" + hex.EncodeToString(id[:])
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = serve(t, openAt(t, prefix))
	}
	return addrs
}

// cutAfter cancels a transfer once it has reported k chunks, and counts
// what it reports.
type cutAfter struct {
	mu     sync.Mutex
	k, n   int
	octets int64
	cancel context.CancelFunc
}

func (c *cutAfter) Start(string, int64) {}

func (c *cutAfter) Transferred(_ string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.octets += n
	if c.n == c.k && c.cancel != nil {
		c.cancel()
	}
}

func TestUploadResumesThroughAnotherServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var id [6]byte
	_, _ = rand.Read(id[:])
	prefix := "t/" + hex.EncodeToString(id[:])
	addrA, _, stopA := serveStop(t, openAt(t, prefix))
	defer stopA()
	addrB := serve(t, openAt(t, prefix))
	const block = 4 << 20
	data := make([]byte, 10*block+1000)
	_, _ = rand.Read(data)
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cctx, cut := context.WithCancel(ctx)
	first := &cutAfter{k: 5, cancel: cut}
	a, err := flaxfile.Dial(ctx, addrA, &flaxfile.Options{Progress: first, Connections: 1, Window: 1, ChunkSize: block})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetFile(cctx, "big", src); err == nil {
		t.Fatal("the cut-short upload finished")
	}
	a.Close()
	stopA() // server A is gone; what it sent of the upload is in the store
	b, err := flaxfile.Dial(ctx, addrB, &flaxfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res, err := b.SetFile(ctx, "big", src)
	if err != nil {
		t.Fatal(err)
	}
	// Parts are 8 MiB: of the 5 blocks A took, the 4 in whole parts stay.
	if want := int64(len(data)) - 4*block; res.Moved != want {
		t.Errorf("the upload resumed through B moved %d octets, want %d (A took %d blocks)", res.Moved, want, first.n)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := b.GetFile(ctx, "big", out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatal("the file resumed through B is not the one sent")
	}
}
