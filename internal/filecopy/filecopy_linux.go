package filecopy

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// inKernel copies [srcOff, srcOff+n) of src to [dstOff, dstOff+n) of
// dst with copy_file_range. It reports false, having copied nothing, where the
// kernel or the file systems cannot (then the caller copies through a
// buffer).
func inKernel(dst, src *os.File, dstOff, srcOff, n int64) (bool, error) {
	for done := int64(0); done < n; {
		roff, woff := srcOff+done, dstOff+done
		k, err := unix.CopyFileRange(int(src.Fd()), &roff, int(dst.Fd()), &woff, int(n-done), 0)
		switch {
		case done == 0 && (errors.Is(err, unix.EXDEV) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL)):
			return false, nil
		case err != nil:
			return true, err
		case k == 0:
			return true, io.ErrUnexpectedEOF
		}
		done += int64(k)
	}
	return true, nil
}
