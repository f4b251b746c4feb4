package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
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
	for i, s := range srvs {
		st := s.Stats()
		t.Logf("server %d: %d octets received, %d sent", i, st.BytesUploaded, st.BytesDownloaded)
		if st.BytesUploaded == 0 || st.BytesDownloaded == 0 {
			t.Errorf("server %d took no part: %d octets received, %d sent", i, st.BytesUploaded, st.BytesDownloaded)
		}
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
