package flaxfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"
)

// writeAside makes path's content with fill, never leaving path
// half-written: fill writes a temporary file beside path (its directory
// is made if missing), which gets mode and, unless zero, mtime, and is
// renamed over path only when fill succeeded; otherwise it is removed.
func writeAside(path string, mode os.FileMode, mtime time.Time, fill func(*os.File) error) error {
	dir, pattern := filepath.Dir(path), "."+filepath.Base(path)+".flaxfile-*"
	tmp, err := os.CreateTemp(dir, pattern)
	if errors.Is(err, os.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			tmp, err = os.CreateTemp(dir, pattern)
		}
	}
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if !mtime.IsZero() {
		if err := setTimesNoFollow(tmp.Name(), mtime); err != nil {
			return err
		}
	}
	// Renaming onto a directory fails (EISDIR): no need to look first.
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	done = true
	return nil
}

// readNoFollow reads a file of ours (a journal), refusing a symbolic link
// in its place.
func readNoFollow(path string) ([]byte, error) {
	f, err := openNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
