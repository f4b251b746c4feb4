package mem_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/mem"
	"github.com/flaxfile/flaxfile/internal/store/storetest"
)

func TestMemConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return mem.New(0) })
}

// TestMemCapacity: a write past the capacity is refused, nothing is
// published, and what an aborted upload held is given back.
func TestMemCapacity(t *testing.T) {
	s := mem.New(1000)
	u, err := s.Create(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt(bytes.Repeat([]byte("x"), 600), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt([]byte("y"), 1000); !errors.Is(err, mem.ErrFull) {
		t.Fatalf("write past the capacity: %v", err)
	}
	if free, _ := s.Free(t.Context()); free != 400 {
		t.Fatalf("free %d during the upload, want 400", free)
	}
	_ = u.Abort()
	if free, _ := s.Free(t.Context()); free != 1000 {
		t.Fatalf("free %d after abort, want 1000", free)
	}
	if _, err := s.Stat(t.Context(), "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an aborted upload was published: %v", err)
	}
	storetest.Put(t, s, "k", bytes.Repeat([]byte("z"), 900))
	storetest.Put(t, s, "k", bytes.Repeat([]byte("w"), 50)) // replaces: the old version's octets come back
	if free, _ := s.Free(t.Context()); free != 950 {
		t.Fatalf("free %d after a replace, want 950", free)
	}
}
