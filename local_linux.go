package flaxfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// parent opens the directory that holds path, which lies beneath d's
// root, without following a symbolic link anywhere below the root
// (openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS): a link planted on
// the way, or swapped in meanwhile, is refused, not followed. It returns
// the directory's descriptor (for the caller to close) and path's last
// element.
func (d localDir) parent(path string) (int, string, error) {
	rel, err := d.rel(filepath.Dir(path))
	if err != nil {
		return -1, "", err
	}
	root, err := unix.Open(d.root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, "", &os.PathError{Op: "open", Path: d.root, Err: err}
	}
	if rel == "." {
		return root, filepath.Base(path), nil
	}
	defer unix.Close(root)
	fd, err := unix.Openat2(root, rel, &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS})
	switch {
	case errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EXDEV):
		return -1, "", fmt.Errorf("flaxfile: %s: a symbolic link on the way; not written through", path)
	case errors.Is(err, unix.ENOSYS):
		// A kernel before 5.6: the portable check, then the plain path.
		if err := d.checkDirs(path); err != nil {
			return -1, "", err
		}
		fd, err = unix.Open(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return -1, "", &os.PathError{Op: "open", Path: filepath.Dir(path), Err: err}
	}
	return fd, filepath.Base(path), nil
}

// open opens path (beneath the root) with flags, refusing a symbolic link
// at path itself as on the way.
func (d localDir) open(path string, flags int, perm os.FileMode) (*os.File, error) {
	dir, base, err := d.parent(path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dir)
	fd, err := unix.Openat(dir, base, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm.Perm()))
	if errors.Is(err, unix.ELOOP) {
		return nil, fmt.Errorf("flaxfile: %s is a symbolic link; not written through", path)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// rename moves from to to, both beneath the root, through their real
// directories.
func (d localDir) rename(from, to string) error {
	fdir, fbase, err := d.parent(from)
	if err != nil {
		return err
	}
	defer unix.Close(fdir)
	tdir, tbase, err := d.parent(to)
	if err != nil {
		return err
	}
	defer unix.Close(tdir)
	if err := unix.Renameat(fdir, fbase, tdir, tbase); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

// setTimes sets path's times, not following a link.
func (d localDir) setTimes(path string, t time.Time) error {
	dir, base, err := d.parent(path)
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	ts := unix.NsecToTimespec(t.UnixNano())
	if err := unix.UtimesNanoAt(dir, base, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "chtimes", Path: path, Err: err}
	}
	return nil
}
