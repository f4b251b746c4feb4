package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/flaxfile/flaxfile"
)

// stdio is the path "-": standard input for set, standard output for get.
const stdio = "-"

// transfer is one file of a set or get: a local path and a key.
type transfer struct {
	path, key string
}

// isDirArg reports that a destination names a directory: it ends with a
// slash, or it is one.
func isDirArg(a string) bool {
	if strings.HasSuffix(a, "/") || strings.HasSuffix(a, string(filepath.Separator)) {
		return true
	}
	fi, err := os.Stat(a)
	return err == nil && fi.IsDir()
}

// setTargets reads set's arguments as cp does: FILE [KEY], FILE KEY/ (the
// file's base name below KEY), FILE... KEY/, or - KEY (standard input).
// Keys are cleaned as the server will store them.
func setTargets(a []string) ([]transfer, error) {
	var out []transfer
	switch {
	case len(a) == 1 && a[0] == stdio:
		return nil, usageError{errors.New("set - needs a KEY: standard input has no name")}
	case len(a) == 1:
		out = []transfer{{a[0], filepath.Base(a[0])}}
	case len(a) == 2 && !strings.HasSuffix(a[1], "/"):
		out = []transfer{{a[0], a[1]}}
	default:
		dir := a[len(a)-1]
		if !strings.HasSuffix(dir, "/") {
			return nil, usageError{fmt.Errorf("set of several files needs a KEY ending in /, not %q", dir)}
		}
		for _, f := range a[:len(a)-1] {
			if f == stdio {
				return nil, usageError{errors.New("set - takes one KEY, not a directory")}
			}
			out = append(out, transfer{f, dir + filepath.Base(f)})
		}
	}
	for i := range out {
		k, err := flaxfile.CleanKey(out[i].key)
		if err == nil && k == "" {
			err = fmt.Errorf("%w: %q names the root", flaxfile.ErrInvalidKey, out[i].key)
		}
		if err != nil {
			return nil, usageError{err}
		}
		out[i].key = k
	}
	return out, nil
}

// getTargets reads get's arguments as cp does: KEY (written under its own
// path, relative), KEY OUTPUT, KEY DIR or KEY DIR/ (DIR/<base name>),
// KEY - (standard output), or KEY... DIR/.
func getTargets(a []string) ([]transfer, error) {
	keys, dest := a, ""
	if len(a) > 1 {
		keys, dest = a[:len(a)-1], a[len(a)-1]
	}
	if len(keys) > 1 && !isDirArg(dest) {
		return nil, usageError{fmt.Errorf("get of several keys needs a directory, not %q", dest)}
	}
	var out []transfer
	for _, raw := range keys {
		k, err := flaxfile.CleanKey(raw)
		if err == nil && k == "" {
			err = fmt.Errorf("%w: %q names the root", flaxfile.ErrInvalidKey, raw)
		}
		if err != nil {
			return nil, usageError{err}
		}
		var p string
		switch {
		case dest == "":
			// Derived from the key: relative, inside the working directory.
			p = filepath.FromSlash(k)
			if filepath.IsAbs(p) || !filepath.IsLocal(p) {
				return nil, usageError{fmt.Errorf("key %q does not make a local path; give an OUTPUT", raw)}
			}
		case dest == stdio:
			if len(keys) > 1 {
				return nil, usageError{errors.New("get - takes one KEY")}
			}
			p = stdio
		case isDirArg(dest):
			p = filepath.Join(dest, path.Base(k))
		default:
			p = dest
		}
		out = append(out, transfer{p, k})
	}
	return out, nil
}

// writable checks, before anything is downloaded, that path can be
// written: its directory exists (or is made) and takes files, and path is
// not a directory or special file.
func writable(p string) error {
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	probe, err := os.CreateTemp(dir, ".flaxfile-write-check-*")
	if err != nil {
		return fmt.Errorf("%s: cannot write there: %w", dir, err)
	}
	probe.Close()
	_ = os.Remove(probe.Name())
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s is a directory", p)
	case !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0:
		return fmt.Errorf("%s is not a regular file", p)
	}
	return nil
}
