package flaxfile

import (
	"sync"
	"testing"
	"time"
)

// A queue hands each id out once, in order, however many
// connections take from it at once.
func TestQueueHandsOutEachOnce(t *testing.T) {
	ids := make([]int64, 10000)
	for i := range ids {
		ids[i] = int64(i) * 3
	}
	q := newQueue(ids)
	got := make([][]int64, 8)
	var wg sync.WaitGroup
	for w := range got {
		wg.Go(func() {
			for id, ok := q(); ok; id, ok = q() {
				got[w] = append(got[w], id)
			}
		})
	}
	wg.Wait()
	seen := make(map[int64]bool)
	for _, mine := range got {
		for k, id := range mine {
			if seen[id] || id%3 != 0 || id < 0 || id >= 30000 {
				t.Fatalf("id %d handed out twice or never asked for", id)
			}
			seen[id] = true
			if k > 0 && mine[k-1] >= id {
				t.Fatalf("one taker got %d after %d", id, mine[k-1])
			}
		}
	}
	if len(seen) != len(ids) {
		t.Fatalf("%d ids handed out, want %d", len(seen), len(ids))
	}
	if _, ok := q(); ok {
		t.Fatal("an exhausted queue handed out more")
	}
}

// FlaxFile 2's plan by the round trip and the cipher: on a short link 16
// connections for a plaintext upload (the client's sendfiles cost less
// spread wide), 4 for an encrypted one and for downloads; 16 on a long
// link; uploads with twice the window; never more connections than
// chunks; Options override each part.
func TestSizing2(t *testing.T) {
	for _, tc := range []struct {
		cipher     string
		rtt        time.Duration
		opts       Options
		size       int64
		upload     bool
		conns, win int
	}{
		{"", 0, Options{}, 1 << 30, true, 16, 8},
		{"", 0, Options{}, 1 << 30, false, 4, 4},
		{"aes-256-gcm", 0, Options{}, 1 << 30, true, 4, 8},
		{"aes-256-gcm", 20 * time.Millisecond, Options{}, 1 << 30, false, 16, 4},
		{"", 0, Options{}, 12 << 20, true, 3, 8},
		{"", 0, Options{Connections: 2, Window: 3}, 1 << 30, true, 2, 3},
	} {
		c := &Client{opts: tc.opts, cipher: tc.cipher}
		c.rtt.Store(int64(tc.rtt))
		p := c.sizing2(tc.size, tc.upload)
		if p.conns != tc.conns || p.window != tc.win {
			t.Errorf("%+v: %d connections × %d, want %d × %d", tc, p.conns, p.window, tc.conns, tc.win)
		}
	}
}
