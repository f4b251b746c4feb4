package server

import (
	"fmt"
	"io"

	"github.com/flaxfile/flaxfile/internal/compress"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// Compression: chunks that arrive as zstd frames are expanded into
// buffers taken from the memory budget, never past the chunk's length;
// ranges are compressed on request when that shrinks them.

// expand decodes a chunk's frame into a buffer of exactly n octets taken
// from the memory budget; release gives it back.
func (s *Server) expand(r *request, frame []byte, n int64) ([]byte, func(), error) {
	buf, release, err := s.buffer(r, n)
	if err != nil {
		return nil, nil, err
	}
	out, err := compress.Decompress(buf[:0], frame, int(n))
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("chunk of %d octets: %v", n, err)
	}
	return out, release, nil
}

// replySqueezed answers a GET_RANGE that asked for compression at level:
// the range read from h, compressed when that pays (else as it is), in
// buffers taken from the memory budget. It reports false, having sent
// nothing, when the budget has no room now: the range then goes as it is
// (without a buffer, by sendfile), rather than wait behind what holds the
// memory.
func (s *Server) replySqueezed(r *request, h io.ReaderAt, rep wire.Numbered, off, n int64, level compress.Level) bool {
	if !s.budget.TryAcquire(2 * n) {
		return false
	}
	defer s.budget.Release(2 * n)
	raw := s.pool.Get(int(n))
	defer s.pool.Put(raw)
	if k, err := h.ReadAt(raw[:n], off); int64(k) < n {
		r.fail(fmt.Sprintf("read error: %v", err))
		return true
	}
	zbuf := s.pool.Get(int(n))
	defer s.pool.Put(zbuf)
	if frame, ok := compress.Compress(zbuf[:0], raw[:n], level); ok {
		r.replyParts(append(rep.Parts(zmtp.Part{Data: frame}), zmtp.Part{Data: []byte(wire.CodecZstd)})...)
		return true
	}
	r.replyParts(rep.Parts(zmtp.Part{Data: raw[:n]})...)
	return true
}
