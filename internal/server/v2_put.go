package server

import (
	"encoding/json"
	"errors"
	"strings"
	"syscall"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// hello answers FlaxFile 2's first request with the version spoken.
func (s *Server) hello(r *request) {
	if _, err := wire.ParseHello(r.args); err != nil {
		r.fail(err.Error())
		return
	}
	f := map[string]any{"max_chunk": wire.MaxChunk2, "block": digest.BlockSize, "resume": s.puts.st != nil,
		wire.FeatureDelta: s.puts.st != nil, wire.FeatureDeltaGet: true, wire.FeaturePatch: s.puts.st != nil, wire.FeatureCuts: true, wire.FeatureZstd: true}
	if pc, ok := s.cfg.Store.(store.PartChunker); ok && s.puts.st != nil {
		f[wire.FeaturePartChunk] = pc.PartChunk()
	}
	if sh, ok := s.cfg.Store.(store.Shared); ok {
		f[wire.FeatureNamespace] = sh.Namespace()
	}
	features, _ := json.Marshal(f)
	r.reply(wire.HelloReply{Version: wire.Version2, Features: features}.Frames()...)
}

// put opens (or resumes) an upload: [key, size, chunk, mtime_ns, mode, id].
func (s *Server) put(r *request) {
	m, err := wire.ParsePut(r.args)
	key, ok := r.fileKey(m.Key, err)
	if !ok {
		return
	}
	id, size := m.ID, m.Size
	sess, err := s.puts.open(r.ctx, id, putHeader{Key: key, Size: size, MTime: m.MTime, Mode: m.Mode})
	if err != nil {
		r.fail(pyError(key, err))
		return
	}
	defer sess.release()
	if err := sess.refresh(r.ctx); err != nil { // what other servers sent
		r.fail(err.Error())
		return
	}
	if m.Delta && s.noRoom(r.ctx, size) == "" { // the copies take room too
		if err := s.puts.seed(r.ctx, sess); err != nil {
			r.log.Warn("upload not started from the current file", "key", key, "err", err)
		}
	}
	sess.mu.Lock()
	held := int64(len(sess.blocks))
	sess.mu.Unlock()
	if msg := s.noRoom(r.ctx, size-held*digest.BlockSize); msg != "" { // what is still to write
		if held == 0 {
			s.puts.abort(sess, nil) // nothing worth keeping
		}
		r.fail(msg)
		return
	}
	r.reply(wire.PutReply{ID: id, Have: sess.held()}.Frames()...)
}

// session takes a reference to open upload id for a request whose
// decoding ended with err, answering the refusal itself (nil then): too
// few arguments first, then a session that is not open, then err.
func (s *Server) session(r *request, id string, err error) *putSession {
	if id == "" && err != nil {
		r.fail(err.Error())
		return nil
	}
	sess := s.puts.get(id)
	switch {
	case sess == nil:
		r.fail(wire.ErrSessionNotFound)
	case err != nil:
		sess.release()
		r.fail(err.Error())
		return nil
	}
	return sess
}

// putChunk writes one chunk: [id, offset, data, hashes]. The data is
// hashed from the buffer it arrived in, then written at its offset. (A
// plaintext chunk could be spliced into the file instead, but it must be
// read to be hashed all the same; measured here, splice and a tee of it
// cost more than the read, and kept a connection's reading and writing
// from overlapping.)
func (s *Server) putChunk(r *request) {
	m, err := wire.ParsePutChunk(r.args)
	sess := s.session(r, m.ID, err)
	if sess == nil {
		return
	}
	defer sess.release()
	off, data := m.Offset, m.Data
	n := int64(len(data))
	if m.Codec != "" { // the chunk is as long as its hashes say
		n = min(int64(len(m.Hashes)/digest.Size)*digest.BlockSize, sess.hdr.Size-off)
	}
	if err := sess.span(off, n); err != nil {
		r.fail(err.Error())
		return
	}
	if m.Codec != "" {
		buf, release, err := s.expand(r, data, n)
		if err != nil {
			r.fail(err.Error())
			return
		}
		defer release()
		data = buf
	}
	got := digest.Chunk(data)
	sess.forget(off, got)
	if cw, ok := sess.part.(store.ConcurrentWriter); ok && cw.ConcurrentWrites() {
		_, err = sess.part.WriteAt(data, off) // an object store's part: not queued
	} else {
		sess.wmu.Lock()
		_, err = sess.part.WriteAt(data, off)
		sess.wmu.Unlock()
	}
	if err != nil {
		s.writeFailed(r, sess, err)
		return
	}
	if err := sess.accept(off, n, got, m.Hashes); err != nil {
		// Its journal record not written: a full disk, or another
		// chunk's failure that ended the upload and closed the journal
		// meanwhile, is answered as a failed write, with the reason.
		if done, _ := sess.ended(); done || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
			s.writeFailed(r, sess, err)
			return
		}
		r.fail(err.Error())
		return
	}
	s.bytesUp.Add(n)
	r.reply(wire.Numbered{Status: wire.ReplyAck, NFrame: m.OffsetFrame}.Frames()...)
}

// writeFailed answers a chunk that could not be written. A full disk (or
// quota) ends the upload and removes its partial file, which would
// otherwise hold the space it ran out of; other errors fail the chunk.
func (s *Server) writeFailed(r *request, sess *putSession, err error) {
	if done, why := sess.ended(); done {
		// Another chunk's failure ended the upload and closed its file.
		if why == nil {
			why = errors.New("the upload has ended")
		}
		r.fail("write failed: " + why.Error())
		return
	}
	r.log.Error("writing upload", "key", sess.hdr.Key, "err", err)
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		s.puts.abort(sess, err)
	}
	r.fail("write failed: " + err.Error())
}

// putEnd publishes an upload: [id, file hash].
func (s *Server) putEnd(r *request) {
	m, err := wire.ParsePutEnd(r.args)
	sess := s.session(r, m.ID, err)
	if sess == nil {
		return
	}
	defer sess.release()
	var res wire.PutResult
	err = s.storeOp("commit", func() (err error) { res, err = s.puts.finish(r.ctx, sess, m.Sum, s.cfg.NoSync); return err })
	if done, _ := sess.ended(); err != nil && done {
		result := "failed"
		if strings.HasPrefix(err.Error(), "checksum mismatch") {
			result = "checksum"
		}
		s.obs.TransferEnded("2", dirUp, result, time.Since(sess.opened))
	}
	if err != nil {
		r.log.Warn("upload not published", "key", sess.hdr.Key, "err", err)
		r.fail(err.Error())
		return
	}
	s.uploadsDone.Add(1)
	s.obs.TransferEnded("2", dirUp, "ok", time.Since(sess.opened))
	s.access(r, r.cmd, res.Key, res.BytesReceived, time.Since(sess.opened), "ok")
	r.log.Info("upload published", "key", res.Key, "size", res.Size, "received", res.BytesReceived)
	r.reply(wire.PutEndReply{Result: res}.Frames()...)
}
