package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// request is one received command and the way back to its sender.
type request struct {
	srv    *Server
	cmd    string
	start  time.Time
	ctx    context.Context
	c      *zmtp.Conn
	log    *slog.Logger
	args   [][]byte
	m      *zmtp.Message
	ranges chan struct{} // the connection's tokens for ranges read into memory
}

// reply sends [delimiter, frames...] back; a peer that has gone is not an
// error worth more than a debug line, as in 1.2.
func (r *request) reply(frames ...[]byte) {
	if err := r.c.Send(r.ctx, append([][]byte{wire.Delimiter}, frames...)...); err != nil {
		r.log.Debug("reply not sent", "err", err)
	}
}

func (r *request) replyParts(parts ...zmtp.Part) {
	if err := r.c.SendParts(r.ctx, append([]zmtp.Part{{Data: wire.Delimiter}}, parts...)); err != nil {
		r.log.Debug("reply not sent", "err", err)
	}
}

func (r *request) ok(frames ...[]byte) { r.reply(append([][]byte{[]byte(wire.ReplyOK)}, frames...)...) }

func (r *request) fail(msg string) {
	if r.srv != nil {
		r.srv.refusedAccess(r, msg)
	}
	r.reply(wire.ErrorReply{Message: msg}.Frames()...)
}

// handle runs one request. frames are [delimiter, COMMAND, args...]; as 1.2
// does, the command is taken from the second frame without checking the
// first, and extra frames are ignored by every command.
func (s *Server) handle(ctx context.Context, c *zmtp.Conn, log *slog.Logger, m *zmtp.Message, ranges chan struct{}) {
	cmd, args, ok := wire.SplitRequest(m.Frames)
	if !ok {
		log.Warn("invalid message", "frames", len(m.Frames)+1)
		return
	}
	r := &request{srv: s, cmd: cmd, start: time.Now(), ctx: ctx, c: c, log: log, args: args, m: m, ranges: ranges}
	if counted(cmd) {
		s.began()
		defer s.ended()
	}
	if s.draining.Load() && startsTransfer(cmd) {
		s.obs.Refused("shutting_down")
		r.fail(ErrShuttingDown)
		return
	}
	if s.paces != nil && carriesData(cmd) && !s.wait(r, m.Size()) {
		return // stopping
	}
	if msg := s.authorize(r, cmd); msg != "" {
		log.Warn("request refused", "command", cmd, "reason", msg)
		s.obs.Refused("permission")
		r.fail(msg)
		return
	}
	switch cmd {
	case wire.CmdPing:
		r.reply([]byte(wire.ReplyPong))
	case wire.CmdUploadStart:
		s.uploadStart(r)
	case wire.CmdUploadChunk:
		s.uploadChunk(r)
	case wire.CmdUploadEnd:
		s.uploadEnd(r)
	case wire.CmdDownloadStart:
		s.downloadStart(r)
	case wire.CmdDownloadChunk:
		s.downloadChunk(r)
	case wire.CmdList:
		s.list(r)
	case wire.CmdDelete:
		s.delete(r)
	case wire.CmdHello:
		s.hello(r)
	case wire.CmdPut:
		s.put(r)
	case wire.CmdPutChunk:
		s.putChunk(r)
	case wire.CmdPutEnd:
		s.putEnd(r)
	case wire.CmdGet:
		s.get(r)
	case wire.CmdGetRange:
		s.getRange(r)
	case wire.CmdGetEnd:
		s.getEnd(r)
	case wire.CmdGetBlocks:
		s.getBlocks(r)
	case wire.CmdGetSums:
		s.getSums(r)
	case wire.CmdPutSums:
		s.putSums(r)
	case wire.CmdPutPatch:
		s.putPatch(r)
	case wire.CmdPutCuts:
		s.putCuts(r)
	case wire.CmdPutBuild:
		s.putBuild(r)
	case wire.CmdGetCuts:
		s.getCuts(r)
	case wire.CmdList2:
		s.list2(r)
	case wire.CmdListNext:
		s.listNext(r)
	case wire.CmdPutSmall:
		s.putSmall(r)
	case wire.CmdGetSmall:
		s.getSmall(r)
	case wire.CmdHashes:
		s.hashes(r)
	case wire.CmdPartials:
		s.partials(r)
	case wire.CmdStatus:
		s.status(r)
	case wire.CmdPartialsClear:
		s.partialsClear(r)
	default:
		r.fail(wire.ErrUnknownCommand)
	}
}

// pyError renders a store error the way 1.2's generic handler would show
// the matching Python exception, without the server's paths.
func pyError(key string, err error) string {
	switch {
	case errors.Is(err, store.ErrIsDir):
		return fmt.Sprintf("[Errno 21] Is a directory: %s", wire.PyRepr(key))
	case errors.Is(err, store.ErrNotFound):
		return wire.ErrFileNotFound
	case errors.Is(err, store.ErrInvalidKey):
		return wire.ErrInvalidFilePath
	}
	return err.Error()
}

// refused answers err, the refusal of a request's decoding, and reports
// whether there was one.
func (r *request) refused(err error) bool {
	if err != nil {
		r.fail(err.Error())
	}
	return err != nil
}

// fileKey answers err, the decoding's refusal, or cleans key (cleanKey)
// and answers its refusal; it reports whether the request may go on.
func (r *request) fileKey(key string, err error) (string, bool) {
	if r.refused(err) {
		return "", false
	}
	k, msg := cleanKey(key)
	if msg != "" {
		r.fail(msg)
		return "", false
	}
	return k, true
}

// cleanKey cleans a key a request names, answering Python's error for one
// that is not UTF-8 and 1.2's for one that escapes or names the root.
func cleanKey(key string) (string, string) {
	if _, err := wire.DecodeUTF8([]byte(key)); err != nil {
		return "", err.Error()
	}
	k, err := store.CleanKey(key)
	if err != nil || k == "" {
		return "", wire.ErrInvalidFilePath
	}
	return k, ""
}
