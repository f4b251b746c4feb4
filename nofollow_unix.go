//go:build unix

package flaxfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// openNoFollow opens a file the client writes, refusing a symbolic link
// in its place (O_NOFOLLOW): a link planted at a partial file's or a
// journal's name must not carry our writes to where it points. The
// directories above are the target's, which callers choose or check.
func openNoFollow(path string, flags int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flags|syscall.O_NOFOLLOW, perm)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("flaxfile: %s is a symbolic link; not written through", path)
	}
	return f, err
}

// setTimesNoFollow sets path's times without following a symbolic link.
func setTimesNoFollow(path string, t time.Time) error {
	ts := unix.NsecToTimespec(t.UnixNano())
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "chtimes", Path: path, Err: err}
	}
	return nil
}
