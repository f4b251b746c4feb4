package server

import (
	"errors"
	"slices"
	"strconv"

	"github.com/flaxfile/flaxfile/internal/auth"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// Partial uploads for their owners and administrators: PARTIALS lists
// those a client may see, PARTIALS_CLEAR removes them. Without key files
// every client sees all (as every client may write every key); with
// them, a key sees the partial uploads of the keys it may write, an
// admin key all.

// seesPartials returns which partial uploads r's client may see and
// clear, by key: all without key files, or for an admin key; those of
// keys it may write otherwise.
func (s *Server) seesPartials(r *request) func(key string) bool {
	right, ok := s.rightOf(r)
	return func(key string) bool { return ok && (right.Admin || right.Write && right.Allows(key)) }
}

// rightOf returns r's client's rights: every right without key files;
// ok is false for a key no longer listed.
func (s *Server) rightOf(r *request) (right auth.Right, ok bool) {
	if s.cfg.Access == nil {
		return auth.Right{Write: true, Admin: true}, true
	}
	right, err := s.cfg.Access.Lookup(curve.Key(r.c.PeerPublicKey()))
	return right, err == nil
}

// partialsFor lists the partial uploads r's client may see, answering
// the refusal itself (ok false).
func (s *Server) partialsFor(r *request) ([]store.PartialInfo, bool) {
	pa, ok := s.cfg.Store.(store.PartialAdmin)
	if !ok {
		r.fail("this server's store keeps no partial uploads")
		return nil, false
	}
	all, err := pa.ListPartials(r.ctx)
	if err != nil {
		r.fail("listing partial uploads: " + err.Error())
		return nil, false
	}
	sees := s.seesPartials(r)
	return slices.DeleteFunc(all, func(p store.PartialInfo) bool { return !sees(p.Key) }), true
}

// partials answers PARTIALS: [] -> [OK, JSON].
func (s *Server) partials(r *request) {
	list, ok := s.partialsFor(r)
	if !ok {
		return
	}
	out := make([]wire.PartialInfo, 0, min(len(list), wire.MaxPartials))
	size := 0
	for _, p := range list {
		if len(out) == wire.MaxPartials || size > wire.MaxPartialsReply-8<<10 {
			break
		}
		size += len(p.Key) + 128
		out = append(out, wire.PartialInfo{ID: p.ID, Key: p.Key, Size: p.Size, Held: p.Held, MTime: p.ModTime.UnixNano()})
	}
	r.reply(wire.PartialsReply(out)...)
}

// partialsClear answers PARTIALS_CLEAR: [key...] -> [OK, count]: the
// partial uploads of those keys, or of all the client may see, are
// removed, their sessions ended first.
func (s *Server) partialsClear(r *request) {
	keys := map[string]bool{}
	for _, a := range r.args {
		k, err := store.FileKey(string(a))
		if err != nil {
			r.fail(wire.ErrInvalidFilePath)
			return
		}
		keys[k] = true
	}
	list, ok := s.partialsFor(r)
	if !ok {
		return
	}
	pa := s.cfg.Store.(store.PartialAdmin)
	n := 0
	for _, p := range list {
		if len(keys) > 0 && !keys[p.Key] {
			continue
		}
		if sess := s.puts.get(p.ID); sess != nil {
			s.puts.abort(sess, errCleared)
			sess.release()
		}
		if err := pa.RemovePartial(r.ctx, p.ID); err != nil {
			r.log.Warn("clearing a partial upload", "key", p.Key, "upload", p.ID, "err", err)
			continue
		}
		n++
	}
	r.log.Info("partial uploads cleared", "count", n)
	r.ok([]byte(strconv.Itoa(n)))
}

// errCleared ends an upload whose partial a client cleared.
var errCleared = errors.New("its partial upload was cleared")
