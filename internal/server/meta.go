package server

import (
	"encoding/binary"
	"encoding/hex"
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

// Recorded meta is binary: metaVersion, a flags octet (metaHash,
// metaXXH64), the size as a uvarint, the time as a varint, then the
// 16-octet file hash and the 8-octet XXH3-64 where flagged: 46 octets at
// most, so that ext4 keeps it inside the inode (about 60 octets fit there
// with 256-octet inodes, the default) instead of in a block of its own,
// which cost every small file a second block written and, to read the
// hash back, a second block read. Meta recorded as JSON by earlier
// servers is still read.
const (
	metaVersion = 1
	metaHash    = 1 << 0
	metaXXH64   = 1 << 1
)

// encode returns m as recorded.
func (m fileMeta) encode() []byte {
	b := make([]byte, 2, 2+2*binary.MaxVarintLen64+16+8)
	b[0] = metaVersion
	b = binary.AppendUvarint(b, uint64(m.Size))
	b = binary.AppendVarint(b, m.MTime)
	if h, err := hex.DecodeString(m.Hash); err == nil && len(h) == 16 {
		b[1] |= metaHash
		b = append(b, h...)
	}
	if h, err := hex.DecodeString(m.XXH64); err == nil && len(h) == 8 {
		b[1] |= metaXXH64
		b = append(b, h...)
	}
	return b
}

// decodeMeta reads meta recorded by encode, or as JSON by earlier servers.
func decodeMeta(raw []byte) (fileMeta, bool) {
	var m fileMeta
	if len(raw) > 0 && raw[0] == '{' {
		return m, json.Unmarshal(raw, &m) == nil
	}
	if len(raw) < 2 || raw[0] != metaVersion {
		return m, false
	}
	flags, b := raw[1], raw[2:]
	if flags&^(metaHash|metaXXH64) != 0 {
		return m, false
	}
	size, n := binary.Uvarint(b)
	if n <= 0 || size > 1<<62 {
		return m, false
	}
	b = b[n:]
	mtime, n := binary.Varint(b)
	if n <= 0 {
		return m, false
	}
	b = b[n:]
	m.Size, m.MTime = int64(size), mtime
	take := func(flag byte, n int) (string, bool) {
		if flags&flag == 0 {
			return "", true
		}
		if len(b) < n {
			return "", false
		}
		s := hex.EncodeToString(b[:n])
		b = b[n:]
		return s, true
	}
	var ok1, ok2 bool
	m.Hash, ok1 = take(metaHash, 16)
	m.XXH64, ok2 = take(metaXXH64, 8)
	return m, ok1 && ok2 && len(b) == 0
}

// parseMeta returns the meta recorded for a file as in describes it, or
// false when there is none or it is stale.
func parseMeta(raw []byte, in store.Info) (fileMeta, bool) {
	m, ok := decodeMeta(raw)
	if !ok {
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
