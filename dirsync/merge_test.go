package dirsync

import (
	"slices"
	"strings"
	"testing"
)

func seq(es ...entry) func(func(entry) bool) {
	return func(yield func(entry) bool) {
		for _, e := range es {
			if !yield(e) {
				return
			}
		}
	}
}

func TestMerge(t *testing.T) {
	src := seq(entry{Rel: "a/x"}, entry{Rel: "b"}, entry{Rel: "d"})
	dst := seq(entry{Rel: "a/x"}, entry{Rel: "a.b"}, entry{Rel: "c"}, entry{Rel: "d"}, entry{Rel: "e"})
	var got []string
	err := merge(src, dst, func(s, d *entry) error {
		switch {
		case d == nil:
			got = append(got, "+"+s.Rel)
		case s == nil:
			got = append(got, "-"+d.Rel)
		default:
			got = append(got, "="+s.Rel)
		}
		return nil
	})
	want := []string{"=a/x", "-a.b", "+b", "-c", "=d", "-e"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("merge %q (%v), want %q", got, err, want)
	}
	bad := seq(entry{Rel: "b"}, entry{Rel: "a"})
	if err := merge(bad, seq(), func(*entry, *entry) error { return nil }); err == nil || !strings.Contains(err.Error(), "out of order") {
		t.Fatalf("unsorted input: %v", err)
	}
}

func TestClassify(t *testing.T) {
	e := func(size, mtime int64, hash string) entry { return entry{Size: size, MTime: mtime, Hash: hash} }
	for _, c := range []struct {
		s, d entry
		kept bool
		want kind
	}{
		{e(1, 5, ""), e(2, 5, ""), true, kindModified},
		{e(1, 5, ""), e(1, 5, ""), true, kindUnchanged},
		{e(1, 5, ""), e(1, 5, ""), false, kindCheck},
		{e(1, 5, ""), e(1, 6, ""), true, kindCheck},
		{e(1, 5, "h"), e(1, 6, "h"), true, kindUnchanged},
		{e(1, 5, "h"), e(1, 6, "g"), false, kindModified},
	} {
		if got := classify(c.s, c.d, c.kept); got != c.want {
			t.Errorf("classify(%+v, %+v, %v) = %v, want %v", c.s, c.d, c.kept, got, c.want)
		}
	}
}

func TestPrefetch(t *testing.T) {
	var in []entry
	for i := range 1000 {
		in = append(in, entry{Rel: string(rune('a' + i%26)), Size: int64(i)})
	}
	var got []int64
	for e := range prefetch(seq(in...), 300) {
		got = append(got, e.Size)
	}
	if len(got) != 1000 {
		t.Fatalf("got %d entries", len(got))
	}
	for i, v := range got {
		if v != int64(i) {
			t.Fatalf("entry %d is %d: order lost", i, v)
		}
	}
	// Stopping early stops the producer: it has made no more than a few
	// batches (the buffer's, the one being sent, the one being filled)
	// when Prefetch returns, not the whole sequence.
	long := make([]entry, 20000)
	produced := 0
	counted := func(yield func(entry) bool) {
		for _, e := range long {
			produced++
			if !yield(e) {
				return
			}
		}
	}
	n := 0
	for range prefetch(counted, 300) {
		if n++; n == 10 {
			break
		}
	}
	if produced > 5*256 {
		t.Fatalf("the producer made %d of %d entries after the consumer stopped", produced, len(long))
	}
}
