package server

import (
	"fmt"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// hashes answers the file hashes of a batch of keys: [key...].
func (s *Server) hashes(r *request) {
	if len(r.args) == 0 || len(r.args) > wire.MaxSmallBatch {
		r.fail(fmt.Sprintf("a batch names 1 to %d keys", wire.MaxSmallBatch))
		return
	}
	out := [][]byte{[]byte(wire.ReplyOK)}
	for _, a := range r.args {
		key, msg := fileKey(a)
		var h []byte
		if msg == "" {
			if sum, err := s.keyHash(r.ctx, key, hashBlocks); err == nil {
				h = []byte(sum)
			}
		}
		out = append(out, h)
	}
	r.reply(out...)
}
