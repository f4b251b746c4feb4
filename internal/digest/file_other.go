//go:build !linux

package digest

import "os"

// FileBlocks hashes the blocks of f in [off, off+n), off being a multiple
// of BlockSize.
func FileBlocks(f *os.File, off, n int64) ([]Sum, error) { return fileBlocksRead(f, off, n) }
