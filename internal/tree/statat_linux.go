package tree

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// statter returns a lookup of names in the open directory d, relative to
// it and never following a final symbolic link: size, modification time
// (ns), permission bits.
func statter(d *os.File) func(name string) (int64, int64, fs.FileMode, error) {
	fd := int(d.Fd())
	return func(name string) (int64, int64, fs.FileMode, error) {
		var st unix.Stat_t
		for {
			err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return 0, 0, 0, &fs.PathError{Op: "lstat", Path: name, Err: err}
			}
			break
		}
		return st.Size, st.Mtim.Nano(), fs.FileMode(st.Mode & 0o777), nil
	}
}
