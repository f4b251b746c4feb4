package digest

import (
	"fmt"
	"io"
	"sync"

	"github.com/zeebo/xxh3"
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
	var sums []Sum
	h := xxh3.New()
	for lo := int64(0); lo < n; lo += BlockSize {
		h.Reset()
		end := min(lo+BlockSize, n)
		for p := lo; p < end; {
			k := min(int64(len(buf)), end-p)
			m, err := f.ReadAt(buf[:k], off+p)
			if int64(m) < k {
				if err == nil || err == io.EOF {
					err = ErrShort
				}
				return nil, err
			}
			_, _ = h.Write(buf[:k])
			p += k
		}
		sums = append(sums, Sum(h.Sum128().Bytes()))
	}
	return sums, nil
}
