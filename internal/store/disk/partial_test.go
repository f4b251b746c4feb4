package disk_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/disk"
)

// TestPartialSurvivesReopen: a partial upload and its journal outlive the
// store (a server restart); Commit publishes the data with its metadata
// and removes both; ExpirePartials removes old ones but not those in use.
func TestPartialSurvivesReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "storage")
	d, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.Repeat("0a", 16)
	p, fresh, err := d.OpenPartial(t.Context(), "k/file", id, store.Spec{})
	if err != nil || !fresh {
		t.Fatalf("OpenPartial: %v, fresh %v", err, fresh)
	}
	p.WriteAt([]byte("hello"), 0)
	p.AppendJournal([]byte("head\n"))
	p.AppendJournal([]byte("rec1"))
	p.Close()
	d.Close()

	d, err = disk.Open(dir) // clears one-process uploads, not these
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, fresh, err = d.OpenPartial(t.Context(), "k/file", id, store.Spec{})
	if err != nil || fresh {
		t.Fatalf("reopen: %v, fresh %v", err, fresh)
	}
	if j, _ := p.Journal(); string(j) != "head\nrec1" {
		t.Fatalf("journal %q", j)
	}
	meta := []byte(`{"m":1}`)
	if err := p.Commit(t.Context(), store.CommitOptions{NoSync: true, Mode: 0o400, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	o, err := d.Open(t.Context(), "k/file")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	o.ReadAt(buf, 0)
	if string(buf) != "hello" || !bytes.Equal(o.Info().Meta, meta) || o.Info().Mode != 0o400 {
		t.Fatalf("published %q, meta %q, mode %v", buf, o.Info().Meta, o.Info().Mode)
	}
	o.Close()
	if es, _ := os.ReadDir(filepath.Join(dir, store.PartialDir)); len(es) != 0 {
		t.Fatalf("%d files left in the partial directory", len(es))
	}
	// Expiry: an old partial goes, one in use stays.
	old, used := strings.Repeat("0b", 16), strings.Repeat("0c", 16)
	for _, i := range []string{old, used} {
		p, _, err := d.OpenPartial(t.Context(), "x", i, store.Spec{})
		if err != nil {
			t.Fatal(err)
		}
		p.AppendJournal([]byte("h\n"))
		p.Close()
		past := time.Now().Add(-time.Hour)
		os.Chtimes(filepath.Join(dir, store.PartialDir, "put-"+i+".journal"), past, past)
	}
	n, err := d.ExpirePartials(t.Context(), time.Minute, func(id string) bool { return id == used })
	if err != nil || n != 1 {
		t.Fatalf("ExpirePartials removed %d: %v", n, err)
	}
	if _, fresh, _ := d.OpenPartial(t.Context(), "x", used, store.Spec{}); fresh {
		t.Fatal("the partial in use was removed")
	}
	if _, fresh, _ := d.OpenPartial(t.Context(), "x", old, store.Spec{}); !fresh {
		t.Fatal("the old partial was kept")
	}
	// Bad ids and keys are refused.
	for _, c := range [][2]string{{"x", "../" + old[3:]}, {"x", "short"}, {"", old}, {"../x", old}} {
		if _, _, err := d.OpenPartial(t.Context(), c[0], c[1], store.Spec{}); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("OpenPartial(%q, %q): %v", c[0], c[1], err)
		}
	}
}

// A large partial that will be committed with a flush hands its chunks to
// the disk as they are written (flush.Early): written out of order, it
// commits whole; one closed (a server stopping) reopens with its data and
// is aborted cleanly.
func TestPartialWrittenBackEarly(t *testing.T) {
	d, err := disk.Open(filepath.Join(t.TempDir(), "storage"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const chunk, n = 4 << 20, 10
	want := make([]byte, chunk*n)
	for i := range want {
		want[i] = byte(i * 7 / 3)
	}
	spec := store.Spec{Size: int64(len(want)), WillSync: true}
	write := func(p store.Partial, order []int) {
		t.Helper()
		for _, k := range order {
			if _, err := p.WriteAt(want[k*chunk:(k+1)*chunk], int64(k*chunk)); err != nil {
				t.Fatal(err)
			}
		}
	}
	id := strings.Repeat("0b", 16)
	p, _, err := d.OpenPartial(t.Context(), "big", id, spec)
	if err != nil {
		t.Fatal(err)
	}
	write(p, []int{9, 0, 5, 1, 2, 8, 3})
	p.Close()
	p, fresh, err := d.OpenPartial(t.Context(), "big", id, spec)
	if err != nil || fresh {
		t.Fatalf("reopen: %v, fresh %v", err, fresh)
	}
	write(p, []int{4, 6, 7})
	if err := p.Commit(t.Context(), store.CommitOptions{}); err != nil {
		t.Fatal(err)
	}
	o, err := d.Open(t.Context(), "big")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	_, err = o.ReadAt(got, 0)
	o.Close()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("committed file differs: %v", err)
	}
	p, _, err = d.OpenPartial(t.Context(), "other", strings.Repeat("0c", 16), spec)
	if err != nil {
		t.Fatal(err)
	}
	write(p, []int{1, 0})
	if err := p.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Stat(t.Context(), "other"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an aborted upload: %v", err)
	}
}
