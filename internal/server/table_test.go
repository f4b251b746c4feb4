package server

import (
	"testing"
	"time"
)

// TestTable: a value closes exactly once, only when it has ended and no
// request holds it; expiry passes over values in use and those ok
// refuses; a new value under an old id ends the old one.
func TestTable(t *testing.T) {
	closed := map[string]int{}
	tb := newTable(func(v string) { closed[v]++ })
	a := tb.add("a", "A", 0)
	b := tb.add("b", "B", 1) // held by its creator
	if e := tb.acquire("a", false); e != a {
		t.Fatal("acquire did not find a")
	}
	if tb.acquire("a", true) != nil {
		t.Fatal("an exclusive acquire took a value in use")
	}
	if !tb.end(a) || closed["A"] != 0 {
		t.Fatalf("a closed while in use: %v", closed)
	}
	if tb.end(a) {
		t.Fatal("a ended twice")
	}
	tb.release(a)
	if closed["A"] != 1 {
		t.Fatalf("a not closed on its last release: %v", closed)
	}
	later := time.Now().Add(time.Hour)
	if got := tb.expire(later, time.Minute, nil); len(got) != 0 {
		t.Fatalf("expired %v, which is in use", got)
	}
	tb.release(b)
	if got := tb.expire(later, time.Minute, func(string) bool { return false }); len(got) != 0 {
		t.Fatalf("expired %v against ok", got)
	}
	if got := tb.expire(later, time.Minute, nil); len(got) != 1 || closed["B"] != 1 {
		t.Fatalf("idle b: expired %v, closed %v", got, closed)
	}
	tb.add("c", "C1", 0)
	tb.add("c", "C2", 0)
	if closed["C1"] != 1 || tb.len() != 1 {
		t.Fatalf("replacing c: closed %v, %d entries", closed, tb.len())
	}
	if all := tb.endAll(); len(all) != 1 || closed["C2"] != 1 || tb.len() != 0 {
		t.Fatalf("endAll: %v, closed %v", all, closed)
	}
	if tb.added.Load() != 4 {
		t.Fatalf("added %d, want 4", tb.added.Load())
	}
}
