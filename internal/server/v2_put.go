package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"syscall"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// hello answers FlaxFile 2's first request with the version spoken.
func (s *Server) hello(r *request) {
	if len(r.args) < 1 || string(r.args[0]) != wire.Version2 {
		r.fail("unsupported protocol version")
		return
	}
	features, _ := json.Marshal(map[string]any{"max_chunk": wire.MaxChunk2, "block": digest.BlockSize, "resume": s.puts.st != nil})
	r.ok([]byte(wire.Version2), features)
}

// put opens (or resumes) an upload: [key, size, chunk, mtime_ns, mode, id].
func (s *Server) put(r *request) {
	key, ok := r.key(6, wire.ErrMissingArguments)
	if !ok {
		return
	}
	var v [4]int64
	for i := range v {
		if v[i], ok = num(r.args[1+i]); !ok {
			r.fail(fmt.Sprintf("invalid %s", [...]string{"size", "chunk size", "mtime", "mode"}[i]))
			return
		}
	}
	size, chunk, mtime, mode := v[0], v[1], v[2], v[3]
	id := string(r.args[5])
	switch {
	case size > wire.MaxFileSize:
		r.fail(wire.ErrInvalidFileSize)
		return
	case chunk <= 0 || chunk > wire.MaxChunk2 || chunk%digest.BlockSize != 0:
		r.fail(fmt.Sprintf("invalid chunk size %d: a multiple of %d up to %d", chunk, digest.BlockSize, wire.MaxChunk2))
		return
	case mode > 0o7777:
		r.fail("invalid mode")
		return
	case len(id) != wire.UploadIDLen:
		r.fail("invalid upload id")
		return
	}
	sess, err := s.puts.open(r.ctx, id, putHeader{Key: key, Size: size, MTime: mtime, Mode: uint32(mode)})
	if err != nil {
		r.fail(pyError(key, err))
		return
	}
	defer sess.release()
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
	r.ok([]byte(id), sess.haveFrame())
}

// session checks that the request has n arguments, the first naming an
// open upload, and takes a reference to it; it answers the error itself
// and returns nil when not.
func (s *Server) session(r *request, n int) *putSession {
	if len(r.args) < n {
		r.fail(wire.ErrMissingArguments)
		return nil
	}
	sess := s.puts.get(string(r.args[0]))
	if sess == nil {
		r.fail(wire.ErrSessionNotFound)
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
	sess := s.session(r, 4)
	if sess == nil {
		return
	}
	defer sess.release()
	off, ok := num(r.args[1])
	if !ok {
		r.fail("invalid offset")
		return
	}
	data := r.args[2]
	n := int64(len(data))
	if err := sess.span(off, n); err != nil {
		r.fail(err.Error())
		return
	}
	got := digest.Chunk(data)
	sess.forget(off, got)
	sess.wmu.Lock()
	_, err := sess.part.WriteAt(data, off)
	sess.wmu.Unlock()
	if err != nil {
		s.writeFailed(r, sess, err)
		return
	}
	if err := sess.accept(off, n, got, r.args[3]); err != nil {
		r.fail(err.Error())
		return
	}
	s.bytesUp.Add(n)
	r.reply([]byte(wire.ReplyAck), r.args[1])
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
	sess := s.session(r, 2)
	if sess == nil {
		return
	}
	defer sess.release()
	want, err := digest.Parse(string(r.args[1]))
	if err != nil {
		r.fail(err.Error())
		return
	}
	res, err := s.puts.finish(r.ctx, sess, want, s.cfg.NoSync)
	if err != nil {
		r.log.Warn("upload not published", "key", sess.hdr.Key, "err", err)
		r.fail(err.Error())
		return
	}
	s.uploadsDone.Add(1)
	r.log.Info("upload published", "key", res.Key, "size", res.Size, "received", res.BytesReceived)
	out, _ := json.Marshal(res)
	r.ok(out)
}
