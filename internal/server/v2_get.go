package server

import (
	"fmt"

	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// get opens a file for ranged reads: [key] -> [OK, handle, size,
// mtime_ns, mode, file hash]. With a second argument, the most octets the
// client takes in the reply, a file that small (and at most
// wire.MaxSmallFile) comes whole after the hash, with an empty handle:
// one round trip instead of two, and nothing to end.
func (s *Server) get(r *request) {
	key, ok := r.key(1, wire.ErrMissingFileKey)
	if !ok {
		return
	}
	obj, err := s.cfg.Store.Open(r.ctx, key)
	if err != nil {
		r.fail(downloadError(key, err))
		return
	}
	sum, err := fileHash(obj, hashBlocks)
	if err != nil {
		obj.Close()
		r.fail(fmt.Sprintf("read error: %v", err))
		return
	}
	in := obj.Info()
	if len(r.args) > 1 {
		if most, ok := num(r.args[1]); ok && in.Size <= min(most, wire.MaxSmallFile) {
			defer obj.Close() // the reply is written before replyParts returns
			data, err := wholeFile(obj, in.Size)
			if err != nil {
				r.fail(err.Error())
				return
			}
			s.downloadsDone.Add(1)
			s.bytesDown.Add(in.Size)
			r.replyParts(zmtp.Part{Data: []byte(wire.ReplyOK)}, zmtp.Part{}, zmtp.Part{Data: wire.Itoa(in.Size)},
				zmtp.Part{Data: wire.Itoa(in.ModTime.UnixNano())}, zmtp.Part{Data: wire.Itoa(int64(in.Mode.Perm()))},
				zmtp.Part{Data: []byte(sum)}, data)
			return
		}
	}
	id := newHandleID()
	s.gets.add(id, obj, 0)
	s.downloadsDone.Add(1)
	r.ok([]byte(id), wire.Itoa(in.Size), wire.Itoa(in.ModTime.UnixNano()), wire.Itoa(int64(in.Mode.Perm())), []byte(sum))
}

// getRange sends one range of an open version: [handle, offset, length]
// -> [DATA, offset, data], by sendfile on a plaintext connection.
func (s *Server) getRange(r *request) {
	if len(r.args) < 3 {
		r.fail(wire.ErrMissingArguments)
		return
	}
	h := s.gets.acquire(string(r.args[0]), false)
	if h == nil {
		r.fail(wire.ErrSessionNotFound)
		return
	}
	defer s.gets.release(h)
	off, ok1 := num(r.args[1])
	n, ok2 := num(r.args[2])
	size := h.v.Info().Size
	if !ok1 || !ok2 || n > wire.MaxChunk2 || off > size || n > size-off {
		r.fail(fmt.Sprintf("invalid range %q+%q of a %d-octet file", r.args[1], r.args[2], size))
		return
	}
	s.bytesDown.Add(n)
	if f := fileOf(h.v); f != nil {
		r.replyParts(zmtp.Part{Data: []byte(wire.ReplyData)}, zmtp.Part{Data: r.args[1]}, zmtp.Part{File: f, Offset: off, Len: n})
		return
	}
	r.replyParts(zmtp.Part{Data: []byte(wire.ReplyData)}, zmtp.Part{Data: r.args[1]}, zmtp.Part{Len: n, Fill: func(b []byte) error {
		if m, err := h.v.ReadAt(b, off); int64(m) < n {
			return fmt.Errorf("read error: %v", err)
		}
		return nil
	}})
}

// getEnd drops a handle: [handle] -> [OK].
func (s *Server) getEnd(r *request) {
	if len(r.args) < 1 || !s.gets.endID(string(r.args[0])) {
		r.fail(wire.ErrSessionNotFound)
		return
	}
	r.ok()
}
