//go:build !linux

package flaxfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// parentDir is the directory that files are written in. Without openat2
// each directory between the root and it is checked with Lstat when it
// is opened, and each file before it is touched.
type parentDir struct{ dir string }

// parentOf returns the directory that holds path, which lies beneath d's
// root, once no directory on the way is a symbolic link, and path's last
// element.
func (d localDir) parentOf(path string) (*parentDir, string, error) {
	if _, err := d.rel(filepath.Dir(path)); err != nil {
		return nil, "", err
	}
	if err := d.checkDirs(path); err != nil {
		return nil, "", err
	}
	return &parentDir{dir: filepath.Dir(path)}, filepath.Base(path), nil
}

func (p *parentDir) close() {}

// heldRoot is nothing here: without openat2 each path is checked anew.
type heldRoot struct{}

// holdRoots gives each FileSpec's localDir as dirFor does.
func holdRoots() (func(FileSpec) localDir, func()) { return dirFor, func() {} }

// noLink refuses a symbolic link at name.
func (p *parentDir) noLink(name string) (string, error) {
	path := filepath.Join(p.dir, name)
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("flaxfile: %s is a symbolic link; not written through", path)
	}
	return path, nil
}

// open opens name with flags, refusing a symbolic link in its place.
func (p *parentDir) open(name string, flags int, perm os.FileMode) (*os.File, error) {
	path, err := p.noLink(name)
	if err != nil {
		return nil, err
	}
	return os.OpenFile(path, flags|oNoFollow, perm)
}

// setTimes sets name's times, refusing a link.
func (p *parentDir) setTimes(name string, t time.Time) error {
	path, err := p.noLink(name)
	if err != nil {
		return err
	}
	return os.Chtimes(path, t, t)
}

// rename renames from to to, both in p.
func (p *parentDir) rename(from, to string) error {
	return os.Rename(filepath.Join(p.dir, from), filepath.Join(p.dir, to))
}

// writeAsideBytes is writeAside for content in memory.
func writeAsideBytes(d localDir, path string, mode os.FileMode, mtime time.Time, data []byte) error {
	return writeAside(d, path, mode, mtime, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}
