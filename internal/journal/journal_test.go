package journal

import (
	"testing"

	"github.com/flaxfile/flaxfile/internal/digest"
)

func TestParse(t *testing.T) {
	a, b := digest.Block([]byte("a")), digest.Block([]byte("b"))
	j := Header([]byte(`{"k":1}`))
	j = AppendRecord(j, 0, a)
	j = AppendRecord(j, 5, b)
	j = AppendRecord(j, 99, b) // out of range: ignored
	j = AppendRecord(j, 0, b)  // a later record wins
	h, blocks, ok := Parse(j, 10)
	if !ok || string(h) != `{"k":1}` || len(blocks) != 2 || blocks[0] != b || blocks[5] != b {
		t.Fatalf("Parse = %q %v %v", h, blocks, ok)
	}
	// A torn or damaged record ends the journal there.
	torn := AppendRecord(Header([]byte("x")), 1, a)
	torn = append(torn, AppendRecord(nil, 2, a)[:20]...)
	if _, blocks, _ := Parse(torn, 10); len(blocks) != 1 {
		t.Fatalf("torn: %v", blocks)
	}
	bad := AppendRecord(Header([]byte("x")), 1, a)
	bad = AppendRecord(bad, 2, a)
	bad[len(bad)-40] ^= 1 // inside the first record
	if _, blocks, _ := Parse(bad, 10); len(blocks) != 0 {
		t.Fatalf("damaged: %v", blocks)
	}
	if _, _, ok := Parse([]byte("no newline"), 10); ok {
		t.Fatal("a journal without header parsed")
	}
}

// FuzzParse: a journal read from disk (damaged, torn, hostile) never
// panics, never yields a block out of range, and what it yields survives
// being written again.
func FuzzParse(f *testing.F) {
	f.Add(AppendRecord(Header([]byte(`{"k":1}`)), 3, digest.Block([]byte("x"))), int64(10))
	f.Add([]byte("no header"), int64(1))
	f.Add([]byte("\n"), int64(0))
	f.Fuzz(func(t *testing.T, data []byte, n int64) {
		h, blocks, ok := Parse(data, n)
		if !ok {
			return
		}
		again := Header(h)
		for i, s := range blocks {
			if i < 0 || i >= n {
				t.Fatalf("block %d of %d", i, n)
			}
			again = AppendRecord(again, i, s)
		}
		_, back, ok := Parse(again, n)
		if !ok || len(back) != len(blocks) {
			t.Fatalf("rewritten journal parses to %d blocks, want %d", len(back), len(blocks))
		}
	})
}
