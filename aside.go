package flaxfile

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/flaxfile/flaxfile/internal/tmpname"
)

// writeAside makes path's content with fill, never leaving path
// half-written: fill writes a temporary file beside path (its directory
// is made if missing), which gets mode and, unless zero, mtime, and is
// renamed over path only when fill succeeded; otherwise it is removed.
// The directory is opened once, through d, never through a symbolic link,
// and every step is taken from it. mode must have the umask applied
// (umask.Apply, or &^ the umask).
func writeAside(d localDir, path string, mode os.FileMode, mtime time.Time, fill func(*os.File) error) error {
	p, name, err := d.parentMaking(path)
	if err != nil {
		return err
	}
	defer p.close()
	return p.writeAside(name, mode, mtime, fill)
}

// parentMaking is parentOf, making path's directory first if it is
// missing.
func (d localDir) parentMaking(path string) (*parentDir, string, error) {
	p, name, err := d.parentOf(path)
	if errors.Is(err, os.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			p, name, err = d.parentOf(path)
		}
	}
	return p, name, err
}

// writeAside is writeAside for name in p.
func (p *parentDir) writeAside(name string, mode os.FileMode, mtime time.Time, fill func(*os.File) error) error {
	tmpName := tmpname.Beside(name)
	// Created with its final mode (mode has the umask applied already, so
	// the kernel's umask leaves it as it is): no chmod per file.
	tmp, err := p.open(tmpName, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode)
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
	if err := tmp.Close(); err != nil {
		return err
	}
	if !mtime.IsZero() {
		if err := p.setTimes(tmpName, mtime); err != nil {
			return err
		}
	}
	// Renaming onto a directory fails (EISDIR): no need to look first.
	if err := p.rename(tmpName, name); err != nil {
		return err
	}
	done = true
	return nil
}
