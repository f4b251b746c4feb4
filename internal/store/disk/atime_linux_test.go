package disk_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/store/disk"
	"golang.org/x/sys/unix"
)

// Reading a file the server owns leaves its access time alone: with
// relatime (the usual mount option) an access time older than the
// modification time would otherwise be updated by the first read, one
// more inode write for every file a pull reads.
func TestDiskReadsKeepAccessTime(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "storage")
	d, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	path := filepath.Join(dir, "k")
	if err := os.WriteFile(path, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	old, mod := time.Unix(1_000_000_000, 0), time.Unix(1_500_000_000, 0)
	if err := os.Chtimes(path, old, mod); err != nil {
		t.Fatal(err)
	}
	o, err := d.Open(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := o.ReadAt(buf, 0); err != nil || string(buf) != "data" {
		t.Fatalf("read %q, %v", buf, err)
	}
	o.Close()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	if got := time.Unix(st.Atim.Unix()); !got.Equal(old) {
		t.Errorf("access time %v after a read, was %v", got, old)
	}
}
