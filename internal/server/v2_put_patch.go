package server

import (
	"fmt"
	"io"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// putSums answers the hashes of the pieces of blocks an upload holds:
// [id, block...] -> [OK, hashes]. A client whose block differs from the
// one held (a delta upload's changed block) compares them with its own
// and sends only the pieces that differ (putPatch).
func (s *Server) putSums(r *request) {
	m, err := wire.ParsePutSums(r.args)
	sess := s.session(r, m.ID, err)
	if sess == nil {
		return
	}
	defer sess.release()
	var rep wire.SumsReply
	buf := make([]byte, wire.PatchPiece)
	for _, b := range m.Blocks {
		if !sess.holds(b) {
			r.fail(fmt.Sprintf("block %d is not held", b))
			return
		}
		sess.wmu.Lock()
		err = sess.materialize(b)
		if err == nil {
			rep.Sums, err = appendPieceSums(rep.Sums, sess.part, sess.hdr.Size, b, buf)
		}
		sess.wmu.Unlock()
		if err != nil {
			r.fail(fmt.Sprintf("read error: %v", err))
			return
		}
	}
	r.reply(rep.Frames()...)
}

// putPatch mends a block an upload holds: [id, block, block_hash,
// (offset, data)...] -> [OK]. The block stops being held, the pieces are
// written, and the whole block is read back and hashed: it is held again
// only if that is block_hash (else the client sends it whole).
func (s *Server) putPatch(r *request) {
	m, err := wire.ParsePutPatch(r.args)
	sess := s.session(r, m.ID, err)
	if sess == nil {
		return
	}
	defer sess.release()
	size := sess.hdr.Size
	if m.Block >= digest.Blocks(size) || !sess.holds(m.Block) {
		r.fail(fmt.Sprintf("block %d is not held", m.Block))
		return
	}
	n := digest.BlockLen(size, m.Block)
	var octets int64
	for _, p := range m.Pieces {
		if p.Off+int64(len(p.Data)) > n {
			r.fail(fmt.Sprintf("piece at %d of %d octets is outside block %d of %d octets", p.Off, len(p.Data), m.Block, n))
			return
		}
		octets += int64(len(p.Data))
	}
	base := m.Block * digest.BlockSize
	sess.wmu.Lock()
	err = sess.materialize(m.Block) // the pieces go over the old block
	sess.mu.Lock()
	delete(sess.blocks, m.Block)
	sess.mu.Unlock()
	for _, p := range m.Pieces {
		if err != nil {
			break
		}
		if _, err = sess.part.WriteAt(p.Data, base+p.Off); err != nil {
			break
		}
	}
	var sums []digest.Sum
	if err == nil {
		sums, err = digest.FileBlocks(sess.part, base, n)
	}
	sess.wmu.Unlock()
	if err != nil {
		s.writeFailed(r, sess, err)
		return
	}
	if sums[0] != m.Sum {
		r.fail(fmt.Sprintf("block %d patched hashes to %s, the client's is %s", m.Block, sums[0], m.Sum))
		return
	}
	if err := sess.recordBlock(m.Block, sums[0]); err != nil {
		s.writeFailed(r, sess, err)
		return
	}
	sess.mu.Lock()
	sess.blocks[m.Block] = sums[0]
	sess.received += octets
	sess.mu.Unlock()
	s.bytesUp.Add(octets)
	r.reply([]byte(wire.ReplyOK))
}

// appendPieceSums appends the hashes of the wire.PatchPiece pieces of
// block b of a file of size octets read from rd, with buf (a piece long).
func appendPieceSums(sums []digest.Sum, rd io.ReaderAt, size, b int64, buf []byte) ([]digest.Sum, error) {
	n := digest.BlockLen(size, b)
	for off := int64(0); off < n; off += wire.PatchPiece {
		k := min(wire.PatchPiece, n-off)
		if got, err := rd.ReadAt(buf[:k], b*digest.BlockSize+off); int64(got) < k {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		sums = append(sums, digest.Block(buf[:k]))
	}
	return sums, nil
}
