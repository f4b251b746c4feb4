package server

import (
	"math"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
)

// Recorded meta reads back as written, stays small enough for ext4 to
// keep inside the inode, and meta an earlier server wrote as JSON still
// reads.
func TestMetaEncoding(t *testing.T) {
	full := fileMeta{Size: math.MaxInt64 >> 2, MTime: math.MinInt64, Hash: "02580939cc5e6c99bca042a5c13a8f5e", XXH64: "00ff00ff00ff00ff"}
	for _, m := range []fileMeta{
		{},
		{Size: 4096, MTime: 1796534029362738185, Hash: "02580939cc5e6c99bca042a5c13a8f5e"},
		{Size: 1, MTime: -5, XXH64: "0123456789abcdef"},
		full,
	} {
		raw := m.encode()
		if len(raw) > 60 {
			t.Errorf("%+v: %d octets recorded, more than fit in an ext4 inode", m, len(raw))
		}
		got, ok := decodeMeta(raw)
		if !ok || got != m {
			t.Errorf("%+v: read back %+v, %v", m, got, ok)
		}
		for i := range raw {
			if _, ok := decodeMeta(raw[:i]); ok {
				t.Errorf("%+v: %d of its %d octets read as whole", m, i, len(raw))
			}
		}
		if _, ok := decodeMeta(append(raw, 0)); ok {
			t.Errorf("%+v: an octet more read as whole", m)
		}
	}
	old := []byte(`{"size":4096,"mtime_ns":1796534029362738185,"xxh3_128_blocks":"02580939cc5e6c99bca042a5c13a8f5e"}`)
	m, ok := parseMeta(old, store.Info{Size: 4096, ModTime: time.Unix(0, 1796534029362738185)})
	if !ok || m.hash(hashBlocks) != "02580939cc5e6c99bca042a5c13a8f5e" {
		t.Errorf("meta recorded as JSON: %+v, %v", m, ok)
	}
	if _, ok := parseMeta(full.encode(), store.Info{Size: 4096}); ok {
		t.Error("meta of another size taken as current")
	}
	for _, bad := range [][]byte{nil, {}, {2, 0, 0, 0}, {1, 0x80, 0, 0}, {1, metaHash, 1, 1, 9}} {
		if _, ok := decodeMeta(bad); ok {
			t.Errorf("%x read as meta", bad)
		}
	}
}
