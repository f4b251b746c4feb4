package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/s3"
	"github.com/flaxfile/flaxfile/internal/store/storetest"
)

// countingStore is a store reached through a proxy that counts the ranged
// GETs it passes on.
func countingStore(t *testing.T) (*s3.Store, *atomic.Int64) {
	t.Helper()
	ep := os.Getenv("FLAXFILE_TEST_S3")
	if ep == "" {
		open(t) // skips, or fails under CI
	}
	target, err := url.Parse(ep)
	if err != nil {
		t.Fatal(err)
	}
	var ranged atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.Header.Get("Range") != "" {
			ranged.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	var id [6]byte
	_, _ = rand.Read(id[:])
	return openVia(t, srv.URL, fmt.Sprintf("t/%x", id), 0), &ranged
}

// readRanges reads object o in ranges of size octets, taken by par readers
// at once (as a download's connections take chunks) in the order order
// gives (the j-th range taken of n is order(j, n)); stopAt, if not negative, is a range its
// reader gives up half way through (then read again on its own). With
// pass, each range is passed on into a TCP connection (store.Passer), as
// a server passes it to its client, instead of read.
func readRanges(t *testing.T, o store.Object, size, chunk int64, par int, order func(j, n int64) int64, stopAt int64, pass bool) []byte {
	t.Helper()
	rr, ok := o.(store.RangeReader)
	if !ok {
		t.Fatal("a large S3 object is not a store.RangeReader")
	}
	got := make([]byte, size)
	n := (size + chunk - 1) / chunk
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, par)
	for range par {
		wg.Go(func() {
			for {
				j := next.Add(1) - 1
				if j >= n {
					return
				}
				j = order(j, n)
				off := j * chunk
				ln := min(chunk, size-off)
				if j == stopAt {
					r, err := rr.ReadRange(context.Background(), off, ln)
					if err != nil {
						errs <- err
						return
					}
					_, _ = io.ReadFull(r, make([]byte, ln/2))
					_ = r.Close()
				}
				r, err := rr.ReadRange(context.Background(), off, ln)
				if err != nil {
					errs <- err
					return
				}
				if pass {
					err = passRange(r, got[off:off+ln])
				} else {
					_, err = io.ReadFull(r, got[off:off+ln])
				}
				if _, eof := r.Read(make([]byte, 1)); err == nil && eof != io.EOF {
					err = fmt.Errorf("range %d read past its end", j)
				}
				_ = r.Close()
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return got
}

// Orders in which ranges are taken.
var (
	inOrder = func(j, n int64) int64 { return j }
	reverse = func(j, n int64) int64 { return n - 1 - j }
	// pairs swapped: 1 0 3 2 5 4 …, as a download's connections' asks
	// arrive a little out of order
	swapped = func(j, n int64) int64 { return min(j^1, n-1) }
	// 3 2 0 1 4 5 …: a span opens at 1 after 2 and 3 were read on their
	// own; 4 joins it past a gap of two ranges, which it reads anew
	// from, instead of reading through them
	late = func(j, n int64) int64 {
		if j < 4 {
			return []int64{3, 2, 0, 1}[j]
		}
		return j
	}
)

// Ranges read in order share long responses from the store instead of
// one request each (which costs the store as much as moving megabytes),
// also when they arrive a little out of order; ranges out of order, or
// after one stopped part way, still read right.
func TestS3RangesInOrderShareResponses(t *testing.T) {
	s, ranged := countingStore(t)
	const size, chunk = 48<<20 + 12345, 4 << 20
	data := make([]byte, size)
	_, _ = rand.Read(data)
	storetest.Put(t, s, "big", data)
	for _, c := range []struct {
		name   string
		par    int
		order  func(j, n int64) int64
		stopAt int64
		least  int64
		most   int64
	}{
		{"one reader", 1, inOrder, -1, 1, 2},
		{"three readers", 3, inOrder, -1, 1, 4},
		{"three readers, pairs swapped", 3, swapped, -1, 1, 4},
		// each pair's second range waits out a gap its one reader
		// can never fill; 13, one a range, before spans took gaps
		{"one reader, pairs swapped", 1, swapped, -1, 1, 7},
		// 3, 2 and 0 alone, a span from 1, a new response from 4 (the
		// gap of 8 MiB read and dropped instead would make 4)
		{"one reader, a span past ranges read on their own", 1, late, -1, 5, 5},
		{"reverse", 1, reverse, -1, 13, 13},
		{"one stops half way", 2, inOrder, 5, 1, 8},
	} {
		for _, pass := range []bool{false, true} {
			name := c.name
			if pass {
				name += ", passed on"
			}
			t.Run(name, func(t *testing.T) {
				o, err := s.Open(t.Context(), "big")
				if err != nil {
					t.Fatal(err)
				}
				defer o.Close()
				before := ranged.Load()
				got := readRanges(t, o, size, chunk, c.par, c.order, c.stopAt, pass)
				if !bytes.Equal(got, data) {
					t.Fatal("the ranges read differ from the object")
				}
				reqs := ranged.Load() - before
				t.Logf("13 ranges: %d ranged requests to the store", reqs)
				if reqs < c.least || reqs > c.most {
					t.Fatalf("13 ranges took %d ranged requests, want %d to %d", reqs, c.least, c.most)
				}
			})
		}
	}
}

// passRange passes range body r on into a TCP connection and reads it
// from the other end into p; a body that cannot be passed on fails.
func passRange(r io.Reader, p []byte) error {
	pr, ok := r.(store.Passer)
	if !ok {
		return fmt.Errorf("a range body of %T is not a store.Passer", r)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	a, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := l.Accept()
	if err != nil {
		return err
	}
	defer b.Close()
	read := make(chan error, 1)
	go func() { _, err := io.ReadFull(b, p); read <- err }()
	n, passed, err := pr.PassTo(connSink{a.(*net.TCPConn)})
	if !passed {
		return errors.New("the range was not passed on")
	}
	if err == nil && n != int64(len(p)) {
		err = fmt.Errorf("passed %d octets of %d", n, len(p))
	}
	if err != nil {
		return err
	}
	return <-read
}

// connSink is a store.ConnSink on a TCP connection.
type connSink struct{ c *net.TCPConn }

func (s connSink) Write(p []byte) (int, error) { return s.c.Write(p) }
func (s connSink) ReadFromConn(src net.Conn, n int64) (int64, error) {
	return s.c.ReadFrom(&io.LimitedReader{R: src, N: n})
}

// A file set again as it is, by delta, sends nothing, and the server
// builds the new version from the stored one: read through few long
// responses, not one request for every 256 KiB hashed (98 for this file)
// or 32 KiB copied (768; a GiB took minutes under load).
func TestSetAgainReadsStoredVersionInFewRequests(t *testing.T) {
	st, ranged := countingStore(t)
	addr := serve(t, st)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	data := make([]byte, 24<<20)
	_, _ = rand.Read(data)
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Delta: flaxfile.DeltaAlways})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.SetFile(ctx, "f", src); err != nil {
		t.Fatal(err)
	}
	before := ranged.Load()
	res, err := c.SetFile(ctx, "f", src)
	if err != nil {
		t.Fatal(err)
	}
	reqs := ranged.Load() - before
	t.Logf("set again: %d octets sent, %d ranged requests to the store", res.Moved, reqs)
	if res.Moved > 0 || reqs > 16 {
		t.Fatalf("setting a 24 MiB file again sent %d octets and read the stored one with %d ranged requests, want none and at most 16", res.Moved, reqs)
	}
	out := filepath.Join(dir, "out")
	if _, err := c.GetFile(ctx, "f", out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatal("the file set again reads back different")
	}
}
