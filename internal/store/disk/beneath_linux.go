package disk

import (
	"errors"
	"fmt"
	"os"
	"path"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/tmpname"
	"golang.org/x/sys/unix"
)

// beneath is the Linux fast path for the operations a sync of many small
// files repeats: openat2 with RESOLVE_BENEATH confines a whole path to the
// store in one system call, where os.Root opens every component in turn.
// The confinement is the same: no "..", no absolute path and no symbolic
// link may lead out (the kernel refuses with EXDEV).
type beneath struct {
	root    *os.File // the store's directory
	partial *os.File // its store.PartialDir
}

// openBeneath returns the fast path for the store at dir, or nil where
// openat2 is not available (the callers then use os.Root).
func openBeneath(dir string) *beneath {
	root, err := os.Open(dir)
	if err != nil {
		return nil
	}
	fd, err := unix.Openat2(int(root.Fd()), store.PartialDir, &unix.OpenHow{
		Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS})
	if err != nil {
		root.Close()
		return nil
	}
	return &beneath{root: root, partial: os.NewFile(uintptr(fd), path.Join(dir, store.PartialDir))}
}

func (b *beneath) close() {
	b.root.Close()
	b.partial.Close()
}

func beneathErr(op, name string, err error) error {
	if errors.Is(err, unix.EXDEV) {
		return store.ErrInvalidKey
	}
	return &os.PathError{Op: op, Path: name, Err: err}
}

// open opens name below the root.
func (b *beneath) open(name string, flags int, perm uint32) (*os.File, error) {
	fd, err := unix.Openat2(int(b.root.Fd()), name, &unix.OpenHow{
		Flags: uint64(flags | unix.O_CLOEXEC), Mode: uint64(perm), Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		return nil, beneathErr("open", name, err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// openRead opens name below the root for reading without updating its
// access time where the server may (it owns the file): with relatime, the
// first read of a file written since its last read would otherwise dirty
// its inode, one more inode write for every file a pull reads.
func (b *beneath) openRead(name string) (*os.File, error) {
	f, err := b.open(name, os.O_RDONLY|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) {
		return b.open(name, os.O_RDONLY, 0)
	}
	return f, err
}

// createTemp creates a new file in store.PartialDir and returns it with its
// path from the root.
func (b *beneath) createTemp() (*os.File, string, error) {
	name := tmpname.Next()
	fd, err := unix.Openat(int(b.partial.Fd()), name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, "", beneathErr("create", name, err)
	}
	return os.NewFile(uintptr(fd), name), path.Join(store.PartialDir, name), nil
}

// setTimes sets the times of a file of store.PartialDir.
func (b *beneath) setTimes(tmp string, t time.Time) error {
	ts := unix.NsecToTimespec(t.UnixNano())
	if err := unix.UtimesNanoAt(int(b.partial.Fd()), path.Base(tmp), []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return beneathErr("chtimes", tmp, err)
	}
	return nil
}

// rename moves a file of store.PartialDir to key, whose directory exists.
func (b *beneath) rename(tmp, key string) error {
	dir, base := path.Split(key)
	parent := int(b.root.Fd())
	if dir != "" {
		// No symbolic link on the way, even one inside the store: it
		// could lead into store.PartialDir.
		fd, err := unix.Openat2(int(b.root.Fd()), dir, &unix.OpenHow{
			Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS})
		if err != nil {
			if errors.Is(err, unix.ELOOP) {
				return fmt.Errorf("%w: a symbolic link in %s", store.ErrInvalidKey, dir)
			}
			return beneathErr("open", dir, err)
		}
		defer unix.Close(fd) // not an os.File: that costs a system call more
		parent = fd
	}
	if err := unix.Renameat(int(b.partial.Fd()), path.Base(tmp), parent, base); err != nil {
		return beneathErr("rename", key, err)
	}
	return nil
}
