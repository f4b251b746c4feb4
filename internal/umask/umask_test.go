package umask

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestGetMatchesCreate: the mask read is the one the kernel applies to a
// file created 0777.
func TestGetMatchesCreate(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("read from /proc on Linux only")
	}
	p := filepath.Join(t.TempDir(), "f")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o777)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0o777 &^ Get(); fi.Mode().Perm() != want {
		t.Fatalf("created %v, mask says %v", fi.Mode().Perm(), want)
	}
}

func TestApply(t *testing.T) {
	for _, c := range []struct{ peer, def, mask, want os.FileMode }{
		{0o777, 0o644, 0o022, 0o755},
		{0o4777, 0o644, 0o022, 0o755}, // setuid never carried
		{0, 0o644, 0o022, 0o644},
		{0o666, 0o644, 0o077, 0o600},
	} {
		if got := Apply(c.peer, c.def, c.mask); got != c.want {
			t.Errorf("Apply(%o, %o, %o) = %o, want %o", c.peer, c.def, c.mask, got, c.want)
		}
	}
}
