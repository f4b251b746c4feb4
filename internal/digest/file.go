package digest

import (
	"fmt"
	"io"
	"sync"
)

// readBuf is the buffer FileBlocks reads through: small enough to stay in
// the CPU's cache between the copy and the hash. (Hashing the page cache
// through a mapping instead measured four times slower on a virtual
// machine, its page faults being dear.)
const readBuf = 256 << 10

var bufs = sync.Pool{New: func() any { b := make([]byte, readBuf); return &b }}

// FileBlocks hashes the blocks of f (a file, or any ReaderAt) in [off, off+n), off being a multiple
// of BlockSize, reading them in small pieces.
func FileBlocks(f io.ReaderAt, off, n int64) ([]Sum, error) {
	if off%BlockSize != 0 || n < 0 {
		return nil, fmt.Errorf("digest: range %d+%d is not block-aligned", off, n)
	}
	bp := bufs.Get().(*[]byte)
	defer bufs.Put(bp)
	buf := *bp
	s := NewStream(n)
	for p := int64(0); p < n; {
		k := min(int64(len(buf)), n-p)
		m, err := f.ReadAt(buf[:k], off+p)
		if int64(m) < k {
			if err == nil || err == io.EOF {
				err = ErrShort
			}
			return nil, err
		}
		_, _ = s.Write(buf[:k])
		p += k
	}
	return s.Sums(), nil
}
