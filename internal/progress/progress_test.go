package progress

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminal is a pseudo-terminal whose screen output the test reads.
type terminal struct {
	mu  sync.Mutex
	out bytes.Buffer
}

func newTerminal(t *testing.T, cols uint16) (io.Writer, *terminal) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: cols / 5, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	term := &terminal{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tty.Close(); ptmx.Close(); <-done })
	return tty, term
}

func (term *terminal) String() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// waitFor polls the terminal until it shows all of want.
func (term *terminal) waitFor(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := term.String()
		missing := ""
		for _, s := range want {
			if !strings.Contains(out, s) {
				missing = s
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bar never showed %q; the terminal got:\n%q", missing, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBarShowsProgressThenLeaves(t *testing.T) {
	w, term := newTerminal(t, 120)
	b := New(w, "uploading", 4<<20)
	b.Transferred("k", 1<<20)
	b.Transferred("k", 1<<20)
	term.waitFor(t, "uploading     ", "2.0 MiB / 4.0 MiB", "MiB/s")
	b.Describe("pushing 1/2 a.txt")
	term.waitFor(t, "pushing 1/2 a.txt")
	b.Finish()
	b.Finish() // a second call is harmless
	// The last thing drawn erases the bar's line, and nothing follows it.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasSuffix(term.String(), "\x1b[J") {
		if time.Now().After(deadline) {
			out := term.String()
			t.Fatalf("the bar is still on the terminal after Finish; its output ends %q", out[max(0, len(out)-40):])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBarOfEmptyFileFinishes(t *testing.T) {
	w, _ := newTerminal(t, 120)
	b := New(w, "downloading", 0)
	done := make(chan struct{})
	go func() { b.Finish(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Finish of a bar for an empty file never returned")
	}
}

// A terminal that reports no size (as script(1) without a terminal of its
// own makes) still gets its bar.
func TestBarOnUnsizedTerminal(t *testing.T) {
	w, term := newTerminal(t, 0)
	b := New(w, "downloading", 8<<20)
	b.Transferred("k", 4<<20)
	term.waitFor(t, "downloading", "4.0 MiB / 8.0 MiB")
	b.Finish()
}
