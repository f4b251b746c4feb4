package server

import (
	"strings"

	"github.com/flaxfile/flaxfile/internal/auth"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// writes are the commands that change the store.
var writes = map[string]bool{
	wire.CmdUploadStart: true, wire.CmdUploadChunk: true, wire.CmdUploadEnd: true, wire.CmdDelete: true,
	wire.CmdPut: true, wire.CmdPutChunk: true, wire.CmdPutEnd: true, wire.CmdPutSmall: true,
	wire.CmdPutSums: true, wire.CmdPutPatch: true, wire.CmdPutCuts: true, wire.CmdPutBuild: true,
	wire.CmdPartialsClear: true,
}

// ErrPermission starts the ERROR of a request beyond a client's rights.
const ErrPermission = "Permission denied"

// authorize checks a request against its client's rights when the server
// runs with an authorized-keys list. It returns "" when the request may
// go on, else the error to answer; a LIST whose prefix contains the
// client's directory is narrowed to it in place.
func (s *Server) authorize(r *request, cmd string) string {
	if s.cfg.Access == nil {
		return ""
	}
	right, err := s.cfg.Access.Lookup(curve.Key(r.c.PeerPublicKey()))
	if err != nil {
		return ErrPermission + ": this key is no longer authorized"
	}
	if writes[cmd] && !right.Write {
		return ErrPermission + ": read-only key"
	}
	if right.Prefix == "" {
		return ""
	}
	keys, upload, lists := wire.Named(cmd, r.args)
	if lists {
		return narrow(r, right)
	}
	if upload != "" {
		if key, ok := s.puts.keyOf(upload); ok && !right.Allows(key) {
			return ErrPermission + ": outside " + right.Prefix
		}
	}
	for _, k := range keys {
		key, err := store.CleanKey(string(k))
		if err != nil {
			continue // the command refuses it with its own error
		}
		if !right.Allows(key) {
			return ErrPermission + ": " + key + " is outside " + right.Prefix
		}
	}
	return ""
}

// narrow confines a listing to the client's directory: a prefix inside it
// stands, one that contains it becomes it, any other is refused.
func narrow(r *request, right auth.Right) string {
	p, err := store.CleanKey(wire.Prefix(r.args))
	if err != nil {
		return ""
	}
	switch {
	case right.Allows(p):
		return ""
	case p == "" || strings.HasPrefix(right.Prefix, p+"/"):
		r.args = wire.SetPrefix(r.args, right.Prefix)
		return ""
	}
	return ErrPermission + ": " + p + " is outside " + right.Prefix
}
