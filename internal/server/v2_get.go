package server

import (
	"fmt"
	"time"

	"github.com/flaxfile/flaxfile/internal/compress"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// get opens a file for ranged reads: [key] -> [OK, handle, size,
// mtime_ns, mode, file hash]. With a second argument, the most octets the
// client takes in the reply, a file that small (and at most
// wire.MaxSmallFile) comes whole after the hash, with an empty handle:
// one round trip instead of two, and nothing to end.
func (s *Server) get(r *request) {
	m, err := wire.ParseGet(r.args)
	key, ok := r.fileKey(m.Key, err)
	if !ok {
		return
	}
	var obj store.Object
	err = s.storeOp("open", func() (err error) { obj, err = s.cfg.Store.Open(r.ctx, key); return err })
	if err != nil {
		r.fail(downloadError(key, err))
		return
	}
	sum, err := fileHash(obj, hashBlocks)
	if err != nil {
		obj.Close()
		r.fail(fmt.Sprintf("read error: %v", err))
		return
	}
	in := obj.Info()
	rep := wire.GetReply{File: wire.FileInfo{Size: in.Size, MTime: in.ModTime.UnixNano(), Mode: uint32(in.Mode.Perm()), Sum: sum}}
	if m.Most > 0 {
		if in.Size <= min(m.Most, wire.MaxSmallFile) {
			defer obj.Close() // the reply is written before replyParts returns
			var buf []byte
			if inlined(obj, in.Size) {
				b, release, err := s.buffer(r, in.Size)
				if err != nil {
					r.fail(err.Error())
					return
				}
				defer release()
				buf = b[:0]
			}
			data, _, msg := smallData(obj, in.Size, buf)
			if msg != "" {
				r.fail(msg)
				return
			}
			s.downloadsDone.Add(1)
			s.bytesDown.Add(in.Size)
			s.obs.TransferStarted("2", dirDown)
			s.obs.TransferEnded("2", dirDown, "ok", 0)
			s.access(r, r.cmd, key, in.Size, time.Since(r.start), "ok")
			rep.Whole = true
			r.replyParts(rep.Parts(data)...)
			return
		}
	}
	rep.Handle = newHandleID()
	s.obs.TransferStarted("2", dirDown)
	s.openGets.opened(obj)
	s.gets.add(rep.Handle, obj, 0)
	s.downloadsDone.Add(1)
	r.replyParts(rep.Parts(zmtp.Part{})...)
}

// getHandle takes a reference to the open GET handle id, or answers the
// request's refusal (err, from decoding it) or that there is no such
// handle, and returns nil. The caller releases what it returns.
func (s *Server) getHandle(r *request, id string, err error) *entry[store.Object] {
	if r.refused(err) {
		return nil
	}
	h := s.gets.acquire(id, false)
	if h == nil {
		r.fail(wire.ErrSessionNotFound)
	}
	return h
}

// getRange sends one range of an open version: [handle, offset, length]
// -> [DATA, offset, data], by sendfile on a plaintext connection.
func (s *Server) getRange(r *request) {
	m, err := wire.ParseGetRange(r.args)
	h := s.getHandle(r, m.Handle, err)
	if h == nil {
		return
	}
	defer s.gets.release(h)
	if err := m.CheckRange(h.v.Info().Size); err != nil {
		r.fail(err.Error())
		return
	}
	off, n := m.Offset, m.Len
	if !s.wait(r, n) {
		return
	}
	s.bytesDown.Add(n)
	rep := wire.Numbered{Status: wire.ReplyData, NFrame: m.OffsetFrame}
	if m.Squeeze != "" {
		level, ok := compress.ParseLevel(m.Squeeze)
		if !ok {
			r.fail(fmt.Sprintf("unknown compression level %q", m.Squeeze))
			return
		}
		if level != compress.Off && n > 0 && s.replySqueezed(r, h.v, rep, off, n, level) {
			return
		}
	}
	if f := fileOf(h.v); f != nil {
		r.replyParts(rep.Parts(zmtp.Part{File: f, Offset: off, Len: n})...)
		return
	}
	if rr, ok := h.v.(store.RangeReader); ok && !r.c.Encrypted() {
		s.streamRange(r, rr, rep, off, n)
		return
	}
	// The range passes through a buffer of the connection's writer: its
	// octets count against the memory budget until it is sent, so that
	// many connections reading at once stay within it; a connection holds
	// budget for two such ranges at most (rangeToken), its writer sending
	// one at a time.
	done, ok := r.rangeToken()
	if !ok || !s.budget.Acquire(r.ctx.Done(), n) {
		if ok {
			done()
		}
		r.fail("server shutting down")
		return
	}
	defer done()
	defer s.budget.Release(n)
	r.replyParts(rep.Parts(zmtp.Part{Len: n, Fill: func(b []byte) error {
		if k, err := h.v.ReadAt(b, off); int64(k) < n {
			return fmt.Errorf("read error: %v", err)
		}
		return nil
	}})...)
}

// getEnd drops a handle: [handle] -> [OK].
func (s *Server) getEnd(r *request) {
	m, err := wire.ParseGetEnd(r.args)
	if err == nil {
		if o, ok := s.gets.lookup(m.Handle); ok {
			in := o.Info()
			s.access(r, r.cmd, in.Key, in.Size, s.openGets.ended(o), "ok")
		}
	}
	if err != nil || !s.gets.endID(m.Handle) {
		r.fail(wire.ErrSessionNotFound)
		return
	}
	r.ok()
}

// getBlocks answers the block hashes of an open handle's file: [handle]
// -> [OK, hashes]: those recorded with the version the handle holds while
// the record is current (sums.go), else hashed from it, several blocks at
// once (the stored file hash alone cannot tell which blocks differ); a
// file over wire.MaxGetBlocks blocks is refused, to be fetched whole.
func (s *Server) getBlocks(r *request) {
	m, err := wire.ParseGetBlocks(r.args)
	h := s.getHandle(r, m.Handle, err)
	if h == nil {
		return
	}
	defer s.gets.release(h)
	size := h.v.Info().Size
	if digest.Blocks(size) > wire.MaxGetBlocks {
		r.fail(fmt.Sprintf("a file of %d blocks is fetched whole", digest.Blocks(size)))
		return
	}
	sums := recordedSums(h.v)
	if sums == nil {
		todo := make([]int64, digest.Blocks(size))
		for i := range todo {
			todo[i] = int64(i)
		}
		var err error
		if sums, err = hashOld(r.ctx, h.v, size, todo); err != nil {
			r.fail(fmt.Sprintf("read error: %v", err))
			return
		}
	}
	r.reply(wire.SumsReply{Sums: sums}.Frames()...)
}

// getSums answers the hashes of the pieces of blocks of an open handle's
// file: [handle, block...] -> [OK, hashes], for a client whose copy of
// those blocks differs and fetches only the pieces that do.
func (s *Server) getSums(r *request) {
	m, err := wire.ParseGetSums(r.args)
	h := s.getHandle(r, m.Handle, err)
	if h == nil {
		return
	}
	defer s.gets.release(h)
	size := h.v.Info().Size
	var rep wire.SumsReply
	buf := make([]byte, wire.PatchPiece)
	for _, b := range m.Blocks {
		if b >= digest.Blocks(size) {
			r.fail(fmt.Sprintf("block %d is past a %d-octet file", b, size))
			return
		}
		if rep.Sums, err = appendPieceSums(rep.Sums, h.v, size, b, buf); err != nil {
			r.fail(fmt.Sprintf("read error: %v", err))
			return
		}
	}
	r.reply(rep.Frames()...)
}
