//go:build !unix

package flaxfile

import (
	"fmt"
	"io/fs"
	"os"
	"time"
)

// openNoFollow opens a file the client writes, refusing a symbolic link
// in its place (checked just before: there is no O_NOFOLLOW here).
func openNoFollow(path string, flags int, perm os.FileMode) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("flaxfile: %s is a symbolic link; not written through", path)
	}
	return os.OpenFile(path, flags, perm)
}

// setTimesNoFollow sets path's times, refusing a symbolic link.
func setTimesNoFollow(path string, t time.Time) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("flaxfile: %s is a symbolic link; not written through", path)
	}
	return os.Chtimes(path, t, t)
}
