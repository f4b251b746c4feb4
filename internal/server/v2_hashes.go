package server

import (
	"github.com/flaxfile/flaxfile/internal/wire"
)

// hashes answers the file hashes of a batch of keys: [key...].
func (s *Server) hashes(r *request) {
	m, err := wire.ParseKeys(wire.CmdHashes, r.args)
	if r.refused(err) {
		return
	}
	rep := wire.HashesReply{Sums: make([]string, len(m.Keys))}
	for i, k := range m.Keys {
		if key, msg := cleanKey(k); msg == "" {
			rep.Sums[i], _ = s.keyHash(r.ctx, key, hashBlocks)
		}
	}
	r.reply(rep.Frames()...)
}
