package flaxfile

import (
	"slices"
	"sync"
	"testing"
)

// Servers of a spread transfer each take runs of chunks in a row, in
// order, every chunk once, while their connections take from them at
// once; the last chunks go to whichever server is free.
func TestRunsDealChunksInRuns(t *testing.T) {
	ids := make([]int64, 64)
	for i := range ids {
		ids[i] = int64(i)
	}
	servers := []*peer{{addr: "a"}, {addr: "b"}, {addr: "c"}}
	r := newRuns(ids, len(servers))
	got := make([][]int64, len(servers))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, p := range servers {
		for range 2 { // two connections a server
			wg.Go(func() {
				for id, ok := r.take(p); ok; id, ok = r.take(p) {
					mu.Lock()
					got[i] = append(got[i], id)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	var all []int64
	for i, mine := range got {
		all = append(all, mine...)
		// What a server took, sorted, falls in runs of maxRun in a
		// row (a run's last ids may have gone to another server).
		sorted := slices.Sorted(slices.Values(mine))
		breaks := 0
		for k := 1; k < len(sorted); k++ {
			if sorted[k] != sorted[k-1]+1 {
				breaks++
			}
		}
		if runs := len(ids) / maxRun; breaks >= runs {
			t.Errorf("server %d took %v: %d breaks, not runs of %d", i, sorted, breaks, maxRun)
		}
	}
	slices.Sort(all)
	if !slices.Equal(all, ids) {
		t.Fatalf("chunks handed out: %v, want each of 0-63 once", all)
	}
	if rest := r.rest(); len(rest) != 0 {
		t.Fatalf("%d chunks left after all were taken", len(rest))
	}
}

// With fewer chunks than runs for every server, each server still gets
// its share; a run a server never finished is taken by another; what no
// connection took is given back whole.
func TestRunsShareFewChunksAndGiveBackTheRest(t *testing.T) {
	a, b, c := &peer{addr: "a"}, &peer{addr: "b"}, &peer{addr: "c"}
	r := newRuns([]int64{0, 1, 2}, 3)
	for i, p := range []*peer{a, b, c} {
		if id, ok := r.take(p); !ok || id != int64(i) {
			t.Fatalf("server %d took %d, %v; want chunk %d", i, id, ok, i)
		}
	}
	if _, ok := r.take(a); ok {
		t.Fatal("a chunk handed out twice")
	}

	r = newRuns([]int64{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}, 2)
	for _, want := range []int64{10, 11} {
		if id, _ := r.take(a); id != want {
			t.Fatalf("a took %d, want %d", id, want)
		}
	}
	if id, _ := r.take(b); id != 15 { // runs of 5: b's begins at 15
		t.Fatalf("b took %d, want 15", id)
	}
	// b takes the rest of its run, then the last of a's.
	for _, want := range []int64{16, 17, 18, 19, 14} {
		if id, _ := r.take(b); id != want {
			t.Fatalf("b took %d, want %d", id, want)
		}
	}
	if rest := r.rest(); !slices.Equal(rest, []int64{12, 13}) {
		t.Fatalf("given back %v, want [12 13]", rest)
	}
}
