package dirsync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/flaxfile/flaxfile"
)

// Pull makes the local directory dir match the directory remote on the
// server: files missing or different locally are fetched (written aside
// and renamed into place, with the server's time and mode), and with
// Delete the local files the server lacks are removed after. The same
// ignore rules apply to the local side, so ignored local files are never
// touched.
func Pull(ctx context.Context, c *flaxfile.Client, remote, dir string, o *Options) (*Result, error) {
	var checked string // spec and remove run one file at a time
	return run(ctx, c, dir, remote, o, direction{
		spec: func(prefix string, f File) (flaxfile.FileSpec, error) {
			target, err := localTarget(dir, f.Rel, &checked)
			return flaxfile.FileSpec{Key: prefix + f.Rel, Path: target, Dir: dir}, err
		},
		transfer: c.GetFileSeq,
		remove: func(_ string, f File) error {
			target, err := localTarget(dir, f.Rel, &checked)
			if err == nil {
				err = os.Remove(target)
			}
			return err
		},
	})
}

// localTarget is where rel goes below dir. A path that would leave dir
// (".." components, or through a symbolic link on the way) is refused:
// pulled files never land outside the tree. checked is the last directory
// (below dir) found whole: files after it in the same directory, as most
// are in path order, skip looking at its parts again. This is the early,
// clear refusal; writing itself refuses links on the way again, whatever
// changed meanwhile.
func localTarget(dir, rel string, checked *string) (string, error) {
	clean := path.Clean(rel)
	if clean != rel || rel == "" || strings.HasPrefix(rel, "/") || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%w: %q leaves the directory", flaxfile.ErrInvalidKey, rel)
	}
	parts := strings.Split(rel, "/")
	for _, part := range parts {
		// Whatever the flags: a file written there could be run by git.
		if strings.EqualFold(part, ".git") {
			return "", fmt.Errorf("%w: %s is inside a .git directory; not written", flaxfile.ErrInvalidKey, rel)
		}
	}
	if parent := path.Dir(rel); parent != *checked {
		whole := true
		p := dir
		for _, part := range parts[:len(parts)-1] {
			p = filepath.Join(p, part)
			fi, err := os.Lstat(p)
			if errors.Is(err, fs.ErrNotExist) {
				whole = false
				break // created below, as a directory
			}
			if err != nil {
				return "", err
			}
			if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
				return "", fmt.Errorf("%w: %s: %s is not a directory of the tree", flaxfile.ErrInvalidKey, rel, p)
			}
		}
		if whole {
			*checked = parent
		}
	}
	target := filepath.Join(dir, filepath.FromSlash(rel))
	if fi, err := os.Lstat(target); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("%w: %s is a symbolic link; not written through", flaxfile.ErrInvalidKey, rel)
	}
	return target, nil
}
