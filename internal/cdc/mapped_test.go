package cdc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// cutRange cuts [off, end) of r.
func cutRange(r interface {
	ReadAt([]byte, int64) (int, error)
}, off, end int64, stop func(Chunk)) ([]Chunk, error) {
	var out []Chunk
	err := Cut(context.Background(), r, off, end, func(c Chunk) error {
		out = append(out, c)
		if stop != nil {
			stop(c)
		}
		return nil
	})
	return out, err
}

// A file is cut as its octets read into memory are, whatever the range
// (starting off a page, ending short of the file).
func TestCutFileAsReader(t *testing.T) {
	data := random(9<<20+777, 3)
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, r := range [][2]int64{{0, int64(len(data))}, {12345, int64(len(data)) - 999}, {4096, 4096 + 100}, {5 << 20, 5<<20 + 1}} {
		got, err := cutRange(f, r[0], r[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := cutRange(bytes.NewReader(data), r[0], r[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("[%d, %d): the file cuts into %d chunks, its octets into %d, or elsewhere", r[0], r[1], len(got), len(want))
		}
	}
}

// A file cut short while it is being cut is an error, not a crash.
func TestCutFileShrinking(t *testing.T) {
	data := random(16<<20, 4)
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	once := false
	_, err = cutRange(f, 0, int64(len(data)), func(Chunk) {
		if !once {
			once = true
			if err := os.Truncate(p, 1<<20); err != nil {
				t.Error(err)
			}
		}
	})
	if err == nil {
		t.Fatal("cutting a file cut short meanwhile gave no error")
	}
	t.Log(err)
}

// BenchmarkCutFile cuts a 64 MiB file (mapped where the system allows),
// against BenchmarkCutReader's same octets copied out of a reader.
func BenchmarkCutFile(b *testing.B) {
	data := random(64<<20, 6)
	p := filepath.Join(b.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := cutRange(f, 0, int64(len(data)), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCutReader is BenchmarkCutFile's baseline: a reader's octets.
func BenchmarkCutReader(b *testing.B) {
	data := random(64<<20, 6)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := cutRange(bytes.NewReader(data), 0, int64(len(data)), nil); err != nil {
			b.Fatal(err)
		}
	}
}
