package server

import (
	"context"
	"fmt"
	"io"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/zeebo/xxh3"
)

// hashKind is one of the two whole-file hashes the server reports.
type hashKind int

const (
	// hashXXH64 is 1.2's LIST hash: XXH3-64 (seed 0), 16 hex digits.
	hashXXH64 hashKind = iota
	// hashBlocks is FlaxFile 2's file hash (digest.File), 32 hex digits.
	hashBlocks
)

// fileHash returns the hash of kind of an open version: from the metadata
// recorded with it while that is still valid, else by reading the version
// once and recording the result, so that the next request does not read
// it again.
func fileHash(obj store.Object, kind hashKind) (string, error) {
	in := obj.Info()
	m, ok := parseMeta(in.Meta, in)
	if have := m.hash(kind); ok && have != "" {
		return have, nil
	}
	var sum string
	switch kind {
	case hashXXH64:
		h := xxh3.New()
		if _, err := io.CopyBuffer(h, io.NewSectionReader(obj, 0, in.Size), make([]byte, 1<<20)); err != nil {
			return "", err
		}
		sum = fmt.Sprintf("%016x", h.Sum64())
	default:
		s, _, err := digest.Reader(obj, in.Size, nil)
		if err != nil {
			return "", err
		}
		sum = s.String()
	}
	if !ok {
		m = fileMeta{Size: in.Size, MTime: in.ModTime.UnixNano()}
	}
	m.setHash(kind, sum)
	_ = store.SetObjectMeta(obj, m.encode())
	return sum, nil
}

// keyHash is fileHash of key's current version.
func (s *Server) keyHash(ctx context.Context, key string, kind hashKind) (string, error) {
	obj, err := s.cfg.Store.Open(ctx, key)
	if err != nil {
		return "", err
	}
	defer obj.Close()
	return fileHash(obj, kind)
}
