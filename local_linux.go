package flaxfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unsafe"

	"github.com/flaxfile/flaxfile/internal/tmpname"
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
// The directory below it that the last file went to stays open too
// (sub, at subRel), until the next file goes elsewhere: a batch's files
// come in path order, so most share it. A heldRoot serves one goroutine.
type heldRoot struct {
	fd     int
	sub    int // -1: none
	subRel string
}

// keep makes fd, opened at rel below the root, the held subdirectory,
// closing the one held before.
func (h *heldRoot) keep(rel string, fd int) {
	if h.sub >= 0 {
		unix.Close(h.sub)
	}
	h.sub, h.subRel = fd, rel
}

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
			h = &heldRoot{fd: fd, sub: -1}
			held[d.root] = h
		}
		d.held = h
		return d
	}
	return dir, func() {
		for _, h := range held {
			h.keep("", -1)
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
		if d.held.sub >= 0 && d.held.subRel == rel {
			return &parentDir{fd: d.held.sub, dir: dir, held: true}, base, nil
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
	if d.held != nil {
		d.held.keep(rel, fd)
		return &parentDir{fd: fd, dir: dir, held: true}, base, nil
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

// writeAsideBytes is writeAside for content in memory (a small file of a
// batch). The file is made unnamed (O_TMPFILE), written, timed and linked
// in under its name: where the name is new (a pull into an empty tree),
// the directory changes once, by the name appearing whole, instead of a
// temporary name made, renamed and dropped. Where the name is taken the
// file is linked under a temporary name and renamed over it; where the
// file system cannot make unnamed files, writeAside does it all.
func writeAsideBytes(d localDir, path string, mode os.FileMode, mtime time.Time, data []byte) error {
	p, name, err := d.parentMaking(path)
	if err != nil {
		return err
	}
	defer p.close()
	fd, err := unix.Openat(p.fd, ".", unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, uint32(mode.Perm()))
	if err != nil {
		return p.writeAside(name, mode, mtime, func(f *os.File) error {
			_, err := f.Write(data)
			return err
		})
	}
	defer unix.Close(fd)
	for rest := data; len(rest) > 0; {
		n, err := unix.Write(fd, rest)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "write", Path: path, Err: err}
		}
		rest = rest[n:]
	}
	if !mtime.IsZero() {
		ts := [2]unix.Timespec{unix.NsecToTimespec(mtime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
		// utimensat on the descriptor itself (a NULL path).
		if _, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0); e != 0 {
			return &os.PathError{Op: "chtimes", Path: path, Err: e}
		}
	}
	err = p.link(fd, name)
	if !errors.Is(err, unix.EEXIST) {
		return err
	}
	tmpName := tmpname.Beside(name)
	if err := p.link(fd, tmpName); err != nil {
		return err
	}
	if err := p.rename(tmpName, name); err != nil {
		_ = unix.Unlinkat(p.fd, tmpName, 0)
		return err
	}
	return nil
}

// link gives fd, an unnamed file, the name name in p; it fails with EEXIST
// when name is taken (never replaced, never followed if it is a link).
// Linking by descriptor needs a capability most users lack; then it links
// through /proc/self/fd, as open(2) describes for O_TMPFILE.
func (p *parentDir) link(fd int, name string) error {
	err := unix.Linkat(fd, "", p.fd, name, unix.AT_EMPTY_PATH)
	if err == unix.ENOENT || err == unix.EPERM {
		err = linkByProc(fd, p.fd, name)
	}
	if err != nil && err != unix.EEXIST {
		return &os.LinkError{Op: "link", Old: "(new file)", New: filepath.Join(p.dir, name), Err: err}
	}
	return err
}

// linkByProc is link for those without the capability: through the
// file's entry in /proc/self/fd.
func linkByProc(fd, dir int, name string) error {
	return unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), dir, name, unix.AT_SYMLINK_FOLLOW)
}
