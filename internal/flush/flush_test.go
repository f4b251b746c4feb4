package flush

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Ranges handed over as a file is written reach the kernel in order, on
// the file's descriptor, and leave its content intact; Stop returns with
// the queue drained, any number of times; a nil Early (systems without
// the call) does nothing.
func TestEarlyWriteback(t *testing.T) {
	var got []span
	var fds []uintptr
	hand = func(fd uintptr, off, n int64) {
		got = append(got, span{off, n})
		fds = append(fds, fd)
		start(fd, off, n)
	}
	defer func() { hand = start }()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e := Start(f)
	if runtime.GOOS == "linux" && e == nil {
		t.Fatal("no early writeback on Linux")
	}
	want := make([]byte, 0, 8<<20)
	for i := range 8 {
		chunk := bytes.Repeat([]byte{byte('a' + i)}, 1<<20)
		if _, err := f.WriteAt(chunk, int64(i)<<20); err != nil {
			t.Fatal(err)
		}
		e.Wrote(int64(i)<<20, 1<<20)
		want = append(want, chunk...)
	}
	e.Wrote(0, 0)          // nothing written: nothing handed over
	for range 2 * queued { // more than the queue holds: never blocks
		e.Wrote(0, 1<<20)
	}
	e.Stop()
	handed := len(got)
	e.Stop()
	e.Wrote(0, 1) // after Stop: ignored, no panic
	if runtime.GOOS == "linux" {
		if handed < 8 || handed > 8+2*queued || len(got) != handed {
			t.Fatalf("%d ranges handed over (%d after Stop), want the 8 written first and at most the queue's worth more", handed, len(got))
		}
		for i := range 8 {
			if got[i] != (span{int64(i) << 20, 1 << 20}) || fds[i] != f.Fd() {
				t.Fatalf("range %d handed over as %+v on fd %d, want {%d %d} on %d", i, got[i], fds[i], i<<20, 1<<20, f.Fd())
			}
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(content, want) {
		t.Fatalf("file changed by writeback: %v", err)
	}
	var none *Early
	none.Wrote(0, 1)
	none.Stop()
}
