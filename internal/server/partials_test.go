package server_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/flaxfile/flaxfile/internal/journal"

	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/disk"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A server says at start how many partial uploads it found and the
// octets they hold.
func TestServerCountsPartialsAtStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "storage")
	st, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{1000, 234} {
		id := strings.Repeat(string(rune('a'+i)), 32)
		p, _, err := st.OpenPartial(context.Background(), "k", id, store.Spec{Size: int64(n)})
		if err != nil {
			t.Fatal(err)
		}
		hdr := fmt.Sprintf(`{"key":"k","size":%d,"mtime_ns":0,"mode":420}`, n) // as a server writes it
		if err := p.AppendJournal(journal.Header([]byte(hdr))); err != nil {
			t.Fatal(err)
		}
		if _, err := p.WriteAt(make([]byte, n), 0); err != nil {
			t.Fatal(err)
		}
		p.Close()
	}
	st.Close()
	var log syncBuffer
	_, _, stop := servertest.StartIn(t, dir, server.Config{Logger: slog.New(slog.NewTextHandler(&log, nil))}, nil)
	stop() // Serve has returned: it counted before it accepted anything
	if !strings.Contains(log.String(), "msg=\"partial uploads found\" count=2 bytes=1234") {
		t.Errorf("the start log does not count the partial uploads:\n%s", log.String())
	}
}
