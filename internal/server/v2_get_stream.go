package server

import (
	"errors"
	"fmt"
	"io"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// streamBuf is the buffer a streamed range passes through.
const streamBuf = 256 << 10

// streamRange sends n octets at off of a version whose store streams
// ranges (an object store) as they arrive, through one small buffer
// instead of one of the range's length: less memory, and the store's
// response and the client's socket overlap. The range is opened before
// anything is sent, so that a version replaced meanwhile is refused with
// wire.Replaced; one that fails after its frame began closes the
// connection, whose client then asks again. Plaintext connections only:
// an encrypted one seals whole frames.
func (s *Server) streamRange(r *request, rr store.RangeReader, rep wire.Numbered, off, n int64) {
	done, ok := r.rangeToken()
	if !ok {
		r.fail("server shutting down")
		return
	}
	defer done()
	var body io.ReadCloser
	err := s.storeOp("read", func() (err error) { body, err = rr.ReadRange(r.ctx, off, n); return err })
	if err != nil {
		if errors.Is(err, store.ErrReplaced) {
			r.fail(wire.Replaced)
			return
		}
		r.fail(fmt.Sprintf("read error: %v", err))
		return
	}
	defer body.Close()
	buf, release, err := s.buffer(r, streamBuf)
	if err != nil {
		r.fail(err.Error())
		return
	}
	defer release()
	r.replyParts(rep.Parts(zmtp.Part{Len: n, Stream: func(w io.Writer) error {
		if p, ok := body.(store.Passer); ok {
			if _, passed, err := p.PassTo(w); passed {
				return err
			}
		}
		_, err := io.CopyBuffer(w, body, buf)
		return err
	}})...)
}
