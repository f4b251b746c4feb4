//go:build !linux

package flaxfile

import (
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Without openat2 every directory between the root and the file is
// checked with Lstat before each operation, and the file itself too.

// open opens path (beneath the root) with flags, refusing a symbolic
// link at path or on the way.
func (d localDir) open(path string, flags int, perm os.FileMode) (*os.File, error) {
	if err := d.check(path); err != nil {
		return nil, err
	}
	return os.OpenFile(path, flags|oNoFollow, perm)
}

// rename moves from to to, both beneath the root.
func (d localDir) rename(from, to string) error {
	if err := d.checkDirs(from); err != nil {
		return err
	}
	if err := d.checkDirs(to); err != nil {
		return err
	}
	return os.Rename(from, to)
}

// setTimes sets path's times, refusing a link.
func (d localDir) setTimes(path string, t time.Time) error {
	if err := d.check(path); err != nil {
		return err
	}
	return os.Chtimes(path, t, t)
}

// check is checkDirs and path itself not a link.
func (d localDir) check(path string) error {
	if err := d.checkDirs(path); err != nil {
		return err
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("flaxfile: %s is a symbolic link; not written through", path)
	}
	return nil
}
