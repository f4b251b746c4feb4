package server

import (
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// delete removes a file or a directory with everything in it: [key] ->
// [OK]. Both protocols use 1.2's DELETE.
func (s *Server) delete(r *request) {
	m, err := wire.ParseDelete(r.args)
	key, ok := r.fileKey(m.Key, err)
	if !ok {
		return
	}
	if err := s.storeOp("delete", func() error { return s.cfg.Store.Delete(r.ctx, key) }); err != nil {
		r.fail(pyError(key, err))
		return
	}
	s.deletes.Add(1)
	s.access(r, r.cmd, key, 0, time.Since(r.start), "ok")
	r.log.Info("deleted", "key", key)
	r.ok()
}
