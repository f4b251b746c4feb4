package disk_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/disk"
	"github.com/flaxfile/flaxfile/internal/store/storetest"
)

func TestDiskConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		d, err := disk.Open(filepath.Join(t.TempDir(), "storage"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

// TestDiskSymlinkOut: a link inside the store that points outside it is
// neither served nor listed, and deleting through it touches nothing
// outside.
func TestDiskSymlinkOut(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := disk.Open(filepath.Join(base, "storage"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.Symlink(outside, filepath.Join(base, "storage", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(base, filepath.Join(base, "storage", "dirlink")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open(t.Context(), "link"); err == nil {
		t.Fatal("served a file outside the store")
	}
	if _, err := d.Open(t.Context(), "dirlink/secret"); err == nil {
		t.Fatal("served a file through a directory link")
	}
	if u, err := d.Create(t.Context(), "dirlink/new"); err == nil {
		if err := u.Commit(t.Context(), store.CommitOptions{NoSync: true}); err == nil {
			t.Fatal("wrote through a directory link")
		}
	}
	n := 0
	_ = d.List(t.Context(), "", func(store.Info) error { n++; return nil })
	if n != 0 {
		t.Fatalf("listed %d entries through links", n)
	}
	_ = d.Delete(t.Context(), "dirlink/secret")
	if b, err := os.ReadFile(outside); err != nil || string(b) != "secret" {
		t.Fatal("a delete reached outside the store")
	}
	if _, err := os.Stat(filepath.Join(base, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("an upload landed outside the store")
	}
}

// TestDiskSymlinkIntoPartials: a link inside the store that leads into its
// partial area (made by an administrator, say) is never written through:
// an upload there would publish among the uploads in progress.
func TestDiskSymlinkIntoPartials(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "storage")
	d, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.Symlink(store.PartialDir, filepath.Join(dir, "inside")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"inside/x", "inside/sub/y"} {
		u, err := d.Create(t.Context(), key)
		if err != nil {
			continue
		}
		_, _ = u.WriteAt([]byte("data"), 0)
		if err := u.Commit(t.Context(), store.CommitOptions{NoSync: true}); !errors.Is(err, store.ErrInvalidKey) {
			t.Fatalf("commit of %s through a link into the partial area: %v, want ErrInvalidKey", key, err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, store.PartialDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "x" || e.Name() == "sub" {
			t.Fatalf("%s landed in the partial area", e.Name())
		}
	}
}

func TestDiskClearsStalePartials(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	d, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := d.Create(t.Context(), "x")
	_, _ = u.WriteAt([]byte("partial"), 0)
	d.Close() // as if the process died mid-upload
	d, err = disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ents, _ := os.ReadDir(filepath.Join(dir, store.PartialDir))
	if len(ents) != 0 {
		t.Fatalf("%d stale partial files kept", len(ents))
	}
}

// TestDiskReplacesLargeFiles: a large upload replaces what the key held
// (a file, a FIFO, a link), never blocks on it, never writes through a
// link, and a reader of the old file keeps reading the old octets.
func TestDiskReplacesLargeFiles(t *testing.T) {
	base := t.TempDir()
	d, err := disk.Open(filepath.Join(base, "storage"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	big := make([]byte, 40<<20) // above the size whose old version is freed late
	put := func(key string, fill byte) {
		t.Helper()
		for i := range big {
			big[i] = fill
		}
		u, err := d.Create(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.WriteAt(big, 0); err != nil {
			t.Fatal(err)
		}
		if err := u.Commit(t.Context(), store.CommitOptions{NoSync: true}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(key string, fill byte) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(base, "storage", key))
		if err != nil || len(b) != len(big) || b[0] != fill || b[len(b)-1] != fill {
			t.Fatalf("%s: %d octets, %v", key, len(b), err)
		}
	}
	put("f", 1)
	old, err := d.Open(t.Context(), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	put("f", 2)
	check("f", 2)
	var p [1]byte
	if _, err := old.ReadAt(p[:], int64(len(big)-1)); err != nil || p[0] != 1 {
		t.Fatalf("the old version's reader got %v, %v", p[0], err)
	}
	if err := syscallMkfifo(filepath.Join(base, "storage", "fifo")); err == nil {
		put("fifo", 3) // must not block opening the FIFO
		check("fifo", 3)
	}
	outside := filepath.Join(base, "outside")
	if err := os.WriteFile(outside, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(base, "storage", "link")); err != nil {
		t.Fatal(err)
	}
	put("link", 4)
	check("link", 4)
	if b, _ := os.ReadFile(outside); string(b) != "keep" {
		t.Fatal("replacing a link wrote through it")
	}
}
