package digest

import "github.com/zeebo/xxh3"

// Stream hashes data that starts on a block boundary as it is written in
// pieces of any size: its Sums are what Chunk gives for all of it at
// once, without the data ever being whole in memory.
type Stream struct {
	h    xxh3.Hasher
	in   int64 // octets of the current block written
	sums []Sum
}

// NewStream returns a Stream for data of up to size octets.
func NewStream(size int64) *Stream {
	return &Stream{sums: make([]Sum, 0, Blocks(size))}
}

// Write hashes p after what came before; it never fails.
func (s *Stream) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(int64(len(p)), BlockSize-s.in)
		_, _ = s.h.Write(p[:k])
		s.in += k
		p = p[k:]
		if s.in == BlockSize {
			s.end()
		}
	}
	return n, nil
}

// end closes the current block.
func (s *Stream) end() {
	s.sums = append(s.sums, Sum(s.h.Sum128().Bytes()))
	s.h.Reset()
	s.in = 0
}

// Sums returns the hashes of the blocks written, the last one possibly
// short; the Stream takes no more writes after.
func (s *Stream) Sums() []Sum {
	if s.in > 0 {
		s.end()
	}
	return s.sums
}
