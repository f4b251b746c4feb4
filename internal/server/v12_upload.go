package server

import (
	"errors"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// uploadStart answers UPLOAD_START_CONCURRENT, checking in 1.2's order.
func (s *Server) uploadStart(r *request) {
	if len(r.args) < 4 {
		r.fail(wire.ErrMissingArguments)
		return
	}
	sid, err := wire.DecodeUTF8(r.args[0])
	if err != nil {
		r.fail(err.Error())
		return
	}
	key, err := wire.DecodeUTF8(r.args[1])
	if err != nil {
		r.fail(err.Error())
		return
	}
	size, err := wire.ParseInt(r.args[2])
	if err != nil {
		r.fail(err.Error())
		return
	}
	conc, err := wire.ParseInt(r.args[3])
	if err != nil {
		r.fail(err.Error())
		return
	}
	switch {
	case utf8.RuneCountInString(sid) > wire.MaxSessionIDLen:
		r.fail(wire.ErrSessionIDTooLong)
		return
	case utf8.RuneCountInString(key) > wire.MaxFileKeyLen:
		r.fail(wire.ErrFileKeyTooLong)
		return
	case size < 0 || size > wire.MaxFileSize:
		r.fail(wire.ErrInvalidFileSize)
		return
	case conc < 1 || conc > wire.MaxConcurrency:
		r.fail(wire.ErrInvalidMaxConc)
		return
	}
	k, msg := fileKey(r.args[1])
	if msg != "" {
		r.fail(msg)
		return
	}
	if msg := s.noRoom(r.ctx, size); msg != "" {
		r.fail(msg)
		return
	}
	hashName := ""
	if len(r.args) > 4 {
		hashName = string(r.args[4])
	}
	if err := s.uploads.join(r.ctx, r.c, sid, k, size, hashName); err != nil {
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
	if len(r.args) < 2 {
		r.fail(wire.ErrNoData)
		return
	}
	id, err := wire.ParseInt(r.args[0])
	if err != nil {
		r.fail(err.Error())
		return
	}
	if err := u.write(id, r.args[1]); err != nil {
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
	r.reply([]byte(wire.ReplyAck), r.args[0])
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
	var want string
	if len(r.args) > 0 {
		want = string(r.args[0])
	}
	sum, err := u.finish(r.ctx, !s.cfg.NoSync, want)
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
