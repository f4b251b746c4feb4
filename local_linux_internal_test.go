package flaxfile

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLinkByProc: the way users without the capability name an
// anonymous file works, and refuses a name taken (even by a dangling
// link, which it must not follow).
func TestLinkByProc(t *testing.T) {
	root := t.TempDir()
	d := localDir{root: root}
	p, _, err := d.parentOf(filepath.Join(root, "x"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	fd, err := unix.Openat(p.fd, ".", unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Skipf("no O_TMPFILE on this file system: %v", err)
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte("whole")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "taken")); err != nil {
		t.Fatal(err)
	}
	if err := linkByProc(fd, p.fd, "taken"); err != unix.EEXIST {
		t.Fatalf("linked over a link: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "nowhere")); !os.IsNotExist(err) {
		t.Fatal("followed the link")
	}
	if err := linkByProc(fd, p.fd, "named"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "named")); err != nil || string(b) != "whole" {
		t.Fatalf("%q %v", b, err)
	}
}
