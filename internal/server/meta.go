package server

import (
	"encoding/json"
	"os"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/store"
)

// fileMeta is what the server records with a published file (as its
// store.CommitOptions.Meta): enough to answer LIST and GET without
// reading the file again. It is trusted only while the file's size and
// modification time are still the recorded ones.
type fileMeta struct {
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	Hash  string `json:"xxh3_128_blocks,omitempty"`
	XXH64 string `json:"xxh3_64,omitempty"`
}

// hash is the recorded hash of kind, "" if none (or malformed).
func (m fileMeta) hash(kind hashKind) string {
	if kind == hashXXH64 {
		if len(m.XXH64) == 16 {
			return m.XXH64
		}
		return ""
	}
	if _, err := digest.Parse(m.Hash); err != nil {
		return ""
	}
	return m.Hash
}

// setHash records the hash of kind.
func (m *fileMeta) setHash(kind hashKind, sum string) {
	if kind == hashXXH64 {
		m.XXH64 = sum
	} else {
		m.Hash = sum
	}
}

// parseMeta returns the meta recorded for a file as in describes it, or
// false when there is none or it is stale.
func parseMeta(raw []byte, in store.Info) (fileMeta, bool) {
	var m fileMeta
	if raw == nil || json.Unmarshal(raw, &m) != nil {
		return fileMeta{}, false
	}
	if m.Size != in.Size || m.MTime != in.ModTime.UnixNano() {
		return fileMeta{}, false
	}
	return m, true
}

// modeBits keeps the permission bits of a mode a client sent; zero keeps
// the server's default.
func modeBits(m uint32) os.FileMode { return os.FileMode(m) & 0o777 }
