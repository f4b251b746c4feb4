package digest

import (
	"io"
	"os"
)

// fileBlocksRead is FileBlocks by reading, where mapping fails.
func fileBlocksRead(f *os.File, off, n int64) ([]Sum, error) {
	buf := make([]byte, min(n, BlockSize))
	var sums []Sum
	for lo := int64(0); lo < n; lo += BlockSize {
		k := min(BlockSize, n-lo)
		m, err := f.ReadAt(buf[:k], off+lo)
		if int64(m) < k {
			if err == nil || err == io.EOF {
				err = ErrShort
			}
			return nil, err
		}
		sums = append(sums, Block(buf[:k]))
	}
	return sums, nil
}
