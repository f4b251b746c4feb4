package zmtp

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"
	"time"
)

// sendBody writes a two-frame message on raw: a short frame, then body,
// whose first fast octets go at once and the rest in pieces of 32 KiB
// every gap.
func sendBody(t *testing.T, raw interface{ Write([]byte) (int, error) }, body []byte, fast int, gap time.Duration) {
	t.Helper()
	head := append(AppendFrameHeader(nil, FlagMore, 2), "hd"...)
	head = append(AppendFrameHeader(head, 0, uint64(len(body))), body[:fast]...)
	if _, err := raw.Write(head); err != nil {
		t.Error(err)
		return
	}
	tick := time.NewTicker(gap)
	defer tick.Stop()
	for rest := body[fast:]; len(rest) > 0; {
		<-tick.C
		k := min(len(rest), 32<<10)
		if _, err := raw.Write(rest[:k]); err != nil {
			t.Error(err)
			return
		}
		rest = rest[k:]
	}
}

// recvBody receives the message sendBody sent and checks its body.
func recvBody(t *testing.T, c *Conn, body []byte, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	m, err := c.Recv(ctx)
	if err != nil {
		t.Fatalf("message not received: %v (connection: %v)", err, c.Err())
	}
	defer m.Release()
	if len(m.Frames) != 2 || !bytes.Equal(m.Frames[1], body) {
		t.Fatalf("received %d frames, not the body sent", len(m.Frames))
	}
}

// A body that ends with nothing after it arrives whole: the mark never
// asks for more than the body still owes, whatever pace came before.
func TestLowWaterBodyEnds(t *testing.T) {
	r, err := Listen("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	raw, c := rawHandshaken(t, r)
	for _, n := range []int{8 << 20, 1<<20 + 12345, 300 << 10} {
		body := make([]byte, n)
		_, _ = rand.Read(body)
		go sendBody(t, raw, body, n, time.Millisecond)
		recvBody(t, c, body, 10*time.Second)
	}
}

// A link that slows in the middle of a body, below the pace the mark was
// set for, is not taken for a silent one: the octets that came before
// the idle timeout count, though fewer than the mark.
func TestLowWaterSlowTail(t *testing.T) {
	r, err := Listen("127.0.0.1:0", &Options{MessageIdleTimeout: 300 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	raw, c := rawHandshaken(t, r)
	body := make([]byte, 4<<20)
	_, _ = rand.Read(body)
	// 3 MiB at once, then 1 MiB at about 1.3 MB/s: 0.8 s, where a mark
	// of 1 MiB would wait for all of it.
	go sendBody(t, raw, body, 3<<20, 25*time.Millisecond)
	recvBody(t, c, body, 20*time.Second)
}
