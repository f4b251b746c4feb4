package server

import (
	"errors"
	"syscall"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// uploadStart answers UPLOAD_START_CONCURRENT, checking in 1.2's order.
func (s *Server) uploadStart(r *request) {
	m, err := wire.ParseUploadStart(r.args)
	k, ok := r.fileKey(m.Key, err)
	if !ok {
		return
	}
	if msg := s.noRoom(r.ctx, m.Size); msg != "" {
		r.fail(msg)
		return
	}
	if err := s.uploads.join(r.ctx, r.c, m.Session, k, m.Size, m.Hash); err != nil {
		r.fail(pyError(k, err))
		return
	}
	r.ok()
}

// uploadChunk answers UPLOAD_CHUNK_CONCURRENT with an ACK once the chunk is
// written, echoing the id frame byte for byte.
func (s *Server) uploadChunk(r *request) {
	u := s.uploads.of(r.c)
	if u == nil {
		r.fail(wire.ErrNoActiveUpload)
		return
	}
	m, err := wire.ParseUploadChunk(r.args)
	if r.refused(err) {
		return
	}
	if err := u.write(m.ID, m.Data); err != nil {
		if errors.Is(err, errSessionGone) {
			if f := u.failed(); f != nil {
				r.fail(f.Error())
				return
			}
			r.fail(wire.ErrSessionNotFound)
			return
		}
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
			// The upload cannot complete; its temporary file would only
			// hold the space others need. Its members are told why.
			if u.failWith(err) {
				r.log.Warn("upload dropped: disk full", "key", u.key, "session", u.id)
			}
		}
		r.fail(err.Error())
		return
	}
	r.reply(wire.Numbered{Status: wire.ReplyAck, NFrame: m.IDFrame}.Frames()...)
}

// uploadEnd answers UPLOAD_END: the last member's END publishes the file
// if every declared octet arrived.
func (s *Server) uploadEnd(r *request) {
	u, last := s.uploads.end(r.c)
	if u == nil {
		r.fail(wire.ErrNoActiveUpload)
		return
	}
	if f := u.failed(); f != nil {
		if last {
			s.uploads.forget(u)
		}
		r.fail(f.Error())
		return
	}
	if !last {
		r.ok(wire.UploadMessageJSON(wire.MsgWaitingForOthers))
		return
	}
	sum, err := u.finish(r.ctx, !s.cfg.NoSync, wire.ParseUploadEnd(r.args).Sum)
	switch {
	case errors.Is(err, errSessionGone):
		r.ok(wire.UploadMessageJSON(wire.MsgUploadEnded))
		return
	case err != nil:
		r.log.Warn("upload not published", "key", u.key, "err", err)
		r.fail(pyError(u.key, err))
		return
	}
	s.uploads.forget(u)
	secs := time.Since(u.start).Seconds()
	mibps := 0.0
	if secs > 0 {
		mibps = float64(u.size) / (1 << 20) / secs
	}
	s.uploadsDone.Add(1)
	s.bytesUp.Add(u.size)
	s.obs.TransferEnded("1.2", dirUp, "ok", time.Since(u.start))
	s.access(r, r.cmd, u.key, u.size, time.Since(u.start), "ok")
	r.log.Info("upload complete", "key", u.key, "size", u.size, "seconds", secs)
	switch {
	case u.xxh:
		r.ok(wire.UploadEndJSON(u.key, u.size, secs, mibps, "", "xxh3_128", sum))
	case u.blockMode:
		r.ok(wire.UploadEndJSON(u.key, u.size, secs, mibps, "", "xxh3_128_blocks", sum))
	default:
		r.ok(wire.UploadEndJSON(u.key, u.size, secs, mibps, sum, "", ""))
	}
}
