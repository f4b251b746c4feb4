package flaxfile_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store/mem"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// deltaClient starts a server on store st ("disk" or "mem") and returns
// a client that always asks for delta transfers, closed with the test,
// and the server's address.
func deltaClient(t *testing.T, st string) (*flaxfile.Client, string) {
	var addr string
	if st == "mem" {
		a, _, stop, err := servertest.Background(server.Config{Store: mem.New(1 << 30), NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		addr = a
	} else {
		addr, _ = servertest.StartServer(t, server.Config{}, nil)
	}
	// The client's debug lines (a PUT asked again, a failover) go to the
	// test's log: a run that moves more than it should then shows why.
	tl := &testLog{t: t}
	t.Cleanup(tl.stop) // after the client's Close (cleanups run last first)
	logs := slog.New(slog.NewTextHandler(tl, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := flaxfile.Dial(ctxFor(t), addr, &flaxfile.Options{Delta: flaxfile.DeltaAlways, Logger: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, addr
}

// testLog writes into a test's log, shown when it fails (or with -v),
// until stop: a line from a goroutine still winding down after the test
// would panic in t.Log.
type testLog struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}

// insert returns data with n random octets inserted at off.
func insert(data []byte, off, n int) []byte {
	extra := make([]byte, n)
	_, _ = rand.Read(extra)
	out := append(append([]byte{}, data[:off]...), extra...)
	return append(out, data[off:]...)
}

// An insertion of 100 octets near the start shifts every block: a delta
// set then sends, and a delta get fetches, a few content-defined chunks
// around it, not the file; the files are the new version, octet for
// octet. A removal likewise.
func TestDeltaFindsShiftedData(t *testing.T) {
	for _, st := range []string{"disk", "mem"} {
		t.Run(st, func(t *testing.T) {
			ctx := ctxFor(t)
			c, _ := deltaClient(t, st)
			const block = 4 << 20
			src, data := randomFile(t, 10*block+12345)
			if _, err := c.SetFile(ctx, "k", src); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			if _, err := c.GetFile(ctx, "k", out); err != nil {
				t.Fatal(err)
			}
			// A few chunks of at most 256 KiB: 0.05–0.4 MB in quiet runs;
			// one CI run under load sent 1.48 MB for the removal (cause not
			// found yet: the client's debug log, above a failure, says
			// whether a PUT was asked again), still 1/28 of the file.
			const most = 2 << 20
			for _, change := range []struct {
				name string
				edit func([]byte) []byte
			}{
				{"insertion", func(d []byte) []byte { return insert(d, 100, 100) }},
				{"removal", func(d []byte) []byte { return append(d[:5*block-50:5*block-50], d[5*block+950:]...) }},
			} {
				data = change.edit(data)
				if err := os.WriteFile(src, data, 0o644); err != nil {
					t.Fatal(err)
				}
				res, err := c.SetFile(ctx, "k", src)
				if err != nil {
					t.Fatal(err)
				}
				if res.Moved > most {
					t.Errorf("%s: delta set sent %d octets of %d, want at most %d", change.name, res.Moved, len(data), most)
				}
				// On the wire: the payload, the cuts and the piece hashes.
				if w := res.WireSent + res.WireReceived; w < res.Moved || w > res.Moved+256<<10 {
					t.Errorf("%s: delta set: %d octets on the wire for %d of payload", change.name, w, res.Moved)
				}
				mustGet(ctx, t, c, "k", data)
				if res, err = c.GetFile(ctx, "k", out); err != nil {
					t.Fatal(err)
				}
				if res.Moved > most {
					t.Errorf("%s: delta get fetched %d octets of %d, want at most %d", change.name, res.Moved, len(data), most)
				}
				if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%s: delta get wrote a different file (%v)", change.name, err)
				}
			}
		})
	}
}

// The wire counts are what crossed the sockets: a whole set sends the file
// and a little more, and receives little; a get the other way round.
func TestWireCounts(t *testing.T) {
	for _, tc := range []struct{ proto, password string }{{"2", ""}, {"2", "s3cret-pass-123"}, {"1.2", ""}} {
		proto, password := tc.proto, tc.password
		ctx := ctxFor(t)
		var mech zmtp.Mechanism
		if password != "" {
			mech = servertest.Password(t, password)
		}
		addr, _ := servertest.StartServer(t, server.Config{}, mech)
		c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: password, Protocol: proto, Delta: flaxfile.DeltaNever})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		const size = 9 << 20
		src, _ := randomFile(t, size)
		res, err := c.SetFile(ctx, "k", src)
		if err != nil {
			t.Fatal(err)
		}
		if res.WireSent < size || res.WireSent > size+size/50 || res.WireReceived > 64<<10 {
			t.Errorf("set of %d octets (protocol %s, password %q): %d sent, %d received on the wire", size, proto, password, res.WireSent, res.WireReceived)
		}
		if res, err = c.GetFile(ctx, "k", filepath.Join(t.TempDir(), "out")); err != nil {
			t.Fatal(err)
		}
		if res.WireReceived < size || res.WireReceived > size+size/50 || res.WireSent > 64<<10 {
			t.Errorf("get of %d octets (protocol %s, password %q): %d sent, %d received on the wire", size, proto, password, res.WireSent, res.WireReceived)
		}
	}
}

// stopAfter cancels a transfer once it has reported k chunks or blocks,
// and counts what it reports.
type stopAfter struct {
	mu     sync.Mutex
	k, n   int
	cancel context.CancelFunc
}

func (s *stopAfter) Start(string, int64) {}

func (s *stopAfter) Transferred(string, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.n == s.k && s.cancel != nil {
		s.cancel()
	}
}

// A delta upload of shifted data cut short, its server restarted, resumes:
// the blocks the server built are kept (journaled), the others are built
// then from the old file, and the file is the new version.
func TestDeltaResumesMidway(t *testing.T) {
	ctx := ctxFor(t)
	dir := t.TempDir()
	addr, _, stop := servertest.StartIn(t, dir, server.Config{}, nil)
	const block = 4 << 20
	src, data := randomFile(t, 10*block)
	plain, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Delta: flaxfile.DeltaAlways})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	plain.Close()
	data = insert(data, 10, 100)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	first := &stopAfter{k: 3, cancel: cancel}
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Delta: flaxfile.DeltaAlways, Progress: first, Connections: 1, Window: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetFile(cctx, "k", src); err == nil {
		t.Fatal("the cut-short upload finished")
	}
	c.Close()
	stop() // waits for the requests in progress; the upload stays on disk
	addr, _, _ = servertest.StartIn(t, dir, server.Config{}, nil)
	again := &stopAfter{}
	c, err = flaxfile.Dial(ctx, addr, &flaxfile.Options{Delta: flaxfile.DeltaAlways, Progress: again})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.SetFile(ctx, "k", src)
	if err != nil {
		t.Fatal(err)
	}
	if again.n > 11-first.k || res.Moved > 1<<20 {
		t.Errorf("the resumed upload moved %d blocks (%d octets); %d were built before it", again.n, res.Moved, first.n)
	}
	mustGet(ctx, t, c, "k", data)
}
