package flaxfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// localDir is the directory a download writes beneath: the output's own
// directory for GetFile, the target tree for Pull. Every file the client
// creates, opens, times or renames there (the output, its partial file and
// journal, the temporary file of a small one) is reached from root without
// following a symbolic link: on Linux with openat2 and
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, elsewhere by checking each
// directory on the way with Lstat first. The root itself is the user's
// choice and may be a link.
type localDir struct {
	root string
	held *heldRoot // the root already open, for a batch of files; nil: open it each time
}

// dirFor is the localDir of a FileSpec: its Dir, or Path's directory.
func dirFor(f FileSpec) localDir {
	if f.Dir != "" {
		return localDir{root: f.Dir}
	}
	return localDir{root: filepath.Dir(f.Path)}
}

// rel is path relative to the root, refused if it leaves it.
func (d localDir) rel(path string) (string, error) {
	rel, err := filepath.Rel(d.root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%w: %s is not beneath %s", ErrInvalidKey, path, d.root)
	}
	return rel, nil
}

// checkDirs refuses path when a directory between the root and it is a
// symbolic link (or not a directory).
func (d localDir) checkDirs(path string) error {
	rel, err := d.rel(filepath.Dir(path))
	if err != nil || rel == "." {
		return err
	}
	p := d.root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
			return fmt.Errorf("flaxfile: %s: %s is not a real directory; not written through", path, p)
		}
	}
	return nil
}

// read reads a file of ours (a journal) beneath the root.
func (d localDir) read(path string) ([]byte, error) {
	f, err := d.open(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// open opens path, beneath the root, with flags: no symbolic link on the
// way or in its place.
func (d localDir) open(path string, flags int, perm os.FileMode) (*os.File, error) {
	p, name, err := d.parentOf(path)
	if err != nil {
		return nil, err
	}
	defer p.close()
	return p.open(name, flags, perm)
}

// setTimes sets path's times (beneath the root), never a link's target's.
func (d localDir) setTimes(path string, t time.Time) error {
	p, name, err := d.parentOf(path)
	if err != nil {
		return err
	}
	defer p.close()
	return p.setTimes(name, t)
}

// rename moves from to to; both lie in one directory beneath the root.
func (d localDir) rename(from, to string) error {
	if filepath.Dir(from) != filepath.Dir(to) {
		return fmt.Errorf("flaxfile: %s and %s are not in one directory", from, to)
	}
	p, name, err := d.parentOf(from)
	if err != nil {
		return err
	}
	defer p.close()
	return p.rename(name, filepath.Base(to))
}
