package zmtp

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// rawHandshaken dials r and completes a NULL handshake by hand, returning
// the raw socket for the test to write hostile bytes to, and the server's
// side of the connection.
func rawHandshaken(t *testing.T, r *Router) (net.Conn, *Conn) {
	t.Helper()
	nc, err := net.Dial("tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	o := (&Options{}).withDefaults()
	if _, _, _, err := handshake(nc, &o, TypeDealer); err != nil {
		t.Fatal(err)
	}
	sc, err := r.Accept(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return nc, sc
}

// waitEnd waits for c to end and returns its error.
func waitEnd(t *testing.T, c *Conn) error {
	t.Helper()
	select {
	case <-c.Done():
		return c.Err()
	case <-time.After(10 * time.Second):
		t.Fatal("connection did not end")
		return nil
	}
}

// healthy checks that a well-behaved client still gets through r.
func healthy(t *testing.T, r *Router) {
	t.Helper()
	ctx := testCtx(t)
	c, err := Dial(ctx, r.Addr().String(), nil)
	if err != nil {
		t.Fatalf("healthy client: %v", err)
	}
	defer c.Close()
	sc, err := r.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	m, err := sc.Recv(ctx)
	if err != nil || string(m.Frames[0]) != "ok" {
		t.Fatalf("healthy client's message: %v", err)
	}
}

func TestHostileHugeLength(t *testing.T) {
	r, err := Listen("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nc, sc := rawHandshaken(t, r)
	// A long frame declaring 2^63 octets: refused from the header alone.
	hdr := binary.BigEndian.AppendUint64([]byte{FlagLong}, 1<<63)
	if _, err := nc.Write(hdr); err != nil {
		t.Fatal(err)
	}
	if err := waitEnd(t, sc); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("got %v, want ErrMessageTooLarge", err)
	}
	healthy(t, r)
}

func TestHostileTruncatedFrame(t *testing.T) {
	r, err := Listen("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nc, sc := rawHandshaken(t, r)
	if _, err := nc.Write(append(AppendFrameHeader(nil, 0, 100), make([]byte, 50)...)); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	if err := waitEnd(t, sc); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want an unexpected EOF", err)
	}
	healthy(t, r)
}

func TestHostileReservedFlags(t *testing.T) {
	r, err := Listen("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nc, sc := rawHandshaken(t, r)
	if _, err := nc.Write([]byte{0x80, 0}); err != nil {
		t.Fatal(err)
	}
	if err := waitEnd(t, sc); !errors.Is(err, ErrProtocol) {
		t.Fatalf("got %v, want ErrProtocol", err)
	}
}

// serverCloses checks that the server hangs up on nc within limit.
func serverCloses(t *testing.T, nc net.Conn, limit time.Duration) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(limit))
	_, err := io.Copy(io.Discard, nc)
	if err != nil {
		t.Fatalf("server kept the connection open: %v", err)
	}
}

func TestHostileGarbageGreeting(t *testing.T) {
	r, err := Listen("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nc, err := net.Dial("tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	serverCloses(t, nc, 5*time.Second)
	healthy(t, r)
}

func TestHostileSilentPeer(t *testing.T) {
	r, err := Listen("127.0.0.1:0", &Options{HandshakeTimeout: 300 * time.Millisecond, MaxHandshakes: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Four silent connections fill every handshake slot; each is dropped
	// at the deadline, and then a real client gets in.
	var silent []net.Conn
	for range 4 {
		nc, err := net.Dial("tcp", r.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		silent = append(silent, nc)
	}
	start := time.Now()
	for _, nc := range silent {
		serverCloses(t, nc, 5*time.Second)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("silent peers held for %v", d)
	}
	healthy(t, r)
}

// TestHostileNoHandshakeFinish: a peer that sends a greeting and then
// nothing more is dropped at the deadline too.
func TestHostileNoHandshakeFinish(t *testing.T) {
	r, err := Listen("127.0.0.1:0", &Options{HandshakeTimeout: 300 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nc, err := net.Dial("tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	g := Greeting{Major: 3, Minor: 1, Mechanism: "NULL"}.Marshal()
	if _, err := nc.Write(g[:]); err != nil {
		t.Fatal(err)
	}
	serverCloses(t, nc, 5*time.Second)
	healthy(t, r)
}

func TestDialHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err == nil {
			defer nc.Close()
			_, _ = io.Copy(io.Discard, nc)
		}
	}()
	_, err = Dial(context.Background(), ln.Addr().String(), &Options{HandshakeTimeout: 200 * time.Millisecond})
	var he *HandshakeError
	if !errors.As(err, &he) {
		t.Fatalf("got %v, want a HandshakeError", err)
	}
}

// TestBudgetBoundsReceivedMemory: with a 1 MiB budget, three connections
// each sending 1 MiB messages never hold more than the budget plus one
// message's overdraft while nobody takes their messages.
func TestBudgetBoundsReceivedMemory(t *testing.T) {
	ctx := testCtx(t)
	budget := NewBudget(1 << 20)
	r, err := Listen("127.0.0.1:0", &Options{Budget: budget}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var server []*Conn
	for range 3 {
		c, err := Dial(ctx, r.Addr().String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sc, err := r.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		server = append(server, sc)
		go func() {
			for range 4 {
				if c.Send(ctx, []byte("hdr"), make([]byte, 1<<20)) != nil {
					return
				}
			}
		}()
	}
	msgs := make(chan *Message)
	for _, sc := range server {
		go func() {
			for {
				m, err := sc.Recv(ctx)
				if err != nil {
					return
				}
				msgs <- m
			}
		}()
	}
	for i := range 12 {
		m := <-msgs
		// The message we hold has the whole budget; every other reader
		// waits for it.
		// (The small frames of the others are counted too.)
		if used := budget.Used(); used < 1<<20 || used > 1<<20+3*smallMessage {
			t.Fatalf("message %d: budget used %d, want one message", i, used)
		}
		m.Release()
	}
	if used := budget.Used(); used > 1<<20 {
		t.Fatalf("budget left %d", used)
	}
}

// TestHandshakeBurst: many more real clients than handshake slots, all at
// once, all get in: a handshake in progress gives way to a newcomer only
// once it has run for a while, so a burst of honest peers (a transfer's
// connections from many clients) is queued, not cut (it was: the oldest
// of 256 was closed at once, and clients saw EOF).
func TestHandshakeBurst(t *testing.T) {
	r, err := Listen("127.0.0.1:0", &Options{MaxHandshakes: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := testCtx(t)
	go func() {
		for {
			if _, err := r.Accept(ctx); err != nil {
				return
			}
		}
	}()
	const n = 64
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c, err := Dial(ctx, r.Addr().String(), nil)
			if err == nil {
				err = c.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("an honest client was refused during a burst: %v", err)
		}
	}
}
