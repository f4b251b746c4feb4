//go:build unix

package flaxfile

import (
	"fmt"
	"os"

	"github.com/flaxfile/flaxfile/internal/wire"
	"golang.org/x/sys/unix"
)

// readSmall reads a whole small file and returns it with its time (ns)
// and permission bits; one that grew past the batch limit since it was
// listed, or is no longer a regular file, is an error (it would be sent
// on its own next time). It makes four system calls where os.File makes
// seven or more (a push of many small files spends much of its time in
// them).
func readSmall(path string) ([]byte, int64, uint32, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, 0, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, 0, 0, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, 0, 0, fmt.Errorf("flaxfile: %s is no longer a regular file", path)
	}
	if st.Size > wire.MaxSmallFile {
		return nil, 0, 0, fmt.Errorf("flaxfile: %s grew to %d octets while being sent", path, st.Size)
	}
	data := make([]byte, st.Size)
	for off := 0; off < len(data); {
		n, err := unix.Pread(fd, data[off:], int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			if err == nil {
				err = fmt.Errorf("it shrank to %d octets", off)
			}
			return nil, 0, 0, fmt.Errorf("flaxfile: reading %s: %w", path, err)
		}
		off += n
	}
	return data, st.Mtim.Nano(), uint32(st.Mode & 0o777), nil
}
