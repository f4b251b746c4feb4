package server

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/flaxfile/flaxfile/internal/cdc"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// Shifted data (docs/PROTOCOL.md, "Shifted data"): the content-defined
// chunks of a file, for the client to find what it shares with its own
// version wherever it lies, and blocks of an upload built from the old
// file and the octets the client found nowhere in it.

// cutsOf cuts a file of size octets read from rd, in parts at once: the
// client waits for the cuts.
func cutsOf(ctx context.Context, rd io.ReaderAt, size int64) (wire.CutsReply, error) {
	if size > wire.MaxCutsFile {
		return wire.CutsReply{}, fmt.Errorf("a file of %d octets is matched block by block only (at most %d)", size, int64(wire.MaxCutsFile))
	}
	rep := wire.CutsReply{Size: size}
	err := cdc.CutAtOnce(ctx, rd, 0, size, runtime.GOMAXPROCS(0), func(c cdc.Chunk) error {
		rep.Chunks = append(rep.Chunks, c)
		return nil
	})
	return rep, err
}

// putCuts answers the cuts of the file a delta upload starts from (the
// key's current file): [id] -> [OK, size, cuts]; none when the key holds
// no file.
func (s *Server) putCuts(r *request) {
	m, err := wire.ParsePutCuts(r.args)
	sess := s.session(r, m.ID, err)
	if sess == nil {
		return
	}
	defer sess.release()
	old, err := s.cfg.Store.Open(r.ctx, sess.hdr.Key)
	if err != nil {
		r.reply(wire.CutsReply{}.Frames()...)
		return
	}
	defer old.Close()
	rep, err := cutsOf(r.ctx, old, old.Info().Size)
	if err != nil {
		r.fail(err.Error())
		return
	}
	r.reply(rep.Frames()...)
}

// getCuts answers the cuts of an open handle's file: [handle] -> [OK,
// size, cuts].
func (s *Server) getCuts(r *request) {
	m, err := wire.ParseGetCuts(r.args)
	h := s.getHandle(r, m.Handle, err)
	if h == nil {
		return
	}
	defer s.gets.release(h)
	rep, err := cutsOf(r.ctx, h.v, h.v.Info().Size)
	if err != nil {
		r.fail(err.Error())
		return
	}
	r.reply(rep.Frames()...)
}

// take stops holding block b, about to be overwritten whole; undo holds it
// again as it was if it was borrowed (its octets are still the old
// file's, whatever the upload's file now holds there). The caller holds
// wmu.
func (s *putSession) take(b int64) (undo func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum, held := s.blocks[b]
	borrowed := s.borrowed[b]
	delete(s.blocks, b)
	delete(s.borrowed, b)
	return func() {
		if held && borrowed {
			s.mu.Lock()
			s.blocks[b], s.borrowed[b] = sum, true
			s.mu.Unlock()
		}
	}
}

// putBuild writes a block of an upload assembled step by step from the
// key's current file and the data sent: [id, block, block_hash, steps,
// data] -> [OK, block]. The block is put together in a buffer from the
// memory budget and hashed there; only if that is block_hash is it
// written (the block held before, borrowed or not, is then replaced),
// else the upload is left as it was and the client sends the block whole.
// The current file is only read; if it was replaced since the client
// read its cuts, the hash tells. Builds of different blocks assemble and
// hash at once, on as many cores as there are; only writing them queues.
func (s *Server) putBuild(r *request) {
	m, err := wire.ParsePutBuild(r.args)
	sess := s.session(r, m.ID, err)
	if sess == nil {
		return
	}
	defer sess.release()
	size := sess.hdr.Size
	if m.Block >= digest.Blocks(size) {
		r.fail(fmt.Sprintf("block %d is past a %d-octet file", m.Block, size))
		return
	}
	n := digest.BlockLen(size, m.Block)
	if last := m.Steps[len(m.Steps)-1]; last.Off+last.N != n {
		r.fail(fmt.Sprintf("steps of %d octets for block %d of %d octets", last.Off+last.N, m.Block, n))
		return
	}
	old, err := s.cfg.Store.Open(r.ctx, sess.hdr.Key)
	if err != nil {
		r.fail(pyError(sess.hdr.Key, err))
		return
	}
	defer old.Close()
	oldSize := old.Info().Size
	for _, st := range m.Steps {
		if st.Src != cdc.Literal && st.Src+st.N > oldSize {
			r.fail(fmt.Sprintf("a step copies [%d, %d) of a %d-octet file", st.Src, st.Src+st.N, oldSize))
			return
		}
	}
	buf, release, err := s.buffer(r, n)
	if err != nil {
		r.fail(err.Error())
		return
	}
	defer release()
	block, err := assemble(buf[:n], m.Steps, m.Data, old)
	if err != nil {
		r.fail(fmt.Sprintf("read error: %v", err))
		return
	}
	if sum := digest.Block(block); sum != m.Sum {
		r.fail(fmt.Sprintf("block %d built hashes to %s, the client's is %s", m.Block, sum, m.Sum))
		return
	}
	sess.wmu.Lock()
	undo := sess.take(m.Block)
	_, err = sess.part.WriteAt(block, m.Block*digest.BlockSize)
	if err != nil {
		undo() // a borrowed block is still the old file's
	}
	sess.wmu.Unlock()
	if err != nil {
		s.writeFailed(r, sess, err)
		return
	}
	if err := sess.recordBlock(m.Block, m.Sum); err != nil {
		s.writeFailed(r, sess, err)
		return
	}
	lit := int64(len(m.Data))
	sess.mu.Lock()
	sess.blocks[m.Block] = m.Sum
	sess.received += lit
	sess.mu.Unlock()
	s.bytesUp.Add(lit)
	r.reply([]byte(wire.ReplyOK), wire.Itoa(m.Block))
}

// assemble fills block by steps (ParsePutBuild checked that they cover it
// and that data holds their literal octets): copies read from old, the
// rest taken from data in order.
func assemble(block []byte, steps []cdc.Op, data []byte, old io.ReaderAt) ([]byte, error) {
	for _, st := range steps {
		dst := block[st.Off : st.Off+st.N]
		if st.Src == cdc.Literal {
			data = data[copy(dst, data[:st.N]):]
			continue
		}
		if k, err := old.ReadAt(dst, st.Src); int64(k) < st.N {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return block, nil
}
