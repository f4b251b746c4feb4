package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/storetest"
)

func TestDiskConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		d, err := store.OpenDisk(filepath.Join(t.TempDir(), "storage"))
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
	d, err := store.OpenDisk(filepath.Join(base, "storage"))
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
	if _, err := d.Open("link"); err == nil {
		t.Fatal("served a file outside the store")
	}
	if _, err := d.Open("dirlink/secret"); err == nil {
		t.Fatal("served a file through a directory link")
	}
	if u, err := d.Create("dirlink/new"); err == nil {
		if err := u.Commit(store.CommitOptions{NoSync: true}); err == nil {
			t.Fatal("wrote through a directory link")
		}
	}
	n := 0
	_ = d.List("", func(store.Info) error { n++; return nil })
	if n != 0 {
		t.Fatalf("listed %d entries through links", n)
	}
	_ = d.Delete("dirlink/secret")
	if b, err := os.ReadFile(outside); err != nil || string(b) != "secret" {
		t.Fatal("a delete reached outside the store")
	}
	if _, err := os.Stat(filepath.Join(base, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("an upload landed outside the store")
	}
}

func TestDiskClearsStalePartials(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	d, err := store.OpenDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := d.Create("x")
	_, _ = u.WriteAt([]byte("partial"), 0)
	d.Close() // as if the process died mid-upload
	d, err = store.OpenDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ents, _ := os.ReadDir(filepath.Join(dir, store.PartialDir))
	if len(ents) != 0 {
		t.Fatalf("%d stale partial files kept", len(ents))
	}
}
