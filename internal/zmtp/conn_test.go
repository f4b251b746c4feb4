package zmtp

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// testCtx returns a context bounded by the test's deadline and 60 s.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startEcho runs a Router on 127.0.0.1:0 that sends every message back to
// the peer it came from.
func startEcho(t testing.TB, opts *Options) *Router {
	t.Helper()
	r, err := Listen("127.0.0.1:0", opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	go func() {
		for {
			c, err := r.Accept(context.Background())
			if err != nil {
				return
			}
			go func() {
				for {
					m, err := c.Recv(context.Background())
					if err != nil {
						return
					}
					err = c.Send(context.Background(), m.Frames...)
					m.Release()
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return r
}

// randFrames returns frames of the sizes interop tests use.
func randFrames(t testing.TB, sizes ...int) [][]byte {
	frames := make([][]byte, len(sizes))
	for i, n := range sizes {
		frames[i] = make([]byte, n)
		if _, err := rand.Read(frames[i]); err != nil {
			t.Fatal(err)
		}
	}
	return frames
}

func sameFrames(t testing.TB, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d: got %d octets, want %d, contents differ", i, len(got[i]), len(want[i]))
		}
	}
}

var interopSizes = []int{0, 1, 255, 256, 4 << 20, 32 << 20}

func TestGoToGoNull(t *testing.T) {
	ctx := testCtx(t)
	r := startEcho(t, nil)
	c, err := Dial(ctx, r.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := randFrames(t, interopSizes...)
	for range 2 {
		if err := c.Send(ctx, want...); err != nil {
			t.Fatal(err)
		}
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sameFrames(t, m.Frames, want)
		m.Release()
	}
}

func TestSendFileSection(t *testing.T) {
	ctx := testCtx(t)
	r := startEcho(t, nil)
	c, err := Dial(ctx, r.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := randFrames(t, 3<<20)[0]
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parts := []Part{{Data: []byte("CHUNK")}, {File: f, Offset: 1000, Len: 2 << 20}, {File: f, Offset: 0, Len: 0}}
	if err := c.SendParts(ctx, parts); err != nil {
		t.Fatal(err)
	}
	m, err := c.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	sameFrames(t, m.Frames, [][]byte{[]byte("CHUNK"), data[1000 : 1000+2<<20], {}})
	// A section past the end of the file fails and closes the connection
	// rather than send a frame shorter than its header says.
	err = c.SendParts(ctx, []Part{{File: f, Offset: int64(len(data)) - 10, Len: 100}})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short file section: got %v", err)
	}
}

func TestRouterAssignsIdentities(t *testing.T) {
	ctx := testCtx(t)
	r, err := Listen("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ids := map[string]bool{}
	for i := range 3 {
		opts := &Options{}
		if i == 2 {
			opts.Identity = []byte("named")
		}
		c, err := Dial(ctx, r.Addr().String(), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sc, err := r.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		id := sc.ID()
		if i < 2 && (len(id) != 5 || id[0] != 0) {
			t.Fatalf("generated identity %x, want 5 octets starting with 0", id)
		}
		if i == 2 && string(id) != "named" {
			t.Fatalf("identity %q, want the peer's own", id)
		}
		ids[string(id)] = true
		if err := r.Send(ctx, id, []byte("hi"), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sameFrames(t, m.Frames, [][]byte{[]byte("hi"), {byte(i)}})
	}
	if len(ids) != 3 {
		t.Fatalf("identities not distinct: %v", ids)
	}
	if err := r.Send(ctx, []byte("gone"), []byte("x")); !errors.Is(err, ErrNoPeer) {
		t.Fatalf("send to unknown peer: %v", err)
	}
}

func TestMessageTooLarge(t *testing.T) {
	ctx := testCtx(t)
	r := startEcho(t, &Options{MaxMessageSize: 1000})
	c, err := Dial(ctx, r.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// 600 + 600 octets in one message exceeds the server's 1000.
	if err := c.Send(ctx, make([]byte, 600), make([]byte, 600)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Recv(ctx); err == nil {
		t.Fatal("server echoed a message over its limit")
	}
	// Another client is unaffected.
	c2, err := Dial(ctx, r.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Send(ctx, make([]byte, 900)); err != nil {
		t.Fatal(err)
	}
	m, err := c2.Recv(ctx)
	if err != nil || len(m.Frames[0]) != 900 {
		t.Fatalf("second client: %v", err)
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	ctx := testCtx(t)
	// A raw peer that completes the NULL handshake and then stays silent.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		if _, _, _, err := handshake(nc, ptr((&Options{}).withDefaults()), TypeRouter); err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, nc)
	}()
	c, err := Dial(ctx, ln.Addr().String(), &Options{HeartbeatTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("silent peer never timed out")
	}
	if !errors.Is(c.Err(), ErrHeartbeat) {
		t.Fatalf("got %v, want a heartbeat timeout", c.Err())
	}
}

func TestPingPong(t *testing.T) {
	ctx := testCtx(t)
	// Heartbeats every 50 ms with a 700 ms timeout keep an idle but live
	// connection open for 1.5 s: the echo server answers every PING.
	r := startEcho(t, nil)
	c, err := Dial(ctx, r.Addr().String(), &Options{HeartbeatInterval: 50 * time.Millisecond, HeartbeatTimeout: 700 * time.Millisecond, HeartbeatTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	timer := time.NewTimer(1500 * time.Millisecond)
	defer timer.Stop()
	select {
	case <-c.Done():
		t.Fatalf("live connection closed: %v", c.Err())
	case <-timer.C:
	}
	if err := c.Send(ctx, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Recv(ctx); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCloseWhileBusy(t *testing.T) {
	ctx := testCtx(t)
	r := startEcho(t, nil)
	c, err := Dial(ctx, r.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 8<<20)
	errs := make(chan error, 8)
	for range 4 {
		go func() { errs <- c.Send(ctx, big) }()
		go func() {
			m, err := c.Recv(ctx)
			m.Release()
			errs <- err
		}()
	}
	c.Close()
	for range 8 {
		<-errs // every waiter returns
	}
	if err := c.Send(ctx, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	r.Close()
	if _, err := r.Accept(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("accept after close: %v", err)
	}
}

// fileSink puts every large frame that follows a frame "SINK" into f at
// the offset the frame after "SINK" names in decimal.
type fileSink struct {
	f  *os.File
	mu sync.Mutex
}

func (s *fileSink) Place(frames [][]byte, n int64) (Target, error) {
	if len(frames) != 2 || string(frames[0]) != "SINK" {
		return Target{}, nil
	}
	off, err := strconv.ParseInt(string(frames[1]), 10, 64)
	if err != nil {
		return Target{}, err
	}
	return Target{File: s.f, Offset: off, Lock: &s.mu}, nil
}

// connectedPair returns a DEALER connected to a Router with server
// options o, and the Router's side of it; the test's cleanup closes all.
func connectedPair(t *testing.T, o *Options) (client, server *Conn) {
	ctx := testCtx(t)
	r, err := Listen("127.0.0.1:0", o, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	c, err := Dial(ctx, r.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sc, err := r.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c, sc
}

// TestSinkSplicesBodies: bodies a Sink places go into the file at their
// offsets (spliced), in any order, and other frames are untouched.
func TestSinkSplicesBodies(t *testing.T) {
	ctx := testCtx(t)
	budget := NewBudget(4 << 20)
	c, sc := connectedPair(t, &Options{Budget: budget})
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	sc.SetSink(&fileSink{f: out})
	data := randFrames(t, 3<<20)[0]
	const piece = 1 << 20
	for _, i := range []int{2, 0, 1} {
		body := data[i*piece : (i+1)*piece]
		if err := c.Send(ctx, []byte("SINK"), []byte(strconv.Itoa(i*piece)), body); err != nil {
			t.Fatal(err)
		}
		m, err := sc.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Sunk(2) || len(m.Frames[2]) != 0 || string(m.Frames[0]) != "SINK" {
			t.Fatalf("frame 2 not sunk: %v", m.Sunk(2))
		}
		if used := budget.Used(); used > smallMessage {
			t.Fatalf("a sunk body holds %d octets of budget", used)
		}
		m.Release()
	}
	// A message the sink declines is buffered as usual.
	if err := c.Send(ctx, []byte("KEEP"), make([]byte, 100<<10)); err != nil {
		t.Fatal(err)
	}
	m, err := sc.Recv(ctx)
	if err != nil || m.Sunk(1) || len(m.Frames[1]) != 100<<10 {
		t.Fatalf("declined frame: %v", err)
	}
	got, err := os.ReadFile(out.Name())
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file differs (%v)", err)
	}
}

// TestSinkWriteFailure: when the sink's file refuses the write, the body
// is read and dropped, the message says why, and the connection goes on.
func TestSinkWriteFailure(t *testing.T) {
	ctx := testCtx(t)
	c, sc := connectedPair(t, nil)
	p := filepath.Join(t.TempDir(), "ro")
	os.WriteFile(p, nil, 0o644)
	ro, err := os.Open(p) // read-only: every write fails
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	sc.SetSink(&fileSink{f: ro})
	body := randFrames(t, 3<<20)[0]
	for i := range 2 {
		if err := c.Send(ctx, []byte("SINK"), []byte("0"), body); err != nil {
			t.Fatal(err)
		}
		m, err := sc.Recv(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !m.Sunk(2) || m.SunkErr(2) == nil {
			t.Fatalf("message %d: sunk %v, error %v", i, m.Sunk(2), m.SunkErr(2))
		}
		m.Release()
	}
	// The connection is still in step: a plain message comes through.
	if err := c.Send(ctx, []byte("after")); err != nil {
		t.Fatal(err)
	}
	m, err := sc.Recv(ctx)
	if err != nil || string(m.Frames[0]) != "after" {
		t.Fatalf("after the failures: %v", err)
	}
}

// pieceSink gives the bodies of "PIECES" messages to Pieces, failing
// after fail octets of a body when fail > 0.
type pieceSink struct {
	mu     sync.Mutex
	got    []byte
	pieces []int
	fail   int
}

func (s *pieceSink) Place(frames [][]byte, n int64) (Target, error) {
	if len(frames) != 1 || string(frames[0]) != "PIECES" {
		return Target{}, nil
	}
	seen := 0
	return Target{Pieces: func(p []byte) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.fail > 0 && seen+len(p) > s.fail {
			return errors.New("piece refused")
		}
		seen += len(p)
		s.got = append(s.got, p...)
		s.pieces = append(s.pieces, len(p))
		return nil
	}}, nil
}

// TestSinkPieces: a body a Sink takes in pieces arrives whole, in order,
// in pieces of at most PieceSize, without taking budget; a piece refused
// drops the rest of its body, the message says why, and the connection
// goes on.
func TestSinkPieces(t *testing.T) {
	ctx := testCtx(t)
	budget := NewBudget(4 << 20)
	c, sc := connectedPair(t, &Options{Budget: budget})
	s := &pieceSink{}
	sc.SetSink(s)
	body := randFrames(t, 5<<20+12345)[0]
	if err := c.Send(ctx, []byte("PIECES"), body); err != nil {
		t.Fatal(err)
	}
	m, err := sc.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := m.SunkLen(1); !ok || n != int64(len(body)) || m.SunkErr(1) != nil {
		t.Fatalf("sunk %v, %d octets, error %v", ok, n, m.SunkErr(1))
	}
	if used := budget.Used(); used > smallMessage {
		t.Fatalf("a body taken in pieces holds %d octets of budget", used)
	}
	m.Release()
	s.mu.Lock()
	if !bytes.Equal(s.got, body) {
		t.Fatalf("pieces differ from the body (%d octets of %d)", len(s.got), len(body))
	}
	for _, n := range s.pieces {
		if n > PieceSize || n == 0 {
			t.Fatalf("a piece of %d octets", n)
		}
	}
	s.got, s.fail = nil, 2<<20
	s.mu.Unlock()
	if err := c.Send(ctx, []byte("PIECES"), body); err != nil {
		t.Fatal(err)
	}
	if m, err = sc.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	taken := len(s.got)
	s.mu.Unlock()
	if m.SunkErr(1) == nil || taken > 2<<20 {
		t.Fatalf("refused piece: error %v, %d octets taken", m.SunkErr(1), taken)
	}
	m.Release()
	if err := c.Send(ctx, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if m, err = sc.Recv(ctx); err != nil || string(m.Frames[0]) != "after" {
		t.Fatalf("after the refusal: %v", err)
	}
}
