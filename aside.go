package flaxfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// writeAside makes path's content with fill, never leaving path
// half-written: fill writes a temporary file beside path (its directory
// is made if missing), which gets mode and, unless zero, mtime, and is
// renamed over path only when fill succeeded; otherwise it is removed.
// Every step goes through d, never through a symbolic link.
func writeAside(d localDir, path string, mode os.FileMode, mtime time.Time, fill func(*os.File) error) error {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmpPath := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".flaxfile-"+hex.EncodeToString(rnd[:]))
	const create = os.O_RDWR | os.O_CREATE | os.O_EXCL
	tmp, err := d.open(tmpPath, create, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			tmp, err = d.open(tmpPath, create, 0o600)
		}
	}
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmpPath)
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
		if err := d.setTimes(tmpPath, mtime); err != nil {
			return err
		}
	}
	// Renaming onto a directory fails (EISDIR): no need to look first.
	if err := d.rename(tmpPath, path); err != nil {
		return err
	}
	done = true
	return nil
}
