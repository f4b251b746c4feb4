package dirsync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/flaxfile/flaxfile"
)

// Push makes the directory remote on the server match the local
// directory dir: files missing or different there are sent (small ones
// batched, big ones over several connections, interrupted ones resumed),
// and with Delete the server's files that dir lacks are deleted after.
// Keys are remote + "/" + the path below dir with "/" separators.
func Push(ctx context.Context, c *flaxfile.Client, dir, remote string, o *Options) (*Result, error) {
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %s does not exist", ErrMissingSource, dir)
	case err == nil && !fi.IsDir():
		return nil, fmt.Errorf("%w: %s is not a directory", ErrMissingSource, dir)
	}
	return run(ctx, c, dir, remote, o, direction{
		push: true,
		spec: func(prefix string, f File) (flaxfile.FileSpec, error) {
			return flaxfile.FileSpec{Key: prefix + f.Rel, Path: filepath.Join(dir, filepath.FromSlash(f.Rel))}, nil
		},
		transfer: c.SetFileSeq,
		remove:   func(prefix string, f File) error { return c.Delete(ctx, prefix+f.Rel) },
	})
}
