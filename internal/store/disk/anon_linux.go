package disk

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"time"
	"unsafe"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/tmpname"
	"golang.org/x/sys/unix"
)

// A small upload is made as an unnamed file in its key's own directory
// (O_TMPFILE) and linked in under the key when committed. Made in
// store.PartialDir and renamed into place, each file added a name to that
// one directory, which every upload in flight shared (its lock was
// contended), and the rename took two directories' locks and removed the
// name again: a fifth of a push's server time for trees of small files.
// An unnamed file also leaves nothing behind when the server stops.

// anonFile is an unnamed file and the directory it will be linked into.
type anonFile struct {
	dir int // the key's directory (O_PATH), open until the file is linked or dropped
}

// createAnon makes an unnamed file in key's directory, which it makes if
// missing; no symbolic link is followed on the way. ok is false where the
// file system cannot make one (the caller then names a temporary file).
func (d *Store) createAnon(key string) (*os.File, *anonFile, bool) {
	dir := path.Dir(key)
	if err := d.mkdirs(dir, false); err != nil {
		return nil, nil, false
	}
	dfd, err := d.fast.openDir(dir)
	if errors.Is(err, unix.ENOENT) { // deleted meanwhile
		if d.mkdirs(dir, true) == nil {
			dfd, err = d.fast.openDir(dir)
		}
	}
	if err != nil {
		return nil, nil, false
	}
	fd, err := unix.Openat(dfd, ".", unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o644)
	if err != nil {
		unix.Close(dfd)
		return nil, nil, false
	}
	return os.NewFile(uintptr(fd), key), &anonFile{dir: dfd}, true
}

// openDir opens dir, a key's directory, for *at calls: beneath the store,
// through no symbolic link.
func (b *beneath) openDir(dir string) (int, error) {
	if dir == "." {
		return unix.Openat(int(b.root.Fd()), ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	fd, err := unix.Openat2(int(b.root.Fd()), dir, &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS})
	if errors.Is(err, unix.ELOOP) {
		return -1, fmt.Errorf("%w: a symbolic link in %s", store.ErrInvalidKey, dir)
	}
	return fd, err
}

// setTimes sets f's times through its descriptor.
func (a *anonFile) setTimes(f *os.File, t time.Time) error {
	ts := [2]unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	// utimensat on the descriptor itself (a NULL path).
	if _, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, f.Fd(), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0); e != 0 {
		return &os.PathError{Op: "chtimes", Path: f.Name(), Err: e}
	}
	return nil
}

// link names f as key in its directory: a new key by linking it in, an
// existing one by linking it under a temporary name and renaming that
// over the key (readers see the old file or the new, never a gap).
func (a *anonFile) link(f *os.File, key string) error {
	base := path.Base(key)
	err := linkFD(int(f.Fd()), a.dir, base)
	if err != unix.EEXIST {
		return wrapLink(key, err)
	}
	tmp := tmpname.Beside(base)
	if err := linkFD(int(f.Fd()), a.dir, tmp); err != nil {
		return wrapLink(key, err)
	}
	if err := unix.Renameat(a.dir, tmp, a.dir, base); err != nil {
		_ = unix.Unlinkat(a.dir, tmp, 0)
		return beneathErr("rename", key, err)
	}
	return nil
}

// linkFD links the unnamed file fd as name in dir. Linking by descriptor
// needs a capability most servers lack; then it links through
// /proc/self/fd, as open(2) describes for O_TMPFILE.
func linkFD(fd, dir int, name string) error {
	err := unix.Linkat(fd, "", dir, name, unix.AT_EMPTY_PATH)
	if err == unix.ENOENT || err == unix.EPERM {
		err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), dir, name, unix.AT_SYMLINK_FOLLOW)
	}
	return err
}

func wrapLink(key string, err error) error {
	if err == nil {
		return nil
	}
	return beneathErr("link", key, err)
}

// relink is link after the key's directory was found deleted meanwhile:
// it is made again and opened anew.
func (a *anonFile) relink(d *Store, f *os.File, key string) error {
	dir := path.Dir(key)
	if err := d.mkdirs(dir, true); err != nil {
		return err
	}
	dfd, err := d.fast.openDir(dir)
	if err != nil {
		return beneathErr("open", dir, err)
	}
	unix.Close(a.dir)
	a.dir = dfd
	return a.link(f, key)
}

// close lets the directory go.
func (a *anonFile) close() { unix.Close(a.dir) }
