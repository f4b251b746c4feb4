package flaxfile

import (
	"sync"
	"testing"
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
