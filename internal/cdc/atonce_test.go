package cdc

import (
	"bytes"
	"context"
	"slices"
	"testing"
)

// cutsOf cuts [off, end) of data, at once in parts or not.
func cutsOf(t *testing.T, data []byte, off, end int64, parts int) []Chunk {
	t.Helper()
	var out []Chunk
	fn := func(c Chunk) error { out = append(out, c); return nil }
	var err error
	if parts > 0 {
		err = CutAtOnce(context.Background(), bytes.NewReader(data), off, end, parts, fn)
	} else {
		err = Cut(context.Background(), bytes.NewReader(data), off, end, fn)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Cut in parts at once, data cuts exactly where Cut cuts it: random data,
// a range off its start, data with a long run of one octet across a part's
// start (joined late, cut chunk by chunk meanwhile), and all one octet.
func TestCutAtOnceAsCut(t *testing.T) {
	rnd := random(40<<20+4321, 7)
	runs := bytes.Clone(rnd)
	for i := 18 << 20; i < 23<<20; i++ {
		runs[i] = 0
	}
	zeros := make([]byte, 30<<20)
	for _, c := range []struct {
		name     string
		data     []byte
		off, end int64
	}{
		{"random", rnd, 0, int64(len(rnd))},
		{"a range", rnd, 12345, int64(len(rnd)) - 999},
		{"a run across a part's start", runs, 0, int64(len(runs))},
		{"all one octet", zeros, 0, int64(len(zeros))},
	} {
		want := cutsOf(t, c.data, c.off, c.end, 0)
		for _, parts := range []int{2, 3, 5} {
			if got := cutsOf(t, c.data, c.off, c.end, parts); !slices.Equal(got, want) {
				t.Fatalf("%s, %d parts: %d chunks, Cut makes %d (or elsewhere)", c.name, parts, len(got), len(want))
			}
		}
	}
}

// BenchmarkCutAtOnce cuts 64 MiB in two parts at once, against
// BenchmarkCutReader's one.
func BenchmarkCutAtOnce(b *testing.B) {
	data := random(64<<20, 6)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := CutAtOnce(context.Background(), bytes.NewReader(data), 0, int64(len(data)), 2, func(Chunk) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCutReader is BenchmarkCutAtOnce's baseline.
func BenchmarkCutReader(b *testing.B) {
	data := random(64<<20, 6)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := Cut(context.Background(), bytes.NewReader(data), 0, int64(len(data)), func(Chunk) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
