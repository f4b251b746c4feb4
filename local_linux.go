package flaxfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// parentDir is the open directory that files are written in: the names
// given to its methods are single elements, resolved from its descriptor
// without following a link.
type parentDir struct {
	fd   int
	dir  string
	held bool // fd is the batch's held root: not closed with the parentDir
}

// heldRoot is a root directory opened once for a batch of files (a pull
// writes hundreds into the same root: opening it again for each cost two
// system calls per file). Paths below it are still resolved for each
// file, without following links.
type heldRoot struct{ fd int }

// holdRoots returns a function that gives a FileSpec's localDir with its
// root held open, and one that closes every root it opened.
func holdRoots() (func(FileSpec) localDir, func()) {
	held := map[string]*heldRoot{}
	dir := func(f FileSpec) localDir {
		d := dirFor(f)
		h, ok := held[d.root]
		if !ok {
			fd, err := unix.Open(d.root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return d // parentOf opens it again and reports the error
			}
			h = &heldRoot{fd: fd}
			held[d.root] = h
		}
		d.held = h
		return d
	}
	return dir, func() {
		for _, h := range held {
			unix.Close(h.fd)
		}
	}
}

// parentOf opens the directory that holds path, which lies beneath d's
// root, without following a symbolic link anywhere below the root
// (openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS): a link planted on
// the way, or swapped in meanwhile, is refused, not followed. It returns
// the directory and path's last element.
func (d localDir) parentOf(path string) (*parentDir, string, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	rel, err := d.rel(dir)
	if err != nil {
		return nil, "", err
	}
	var root int
	if d.held != nil {
		root = d.held.fd
		if rel == "." {
			return &parentDir{fd: root, dir: dir, held: true}, base, nil
		}
	} else {
		root, err = unix.Open(d.root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, "", &os.PathError{Op: "open", Path: d.root, Err: err}
		}
		if rel == "." {
			return &parentDir{fd: root, dir: dir}, base, nil
		}
		defer unix.Close(root)
	}
	fd, err := unix.Openat2(root, rel, &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS})
	switch {
	case errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EXDEV):
		return nil, "", fmt.Errorf("flaxfile: %s: a symbolic link on the way; not written through", path)
	case errors.Is(err, unix.ENOSYS):
		// A kernel before 5.6: the portable check, then the plain path.
		if err := d.checkDirs(path); err != nil {
			return nil, "", err
		}
		fd, err = unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, "", &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return &parentDir{fd: fd, dir: dir}, base, nil
}

func (p *parentDir) close() {
	if !p.held {
		unix.Close(p.fd)
	}
}

// open opens name with flags, refusing a symbolic link in its place.
func (p *parentDir) open(name string, flags int, perm os.FileMode) (*os.File, error) {
	path := filepath.Join(p.dir, name)
	fd, err := unix.Openat(p.fd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm.Perm()))
	if errors.Is(err, unix.ELOOP) {
		return nil, fmt.Errorf("flaxfile: %s is a symbolic link; not written through", path)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// setTimes sets name's times, a link's own at most.
func (p *parentDir) setTimes(name string, t time.Time) error {
	ts := unix.NsecToTimespec(t.UnixNano())
	if err := unix.UtimesNanoAt(p.fd, name, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "chtimes", Path: filepath.Join(p.dir, name), Err: err}
	}
	return nil
}

// rename renames from to to, both in p.
func (p *parentDir) rename(from, to string) error {
	if err := unix.Renameat(p.fd, from, p.fd, to); err != nil {
		return &os.LinkError{Op: "rename", Old: filepath.Join(p.dir, from), New: filepath.Join(p.dir, to), Err: err}
	}
	return nil
}
