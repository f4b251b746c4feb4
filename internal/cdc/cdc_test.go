package cdc

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
)

func random(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	_, _ = r.Read(b)
	return b
}

func cutAll(t *testing.T, data []byte) []Chunk {
	t.Helper()
	var out []Chunk
	err := Cut(context.Background(), bytes.NewReader(data), 0, int64(len(data)), func(c Chunk) error {
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Chunks cover the data in order, within the bounds, and Cut's windows
// cut where cutting the whole data in memory does.
func TestCutCoversWithinBounds(t *testing.T) {
	data := random(11<<20+12345, 1)
	chunks := cutAll(t, data)
	var pos int64
	for i, c := range chunks {
		if c.Off != pos {
			t.Fatalf("chunk %d at %d, want %d", i, c.Off, pos)
		}
		if c.Len > Max || (c.Len < Min && i != len(chunks)-1) {
			t.Fatalf("chunk %d of %d octets", i, c.Len)
		}
		pos += c.Len
	}
	if pos != int64(len(data)) {
		t.Fatalf("chunks cover %d of %d octets", pos, len(data))
	}
	rest := data
	for i, c := range chunks {
		if n := Next(rest); int64(n) != c.Len {
			t.Fatalf("chunk %d: Cut made %d octets, Next on the whole data %d", i, c.Len, n)
		}
		rest = rest[c.Len:]
	}
	if avg := int64(len(data)) / int64(len(chunks)); avg < Avg/2 || avg > Avg*2 {
		t.Errorf("average chunk %d octets, want about %d", avg, Avg)
	}
}

// An insertion near the start shifts everything after it; all chunks
// but those around it are still found in the old version.
func TestShiftedDataIsFound(t *testing.T) {
	old := random(8<<20, 2)
	cur := append(append(append([]byte{}, old[:1000]...), random(100, 3)...), old[1000:]...)
	ix := NewIndex(cutAll(t, old))
	ops := Plan(cutAll(t, cur), ix, 0, int64(len(cur)))
	lit := int64(len(cur)) - Copied(ops)
	if lit > 2*Max {
		t.Fatalf("%d literal octets of %d after a 100-octet insertion", lit, len(cur))
	}
	// The steps rebuild the new version exactly.
	var built []byte
	var pos int64
	for _, o := range ops {
		if o.Off != pos {
			t.Fatalf("step at %d, want %d", o.Off, pos)
		}
		if o.Src == Literal {
			built = append(built, cur[o.Off:o.Off+o.N]...)
		} else {
			built = append(built, old[o.Src:o.Src+o.N]...)
		}
		pos += o.N
	}
	if !bytes.Equal(built, cur) {
		t.Fatal("the steps do not rebuild the file")
	}
}

// A plan for part of a file covers exactly that part, cutting chunks at
// its edges.
func TestPlanCutsAtEdges(t *testing.T) {
	old := random(3<<20, 4)
	ix := NewIndex(cutAll(t, old))
	target := cutAll(t, old)
	lo, hi := int64(1<<20+7), int64(2<<20+3)
	ops := Plan(target, ix, lo, hi)
	if len(ops) != 1 || ops[0] != (Op{Off: lo, N: hi - lo, Src: lo}) {
		t.Fatalf("plan of an unchanged run: %+v", ops)
	}
	if got := Plan(target, Index{}, lo, hi); len(got) != 1 || got[0] != (Op{Off: lo, N: hi - lo, Src: Literal}) {
		t.Fatalf("plan with nothing to copy: %+v", got)
	}
}

// A reader that comes up short is an error, not a short chunk list.
func TestCutShortRead(t *testing.T) {
	data := random(100, 5)
	err := Cut(context.Background(), bytes.NewReader(data), 0, 1000, func(Chunk) error { return nil })
	if err == nil {
		t.Fatal("no error for a short reader")
	}
}

func BenchmarkNext(b *testing.B) {
	data := random(64<<20, 6)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		for d := data; len(d) > 0; {
			d = d[Next(d):]
		}
	}
}
