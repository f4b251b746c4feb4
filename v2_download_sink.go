package flaxfile

import (
	"errors"
	"fmt"
	"sync"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// rangeSink takes the data of a plaintext connection's DATA replies as it
// arrives, piece by piece (zmtp.Target.Pieces): each piece is hashed and
// written into the partial file at its place while it is fresh in the
// cache, instead of the whole range being read into a buffer, hashed from
// it and written from it (a range-sized buffer per reply in flight).
// Measured on a 1 GiB get from SeaweedFS: the client's peak memory 25 MB
// against 50, its CPU the same within the runs' spread. Ranges of one
// block stay buffered (Place): there the buffered path, which reads the
// next range while another goroutine hashes and writes the last,
// measured cheaper.
//
// It takes only the ranges this connection asked for and has not had
// answered, of exactly their length, and nothing once the connection's
// part of the download has ended (close). Data written for a range whose
// reply then fails (a write error, a compressed frame where a plain one
// was taken, the connection's part ending before the reply was handled)
// is never recorded; if blocks already recorded lay there, the download
// is marked unsure and not published from this run (download.unsure).
type rangeSink struct {
	d     *download
	lock  sync.Locker // the partial file's writers, all connections'
	chunk int64

	mu     sync.Mutex
	asked  map[int64]bool           // offsets asked for, not answered yet
	taken  map[int64]*digest.Stream // offsets whose data went to the file, not handled yet
	closed bool                     // set holding lock and mu
}

// errSinkClosed stops the pieces of a range whose connection's part of
// the download has ended.
var errSinkClosed = errors.New("flaxfile: the range arrived after its connection's part of the download ended")

func newRangeSink(d *download, lock sync.Locker, chunk int64) *rangeSink {
	return &rangeSink{d: d, lock: lock, chunk: chunk, asked: map[int64]bool{}, taken: map[int64]*digest.Stream{}}
}

// ask notes that the range at off is asked for on the connection.
func (s *rangeSink) ask(off int64) {
	s.mu.Lock()
	s.asked[off] = true
	s.mu.Unlock()
}

// answered notes that the range at off was answered through a buffer.
func (s *rangeSink) answered(off int64) {
	s.mu.Lock()
	delete(s.asked, off)
	s.mu.Unlock()
}

// length is the length of the range at off.
func (s *rangeSink) length(off int64) int64 { return min(s.chunk, s.d.rf.Size-off) }

// Place implements zmtp.Sink: the data frame of a DATA reply to a range
// asked for, of the range's length, goes to the file in pieces.
func (s *rangeSink) Place(frames [][]byte, n int64) (zmtp.Target, error) {
	off, ok := wire.DataHead(frames, wire.ReplyData)
	if !ok {
		return zmtp.Target{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.asked[off] || n != s.length(off) || n <= digest.BlockSize {
		return zmtp.Target{}, nil
	}
	delete(s.asked, off)
	st := digest.NewStream(n)
	s.taken[off] = st
	at := off
	return zmtp.Target{Pieces: func(p []byte) error {
		st.Write(p)
		s.lock.Lock()
		defer s.lock.Unlock()
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return errSinkClosed
		}
		_, err := s.d.f.WriteAt(p, at)
		at += int64(len(p))
		return err
	}}, nil
}

// take returns the block hashes of the range at off, whose reply r
// carried its data to the file (frame 2 sunk); an error if the reply
// cannot stand (the data not all written, or said to be compressed). On
// an error the range's blocks are no longer trusted (download.unsure).
func (s *rangeSink) take(off int64, r *reply) ([]digest.Sum, error) {
	s.mu.Lock()
	st := s.taken[off]
	delete(s.taken, off)
	s.mu.Unlock()
	n := s.length(off)
	err := r.sunkErr(2)
	switch {
	case st == nil:
		err = fmt.Errorf("%w: range at %d went to the file unasked", ErrProtocol, off)
	case err != nil:
	case wire.Codec(r.frames, 3) != "":
		err = fmt.Errorf("%w: range at %d of %d octets said to be encoded as %q", ErrProtocol, off, n, wire.Codec(r.frames, 3))
	}
	if err != nil {
		s.d.unsure(off, n)
		return nil, err
	}
	return st.Sums(), nil
}

// close ends the sink: no piece is written after it returns, and ranges
// written but not handled are no longer trusted.
func (s *rangeSink) close() {
	s.lock.Lock()
	s.mu.Lock()
	s.closed = true
	left := s.taken
	s.taken = nil
	s.mu.Unlock()
	s.lock.Unlock()
	for off := range left {
		s.d.unsure(off, s.length(off))
	}
}
