package mem

import (
	"io"
	"slices"

	"github.com/flaxfile/flaxfile/internal/store"
)

// object is an open version; it reads that version whatever happens to
// the key.
type object struct {
	s *Store
	v *version
}

// ReadAt implements io.ReaderAt.
func (o *object) ReadAt(p []byte, off int64) (int, error) { return readAt(o.v.data, p, off) }

// Close implements io.Closer.
func (o *object) Close() error { return nil }

// Info implements store.Object.
func (o *object) Info() store.Info {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	return o.v.info
}

// SetMeta implements store.MetaSetter, on this version only.
func (o *object) SetMeta(meta []byte) error {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	o.v.info.Meta = slices.Clone(meta)
	return nil
}

// readAt reads data as a file of len(data) octets.
func readAt(data, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if off >= int64(len(data)) {
		return 0, io.EOF
	}
	n := copy(p, data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
