package flush

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Ranges handed over as a file is written leave its content intact, and
// Stop returns with the queue drained, any number of times; a nil Early
// (systems without the call) does nothing.
func TestEarlyWriteback(t *testing.T) {
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
	for range 2 * queued { // more than the queue holds: never blocks
		e.Wrote(0, 1<<20)
	}
	e.Stop()
	e.Stop()
	e.Wrote(0, 1) // after Stop: ignored, no panic
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("file changed by writeback: %v", err)
	}
	var none *Early
	none.Wrote(0, 1)
	none.Stop()
}
