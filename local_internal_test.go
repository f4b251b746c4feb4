package flaxfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLocalDirNeverFollowsLinks: creating, timing and renaming beneath a
// root refuses a symbolic link on the way or at the file itself, and
// touches nothing outside.
// The same holds with the root held open for a batch (holdRoots), which
// must also survive each file's parentDir being closed.
func TestLocalDirNeverFollowsLinks(t *testing.T) {
	t.Run("each", func(t *testing.T) { neverFollowsLinks(t, false) })
	t.Run("held", func(t *testing.T) { neverFollowsLinks(t, true) })
}

func neverFollowsLinks(t *testing.T, hold bool) {
	root, outside := t.TempDir(), t.TempDir()
	d := localDir{root: root}
	if hold {
		dirOf, release := holdRoots()
		defer release()
		d = dirOf(FileSpec{Dir: root, Path: filepath.Join(root, "x")})
	}
	if err := os.Symlink(outside, filepath.Join(root, "sub")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(root, "real", "link")); err != nil {
		t.Fatal(err)
	}
	const create = os.O_RDWR | os.O_CREATE | os.O_TRUNC
	for _, p := range []string{"sub/x", "sub/victim", "real/link", "../escape"} {
		f, err := d.open(filepath.Join(root, p), create, 0o600)
		if err == nil {
			f.Close()
			t.Fatalf("opened %s for writing", p)
		}
	}
	// On a link, the link's own times at most: never its target's.
	_ = d.setTimes(filepath.Join(root, "real", "link"), time.Unix(1, 0))
	if fi, err := os.Stat(victim); err != nil || fi.ModTime().Equal(time.Unix(1, 0)) {
		t.Fatal("set the times through a link")
	}
	ok := filepath.Join(root, "real", "ok")
	f, err := d.open(ok, create, 0o600)
	if err != nil {
		t.Fatalf("a plain file: %v", err)
	}
	f.Close()
	if err := d.rename(filepath.Join(root, "sub", "victim"), filepath.Join(root, "sub", "moved")); err == nil || !strings.Contains(err.Error(), "link") {
		t.Fatalf("renamed through a link: %v", err)
	}
	if err := d.rename(ok, filepath.Join(root, "real", "moved")); err != nil {
		t.Fatalf("a plain rename: %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Fatal("the file outside was written")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Fatalf("%d entries outside, want only the victim", len(entries))
	}
	// Files at the root itself, twice: the held root outlives each.
	for range 2 {
		if err := writeAside(d, filepath.Join(root, "top"), 0o644, time.Time{}, func(f *os.File) error {
			_, err := f.WriteString("top")
			return err
		}); err != nil {
			t.Fatalf("a file at the root: %v", err)
		}
	}
}
