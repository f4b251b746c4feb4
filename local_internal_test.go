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

// TestWriteAsidePublishes: through writeAsideBytes (a batch's small
// files) and writeAside alike, a new file and a replaced one both appear
// whole with their mode and time, beneath a held root whose subdirectory
// changes from file to file; a failed fill leaves the old content and no
// stray entry; a name taken by a directory is refused.
func TestWriteAsidePublishes(t *testing.T) {
	root := t.TempDir()
	dirOf, release := holdRoots()
	defer release()
	d := dirOf(FileSpec{Dir: root, Path: filepath.Join(root, "x")})
	when := time.Unix(1_600_000_000, 123_456_789)
	check := func(path, content string) {
		t.Helper()
		b, err := os.ReadFile(path)
		fi, _ := os.Stat(path)
		if err != nil || string(b) != content || fi.Mode().Perm() != 0o640 || !fi.ModTime().Equal(when) {
			t.Fatalf("%s: %q %v, mode %v, time %v; want %q", path, b, err, fi.Mode(), fi.ModTime(), content)
		}
	}
	for _, content := range []string{"first", "second, longer"} {
		for _, sub := range []string{"a", "b/c", "a", "."} {
			path := filepath.Join(root, sub, "bytes")
			if err := writeAsideBytes(d, path, 0o640, when, []byte(content)); err != nil {
				t.Fatal(err)
			}
			check(path, content)
			path = filepath.Join(root, sub, "filled")
			if err := writeAside(d, path, 0o640, when, func(f *os.File) error {
				_, err := f.WriteString(content)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			check(path, content)
		}
	}
	path := filepath.Join(root, "a", "filled")
	if err := writeAside(d, path, 0o640, when, func(f *os.File) error {
		_, _ = f.WriteString("broken")
		return os.ErrInvalid
	}); err == nil {
		t.Fatal("a failed fill was published")
	}
	check(path, "second, longer")
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 2 {
		t.Fatalf("%d entries beside the file, want 2", len(entries))
	}
	if err := os.Mkdir(filepath.Join(root, "a", "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeAsideBytes(d, filepath.Join(root, "a", "dir"), 0o644, time.Time{}, []byte("x")); err == nil {
		t.Fatal("replaced a directory with a file")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 3 {
		t.Fatalf("%d entries after the refused write, want 3", len(entries))
	}
}
