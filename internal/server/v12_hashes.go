package server

import (
	"crypto/sha256"
	"hash"

	"github.com/zeebo/xxh3"
)

// xxh128 is XXH3-128 as a hash.Hash, summed big-endian.
type xxh128 struct{ *xxh3.Hasher }

func (h xxh128) Sum(b []byte) []byte {
	s := h.Sum128().Bytes()
	return append(b, s[:]...)
}

func (xxh128) Size() int { return 16 }

// newHash returns the hash an upload session reports: SHA-256 as 1.2, or
// XXH3-128 when the client asked for it.
func newHash(xxh bool) hash.Hash {
	if xxh {
		return xxh128{xxh3.New()}
	}
	return sha256.New()
}
