package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rangeServer serves data at /f with ranges, counting the connections it
// accepts; /cut announces all of data and sends half, /chunked sends it
// without a length, /bighead with a header longer than maxReplyHead.
func rangeServer(t *testing.T, data []byte) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/f", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "f", time.Time{}, bytes.NewReader(data))
	})
	mux.HandleFunc("/cut", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data[:len(data)/2])
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/bighead", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Big", strings.Repeat("a", maxReplyHead+1))
		_, _ = w.Write(data[:10])
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		_, _ = w.Write(data[len(data)/2:])
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = nil
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// passGet makes a marked GET of path with an optional range through t.
func passGet(ctx context.Context, tr http.RoundTripper, base, path, rng string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(passable(ctx), http.MethodGet, base+path, nil)
	if err != nil {
		return nil, err
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	return tr.RoundTrip(req)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// tcpSink is a store.ConnSink writing into one end of a TCP connection,
// whose other end the test reads.
type tcpSink struct {
	c      *net.TCPConn
	passed int64 // octets that came through ReadFromConn
}

func (s *tcpSink) Write(p []byte) (int, error) { return s.c.Write(p) }
func (s *tcpSink) ReadFromConn(src net.Conn, n int64) (int64, error) {
	m, err := s.c.ReadFrom(&io.LimitedReader{R: src, N: n})
	s.passed += m
	return m, err
}

func tcpPair(t *testing.T) (*net.TCPConn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a.(*net.TCPConn), b
}

// Ranged GETs read to their end share one kept connection, and one the
// server closed meanwhile is replaced without the caller seeing it.
func TestPassTransportKeepsConnections(t *testing.T) {
	data := randomBytes(1 << 20)
	srv, conns := rangeServer(t, data)
	tr := newPassTransport(http.DefaultTransport.(*http.Transport).Clone())
	defer tr.closeIdle()
	get := func(off int) {
		t.Helper()
		resp, err := passGet(t.Context(), tr, srv.URL, "/f", "bytes="+strconv.Itoa(off)+"-"+strconv.Itoa(off+4095))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, data[off:off+4096]) {
			t.Fatalf("range at %d: status %d, %d octets, %v", off, resp.StatusCode, len(got), err)
		}
	}
	for i := range 5 {
		get(i * 100000)
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("five GETs in turn took %d connections, want 1", n)
	}
	srv.CloseClientConnections() // the kept one goes stale
	get(7)
	if n := conns.Load(); n != 2 {
		t.Fatalf("after the server closed the kept connection: %d connections, want 2", n)
	}
}

// A reply cut short is an error, as is one whose context ends part way,
// and one whose head is longer than maxReplyHead (refused, not read on);
// no such connection is kept. A reply without a length is read as
// net/http reads it.
func TestPassTransportFailures(t *testing.T) {
	data := randomBytes(4 << 20)
	srv, conns := rangeServer(t, data)
	tr := newPassTransport(http.DefaultTransport.(*http.Transport).Clone())
	defer tr.closeIdle()

	resp, err := passGet(t.Context(), tr, srv.URL, "/cut", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a reply cut short: got %v, want io.ErrUnexpectedEOF", err)
	}
	resp.Body.Close()

	ctx, cancel := context.WithCancel(t.Context())
	resp, err = passGet(ctx, tr, srv.URL, "/f", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 1<<10)); err != nil {
		t.Fatal(err)
	}
	cancel()
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, resp.Body); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			// The rest may have been on its way already; the body
			// must still not be kept for another GET.
			t.Log("the whole reply arrived before the cancel took")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled reply kept reading")
	}
	resp.Body.Close()

	if resp, err := passGet(t.Context(), tr, srv.URL, "/bighead", ""); err == nil || !strings.Contains(err.Error(), "reply head is longer") {
		if err == nil {
			resp.Body.Close()
		}
		t.Fatalf("a reply head over the bound: got %v", err)
	}

	resp, err = passGet(t.Context(), tr, srv.URL, "/chunked", "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("a reply without a length: %d octets, %v", len(got), err)
	}
	tr.mu.Lock()
	idle := len(tr.idle[srv.Listener.Addr().String()])
	tr.mu.Unlock()
	if idle != 0 {
		t.Fatalf("%d connections kept after replies that did not end cleanly", idle)
	}
	before := conns.Load()
	resp, err = passGet(t.Context(), tr, srv.URL, "/f", "bytes=0-9")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if conns.Load() != before+1 {
		t.Fatal("a GET after those did not take a new connection")
	}
}

// A body passed on to a ConnSink arrives whole, the part its connection's
// buffer already held written, the rest passed from the connection.
func TestPassBodyPassesOn(t *testing.T) {
	data := randomBytes(3<<20 + 12345)
	srv, _ := rangeServer(t, data)
	tr := newPassTransport(http.DefaultTransport.(*http.Transport).Clone())
	defer tr.closeIdle()
	a, b := tcpPair(t)
	sink := &tcpSink{c: a}
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, len(data)-1000)
		_, _ = io.ReadFull(b, buf)
		got <- buf
	}()
	resp, err := passGet(t.Context(), tr, srv.URL, "/f", "bytes=1000-")
	if err != nil {
		t.Fatal(err)
	}
	pb := resp.Body.(*passBody)
	if _, err := pb.passTo(sink, pb.left+1); err == nil {
		t.Fatal("passing more than the reply owes was not refused")
	}
	half := pb.left / 2
	n1, err := pb.passTo(sink, half)
	if err != nil {
		t.Fatal(err)
	}
	n2, err := pb.passTo(sink, pb.left)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n1+n2 != int64(len(data)-1000) || !bytes.Equal(<-got, data[1000:]) {
		t.Fatalf("passed %d octets, or other octets than the range's", n1+n2)
	}
	if sink.passed == 0 {
		t.Fatal("nothing was passed from the connection itself")
	}
}

// Requests that are not marked GETs go through the base transport.
func TestPassTransportLeavesOthers(t *testing.T) {
	var base countingRT
	tr := newPassTransport(http.DefaultTransport.(*http.Transport).Clone())
	tr.base = &base
	for _, r := range []struct{ method, url string }{{"GET", "http://127.0.0.1:1/x"}, {"PUT", "http://127.0.0.1:1/x"}, {"GET", "https://127.0.0.1:1/x"}} {
		ctx := t.Context()
		if r.method == "PUT" || r.url[:5] == "https" {
			ctx = passable(ctx)
		}
		req, _ := http.NewRequestWithContext(ctx, r.method, r.url, nil)
		_, _ = tr.RoundTrip(req)
	}
	if base.n != 3 {
		t.Fatalf("%d of 3 requests went through the base transport", base.n)
	}
}

type countingRT struct{ n int }

func (c *countingRT) RoundTrip(*http.Request) (*http.Response, error) {
	c.n++
	return nil, errors.New("counted")
}
