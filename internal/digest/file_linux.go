package digest

import (
	"fmt"
	"os"
	"runtime/debug"

	"golang.org/x/sys/unix"
)

// FileBlocks hashes the blocks of f in [off, off+n), off being a multiple
// of BlockSize, reading them through a read-only mapping: no copy, no
// buffer. A file cut short meanwhile is an error, not a crash.
func FileBlocks(f *os.File, off, n int64) (sums []Sum, err error) {
	if off%BlockSize != 0 || n < 0 {
		return nil, fmt.Errorf("digest: range %d+%d is not block-aligned", off, n)
	}
	if n == 0 {
		return nil, nil
	}
	m, err := unix.Mmap(int(f.Fd()), off, int(n), unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fileBlocksRead(f, off, n)
	}
	defer unix.Munmap(m)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			sums, err = nil, fmt.Errorf("digest: %s changed while it was read: %v", f.Name(), r)
		}
	}()
	for lo := int64(0); lo < n; lo += BlockSize {
		sums = append(sums, Block(m[lo:min(lo+BlockSize, n)]))
	}
	return sums, nil
}
