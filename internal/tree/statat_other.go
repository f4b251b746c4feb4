//go:build !linux

package tree

import (
	"io/fs"
	"os"
	"path/filepath"
)

// statter returns a lookup of names in the open directory d, never
// following a final symbolic link: size, modification time (ns),
// permission bits.
func statter(d *os.File) func(name string) (int64, int64, fs.FileMode, error) {
	dir := d.Name()
	return func(name string) (int64, int64, fs.FileMode, error) {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			return 0, 0, 0, err
		}
		return fi.Size(), fi.ModTime().UnixNano(), fi.Mode().Perm(), nil
	}
}
