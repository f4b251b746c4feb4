package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/dirsync"
	"github.com/flaxfile/flaxfile/internal/server"
)

// A client given the addresses of several servers of one bucket (issue
// 18) spreads a transfer's connections over them, and goes on through
// the others when one stops, the primary included.

// cluster runs n servers on one fresh prefix and returns their addresses,
// the servers, and a stop for each.
func cluster(t *testing.T, n int) ([]string, []*server.Server, []func()) {
	t.Helper()
	var id [6]byte
	_, _ = rand.Read(id[:])
	prefix := "t/" + hex.EncodeToString(id[:])
	addrs, srvs, stops := make([]string, n), make([]*server.Server, n), make([]func(), n)
	for i := range n {
		addrs[i], srvs[i], stops[i] = serveStop(t, openAt(t, prefix))
		t.Cleanup(stops[i])
	}
	return addrs, srvs, stops
}

// randomFile writes n random octets to a fresh file.
func randomFile(t *testing.T, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	_, _ = rand.Read(data)
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return src, data
}

func TestClientSpreadsOverServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	addrs, srvs, _ := cluster(t, 3)
	src, data := randomFile(t, 6*(8<<20)+12345)
	c, err := flaxfile.Dial(ctx, strings.Join(addrs, ","), &flaxfile.Options{Connections: 6, Window: 1, Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.SetFile(ctx, "spread", src)
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != int64(len(data)) {
		t.Errorf("the upload moved %d octets, want %d", res.Moved, len(data))
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := c.GetFile(ctx, "spread", out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatal("the file spread over three servers came back otherwise")
	}
	before := make([]int64, len(srvs))
	for i, s := range srvs {
		st := s.Stats()
		t.Logf("server %d: %d octets received, %d sent", i, st.BytesUploaded, st.BytesDownloaded)
		if st.BytesUploaded == 0 || st.BytesDownloaded == 0 {
			t.Errorf("server %d took no part: %d octets received, %d sent", i, st.BytesUploaded, st.BytesDownloaded)
		}
		before[i] = st.BytesUploaded
	}

	// Chunks smaller than the store's parts gather in one server's spool
	// until their part is whole: such an upload stays on one server.
	small, err := flaxfile.Dial(ctx, strings.Join(addrs, ","), &flaxfile.Options{Connections: 6, Window: 1, ChunkSize: 4 << 20, Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	if _, err := small.SetFile(ctx, "blocks", src); err != nil {
		t.Fatalf("an upload of chunks smaller than the parts: %v", err)
	}
	took := 0
	for i, s := range srvs {
		if s.Stats().BytesUploaded > before[i] {
			took++
		}
	}
	if took != 1 {
		t.Errorf("an upload of chunks smaller than the parts went through %d servers, want 1", took)
	}
	if _, err := small.GetFile(ctx, "blocks", out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatal("the upload of small chunks came back otherwise")
	}
}

// stopAfter stops a server once a transfer has reported k chunks.
type stopAfter struct {
	mu   sync.Mutex
	k, n int
	stop func()
	done chan struct{}
}

func (s *stopAfter) Start(string, int64) {}

func (s *stopAfter) Transferred(string, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.n == s.k {
		go func() { s.stop(); close(s.done) }()
	}
}

func TestClientGoesOnWhenAServerStops(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	addrs, _, stops := cluster(t, 3)
	src, data := randomFile(t, 10*(8<<20)+777)

	// The upload loses its primary, the first address, after 3 chunks.
	up := &stopAfter{k: 3, stop: stops[0], done: make(chan struct{})}
	c, err := flaxfile.Dial(ctx, strings.Join(addrs, ","), &flaxfile.Options{Connections: 3, Window: 1, Delta: flaxfile.DeltaNever, Progress: up})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.SetFile(ctx, "big", src)
	if err != nil {
		t.Fatalf("the upload did not go on through the other servers: %v", err)
	}
	<-up.done
	t.Logf("upload: %d octets moved for %d", res.Moved, len(data))
	if res.Moved > int64(len(data))*3/2 {
		t.Errorf("the upload moved %d octets for a file of %d: it started over", res.Moved, len(data))
	}

	// The download, by a client that finds the first server gone, loses
	// its primary (now the second) after 3 chunks.
	down := &stopAfter{k: 3, stop: stops[1], done: make(chan struct{})}
	g, err := flaxfile.Dial(ctx, strings.Join(addrs, ","), &flaxfile.Options{Connections: 2, Window: 1, Progress: down})
	if err != nil {
		t.Fatalf("a client naming a stopped server first: %v", err)
	}
	defer g.Close()
	out := filepath.Join(t.TempDir(), "out")
	if _, err := g.GetFile(ctx, "big", out); err != nil {
		t.Fatalf("the download did not go on through the last server: %v", err)
	}
	<-down.done
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatal("the file that went on through other servers came back otherwise")
	}
}

// A push of a tree through a client naming three servers goes on when
// its primary stops midway, and the tree pulled back through another is
// the same.
func TestPushGoesOnWhenAServerStops(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	addrs, _, stops := cluster(t, 3)
	tree := filepath.Join(t.TempDir(), "tree")
	files := map[string][]byte{}
	for i := range 60 {
		n := 100*i + 1
		if i%20 == 7 {
			n = 9<<20 + i // a few large enough to go in chunks
		}
		b := make([]byte, n)
		_, _ = rand.Read(b)
		name := filepath.Join("d"+strconv.Itoa(i%3), "f"+strconv.Itoa(i))
		files[name] = b
		if err := os.MkdirAll(filepath.Join(tree, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stop := &stopAfter{k: 4, stop: stops[0], done: make(chan struct{})}
	c, err := flaxfile.Dial(ctx, strings.Join(addrs, ","), &flaxfile.Options{Connections: 2, Window: 1, Delta: flaxfile.DeltaNever, Progress: stop})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := dirsync.Push(ctx, c, tree, "tree", nil); err != nil {
		t.Fatalf("the push did not go on through the other servers: %v", err)
	}
	<-stop.done
	p, err := flaxfile.Dial(ctx, addrs[2], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	back := filepath.Join(t.TempDir(), "back")
	if _, err := dirsync.Pull(ctx, p, "tree", back, nil); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if got, err := os.ReadFile(filepath.Join(back, name)); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%s pulled back differs: %v", name, err)
		}
	}
}

// tripwire is a TCP proxy to a server that, the first time a client
// sends a request holding trip (plaintext connections show commands as
// they are), drops every connection unanswered and stops listening: the
// server behind it has, as far as the client can tell, died with that
// request in flight.
type tripwire struct {
	ln      net.Listener
	mu      sync.Mutex
	conns   []net.Conn
	tripped bool
}

func newTripwire(t *testing.T, to, trip string) *tripwire {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tw := &tripwire{ln: ln}
	t.Cleanup(tw.cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			tw.mu.Lock()
			tw.conns = append(tw.conns, c, s)
			tw.mu.Unlock()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
			go func() {
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 && bytes.Contains(buf[:n], []byte(trip)) {
						tw.cut()
						return
					}
					if n > 0 {
						if _, err := s.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						s.Close()
						return
					}
				}
			}()
		}
	}()
	return tw
}

// cut drops every connection and stops listening.
func (tw *tripwire) cut() {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.tripped = true
	tw.ln.Close()
	for _, c := range tw.conns {
		c.Close()
	}
}

// A request that may be made twice whose server dies before answering is
// made again through another server of the store: a status question, a
// listing before its first page, and a push's batch of small files.
func TestRepeatableRequestGoesToAnotherServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	addrs, _, _ := cluster(t, 2)
	for _, trip := range []string{"FLAXFILE_STATUS", "FLAXFILE_LIST", "FLAXFILE_PUT_SMALL"} {
		tw := newTripwire(t, addrs[0], trip)
		c, err := flaxfile.Dial(ctx, tw.ln.Addr().String()+","+addrs[1], &flaxfile.Options{ConnectTimeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		switch trip {
		case "FLAXFILE_STATUS":
			if _, err := c.Status(ctx); err != nil {
				t.Fatalf("a status question whose server died unanswered: %v", err)
			}
		case "FLAXFILE_LIST":
			if err := c.Walk(ctx, "", false, func(flaxfile.Entry) error { return nil }); err != nil {
				t.Fatalf("a listing whose server died before its first page: %v", err)
			}
		default:
			tree := filepath.Join(t.TempDir(), "tree")
			if err := os.MkdirAll(tree, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range 20 {
				if err := os.WriteFile(filepath.Join(tree, "f"+strconv.Itoa(i)), []byte(strings.Repeat("x", i+1)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := dirsync.Push(ctx, c, tree, "tree", nil); err != nil {
				t.Fatalf("the push did not go on after its server died mid-request: %v", err)
			}
			entries, err := c.List(ctx, "tree", true)
			if err != nil || len(entries) != 20 {
				t.Fatalf("the second server lists %d files (%v), want 20", len(entries), err)
			}
		}
		tw.mu.Lock()
		tripped := tw.tripped
		tw.mu.Unlock()
		if !tripped {
			t.Fatalf("%s never reached the first server", trip)
		}
	}
}
