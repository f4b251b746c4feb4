package flaxfile_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store/disk"
)

// onChunk runs f once, at a transfer's k-th chunk; with hold, the chunk
// reports (and so the transfer) wait until release is closed.
type onChunk struct {
	mu      sync.Mutex
	k, n    int
	f       func()
	hold    bool
	release chan struct{}
}

func (o *onChunk) Start(string, int64) {}

func (o *onChunk) Transferred(string, int64) {
	o.mu.Lock()
	o.n++
	n := o.n
	o.mu.Unlock()
	if n == o.k {
		o.f()
	}
	if o.hold && n >= o.k {
		<-o.release
	}
}

// A server told to stop with a shutdown timeout lets an upload in flight
// finish and publish, refuses to start another transfer meanwhile, and
// accepts no connection.
func TestGracefulStopLetsTransfersFinish(t *testing.T) {
	ctx := ctxFor(t)
	dir := filepath.Join(t.TempDir(), "storage")
	addr, _, stop := servertest.StartIn(t, dir, server.Config{ShutdownTimeout: 30 * time.Second}, nil)
	defer stop()
	stopped := make(chan struct{})
	var began time.Time
	p := &onChunk{k: 1, f: func() {
		began = time.Now()
		go func() { stop(); close(stopped) }()
	}}
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Connections: 1, Window: 1, Progress: p, Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, data := randomFile(t, 48<<20)
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatalf("the upload in flight when the server was told to stop: %v", err)
	}
	_, err = c.GetFile(ctx, "k", filepath.Join(t.TempDir(), "out"))
	if err == nil || !strings.Contains(err.Error(), server.ErrShuttingDown) {
		t.Errorf("a get begun while the server drains: %v, want %q", err, server.ErrShuttingDown)
	}
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop once its transfers had finished")
	}
	t.Logf("stopped %v after it was told to", time.Since(began).Round(time.Millisecond))
	st, err := disk.Open(dir) // the server closed its own
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o, err := st.Open(context.Background(), "k")
	if err != nil {
		t.Fatalf("the upload that finished while the server drained was not published: %v", err)
	}
	if o.Info().Size != int64(len(data)) {
		t.Errorf("published %d octets, want %d", o.Info().Size, len(data))
	}
	o.Close()
	if _, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{ConnectTimeout: time.Second}); err == nil {
		t.Error("a stopped server took a connection")
	}
}

// A transfer still in flight when the shutdown timeout ends is cut off,
// and its upload resumes on the next server over the same store.
func TestGracefulStopTimeoutKeepsUpload(t *testing.T) {
	ctx := ctxFor(t)
	dir := filepath.Join(t.TempDir(), "storage")
	addr, _, stop := servertest.StartIn(t, dir, server.Config{ShutdownTimeout: 300 * time.Millisecond}, nil)
	defer stop()
	stopped := make(chan struct{})
	p := &onChunk{k: 3, hold: true, release: make(chan struct{}), f: func() { go func() { stop(); close(stopped) }() }}
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Connections: 1, Window: 1, Progress: p, Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, data := randomFile(t, 40<<20)
	done := make(chan error, 1)
	go func() { _, err := c.SetFile(ctx, "k", src); done <- err }()
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop when its shutdown timeout ended")
	}
	close(p.release)
	if err := <-done; err == nil {
		t.Fatal("an upload cut off by the server's stop succeeded")
	}
	addr2, _, stop2 := servertest.StartIn(t, dir, server.Config{}, nil)
	defer stop2()
	c2, err := flaxfile.Dial(ctx, addr2, &flaxfile.Options{Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	res, err := c2.SetFile(ctx, "k", src)
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved >= int64(len(data)) {
		t.Errorf("the rerun moved %d of %d octets: the cut-off upload was not kept", res.Moved, len(data))
	}
	mustGet(ctx, t, c2, "k", data)
}
