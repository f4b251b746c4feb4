package flaxfile_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/umask"
)

// TestPeerModesAndTimes: modes go through the receiver's umask on both
// sides (a 0777 upload is stored 0755 under umask 022, a 0777 file is
// downloaded the same way), and a file time far in the future is not kept
// by either side. Both were applied as sent.
func TestPeerModesAndTimes(t *testing.T) {
	mask := umask.Get()
	future := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, size := range []int{100, 3 << 20} { // inline and by handle
		ctx := ctxFor(t)
		addr, storeDir := startServer(t, "")
		c, err := flaxfile.Dial(ctx, addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		src := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(src, make([]byte, size), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(src, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(src, future, future); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SetFile(ctx, "f", src); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(storeDir, "f"))
		if err != nil {
			t.Fatal(err)
		}
		if want := 0o777 &^ mask; fi.Mode().Perm() != want {
			t.Fatalf("size %d: stored with mode %v, want %v", size, fi.Mode().Perm(), want)
		}
		if fi.ModTime().After(time.Now().Add(48 * time.Hour)) {
			t.Fatalf("size %d: stored with time %v", size, fi.ModTime())
		}
		// The server's own file, 0777 and far ahead, downloaded.
		stored := filepath.Join(storeDir, "g")
		if err := os.WriteFile(stored, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Chmod(stored, 0o777)
		_ = os.Chtimes(stored, future, future)
		out := filepath.Join(t.TempDir(), "g")
		if _, err := c.GetFile(ctx, "g", out); err != nil {
			t.Fatal(err)
		}
		fi, err = os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if want := 0o777 &^ mask; fi.Mode().Perm() != want {
			t.Fatalf("size %d: downloaded with mode %v, want %v", size, fi.Mode().Perm(), want)
		}
		if fi.ModTime().After(time.Now().Add(48 * time.Hour)) {
			t.Fatalf("size %d: downloaded with time %v", size, fi.ModTime())
		}
	}
}
