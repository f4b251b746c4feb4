package zmtp

import (
	"bytes"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestHostileEmptyFrames: a message of endless empty frames is cut off at
// the message limit, each frame counting FrameCost; it used to grow without
// bound (1.5 GB from 34 MiB on the wire).
func TestHostileEmptyFrames(t *testing.T) {
	budget := NewBudget(1 << 20)
	r, err := Listen("127.0.0.1:0", &Options{MaxMessageSize: 1 << 20, Budget: budget}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nc, sc := rawHandshaken(t, r)
	// 200,000 empty frames with MORE: 400 kB on the wire, 12.8 MB counted.
	flood := bytes.Repeat([]byte{FlagMore, 0}, 200_000)
	go func() { _, _ = nc.Write(flood) }()
	if err := waitEnd(t, sc); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("got %v, want ErrMessageTooLarge", err)
	}
	if used := budget.Used(); used != 0 {
		t.Fatalf("the dropped message left %d octets of budget held", used)
	}
	healthy(t, r)
}

// TestHostileSmallFramesCounted: messages made of frames under the pool's
// smallest size, left unfinished on several connections, are held within
// the budget plus one message; frames that small used to bypass it (8
// connections × 60 MiB added 456 MB).
func TestHostileSmallFramesCounted(t *testing.T) {
	const (
		limit = 1 << 20 // the budget
		msg   = 6 << 20 // the message limit
		conns = 6
	)
	budget := NewBudget(limit)
	r, err := Listen("127.0.0.1:0", &Options{MaxMessageSize: msg, Budget: budget}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	frame := append(AppendFrameHeader(nil, FlagMore, 32767), make([]byte, 32767)...)
	var wg sync.WaitGroup
	var stalled sync.WaitGroup
	for range conns {
		nc, _ := rawHandshaken(t, r)
		stalled.Add(1)
		wg.Go(func() {
			defer stalled.Done()
			// Writes stop when the server stops reading and the socket
			// buffers are full: the deadline says so.
			for sent := 0; sent+len(frame) < msg-(64<<10); sent += len(frame) {
				_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
				if _, err := nc.Write(frame); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						return
					}
					t.Errorf("write: %v", err)
					return
				}
			}
		})
	}
	stalled.Wait()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	// The budget, one overdrawing message, and a margin for the rest of
	// the test's own state.
	if bound := int64(limit + msg + 4<<20); grown > bound {
		t.Fatalf("server heap grew by %d MiB with %d unfinished messages, bound %d MiB", grown>>20, conns, bound>>20)
	}
	if used := budget.Used(); used > limit+msg+conns*smallMessage {
		t.Fatalf("budget used %d", used)
	}
	t.Logf("heap grew %d MiB; budget used %d KiB", grown>>20, budget.Used()>>10)
	healthy(t, r)
	wg.Wait()
}

// TestMessageIdleTimeout: a peer that stops half way through a message is
// cut off after MessageIdleTimeout, giving back what the message held; one
// that is idle between messages is not.
func TestMessageIdleTimeout(t *testing.T) {
	budget := NewBudget(1 << 20)
	r, err := Listen("127.0.0.1:0", &Options{Budget: budget, MessageIdleTimeout: 200 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	idle, idleConn := rawHandshaken(t, r)
	half, halfConn := rawHandshaken(t, r)
	// A whole message, then silence; and half of one, then silence.
	if _, err := idle.Write(append(AppendFrameHeader(nil, 0, 2), "ok"...)); err != nil {
		t.Fatal(err)
	}
	m, err := idleConn.Recv(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	m.Release()
	body := make([]byte, 64<<10)
	if _, err := half.Write(append(append(AppendFrameHeader(nil, FlagMore, 2), "hd"...), append(AppendFrameHeader(nil, FlagMore, uint64(len(body))), body...)...)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := waitEnd(t, halfConn); !errors.Is(err, ErrHeartbeat) {
		t.Fatalf("got %v, want the idle-message timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cut off after %v", d)
	}
	if used := budget.Used(); used != 0 {
		t.Fatalf("the cut message left %d octets of budget held", used)
	}
	select {
	case <-idleConn.Done():
		t.Fatalf("a connection idle between messages was closed: %v", idleConn.Err())
	default:
	}
}
