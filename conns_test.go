package flaxfile_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// A download ends its server handle without waiting for the answer: the
// handle is gone soon after, and Close with that answer still on its way
// neither hangs nor leaves the handle open.
func TestGetEndsHandleWithoutWaiting(t *testing.T) {
	ctx, srv, c := serverAndClient(t, nil)
	src, data := randomFile(t, 9<<20)
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		out := mustGet(ctx, t, c, "k", data)
		if round == 2 {
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := c.GetFile(ctx, "k", out); err == nil {
				t.Fatal("GetFile on a closed client succeeded")
			}
		}
		waitFor(t, "the download handle to close", func() bool { return srv.Stats().OpenHandles == 0 })
	}
}

// serverAndClient starts a plaintext server and dials it with opts; the
// client is closed when the test ends (closing it sooner is fine).
func serverAndClient(t *testing.T, opts *flaxfile.Options) (context.Context, *server.Server, *flaxfile.Client) {
	t.Helper()
	ctx := ctxFor(t)
	addr, srv := servertest.StartServer(t, server.Config{}, nil)
	c, err := flaxfile.Dial(ctx, addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return ctx, srv, c
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// The connections dialled during PUT's round trip are the ones the upload
// uses: no more are dialled than it runs over, and later transfers reuse
// them.
func TestPredialledConnectionsAreUsed(t *testing.T) {
	ctx, srv, c := serverAndClient(t, &flaxfile.Options{Connections: 4})
	src, data := randomFile(t, 16<<20+1) // five chunks
	for round := range 3 {
		if _, err := c.SetFile(ctx, "k", src); err != nil {
			t.Fatal(err)
		}
		mustGet(ctx, t, c, "k", data)
		if n := srv.Stats().Connections; n != 4 {
			t.Fatalf("round %d: the server saw %d connections, want 4", round, n)
		}
	}
}

// A small file comes in GET's reply: no handle is opened, its time and
// mode are kept, and a partial file left by an earlier, larger version is
// cleared away.
func TestGetSmallFileInOneReply(t *testing.T) {
	ctx, srv, c := serverAndClient(t, nil)
	src, data := randomFile(t, 300<<10)
	mtime := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := os.Chmod(src, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(src, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	for _, stale := range []string{out + flaxfile.PartialSuffix, out + flaxfile.PartialSuffix + ".journal"} {
		if err := os.WriteFile(stale, []byte("left by a larger version"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	res, err := c.GetFile(ctx, "k", out)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) || res.Size != int64(len(data)) || res.Moved != res.Size {
		t.Fatalf("downloaded %d octets (result %+v), want %d", len(got), res, len(data))
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o640 || !fi.ModTime().Equal(mtime) {
		t.Fatalf("downloaded file: %v %v %v, want mode 0640 and %v", fi.Mode(), fi.ModTime(), err, mtime)
	}
	if n := srv.Stats().HandlesOpened; n != 0 {
		t.Fatalf("%d download handles opened for a small file", n)
	}
	for _, stale := range []string{out + flaxfile.PartialSuffix, out + flaxfile.PartialSuffix + ".journal"} {
		if _, err := os.Stat(stale); !os.IsNotExist(err) {
			t.Fatalf("%s left behind", filepath.Base(stale))
		}
	}
}

// A server whose handshake completes but which never answers: Dial fails
// within the connect timeout, saying what went unanswered, for both
// protocols' first request (HELLO, or PING when 1.2 is forced).
func TestDialToSilentServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := zmtp.Serve(ln, nil, nil)
	defer r.Close()
	go func() {
		for {
			c, err := r.Accept(t.Context())
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	for proto, what := range map[string]string{"": "FLAXFILE_HELLO", "1.2": "PONG"} {
		start := time.Now()
		_, err := flaxfile.Dial(ctxFor(t), ln.Addr().String(), &flaxfile.Options{Protocol: proto, ConnectTimeout: 300 * time.Millisecond})
		if !errors.Is(err, flaxfile.ErrTimeout) || !strings.Contains(err.Error(), what) {
			t.Fatalf("protocol %q: %v, want a timeout naming %s", proto, err, what)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("protocol %q: gave up after %v", proto, d)
		}
	}
}

// A transfer starts on the first connection it has and takes more while
// chunks remain; one the server will not take leaves the transfer to the
// connections it has, where it used to fail the whole transfer.
func TestTransferGoesOnWithTheConnectionsItGets(t *testing.T) {
	ctx := ctxFor(t)
	// Room for the control connection and one more.
	addr, srv := servertest.StartServer(t, server.Config{MaxConns: 2}, nil)
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Connections: 8, Window: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	src, data := randomFile(t, 24<<20+5) // seven chunks
	for round := range 2 {
		if _, err := c.SetFile(ctx, "k", src); err != nil {
			t.Fatalf("round %d: set with the server's connections full: %v", round, err)
		}
		mustGet(ctx, t, c, "k", data)
	}
	if n := srv.Stats().Connections; n < 2 {
		t.Fatalf("the server saw %d connections", n)
	}
}
