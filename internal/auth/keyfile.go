package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// WriteKeyPair creates a new key pair in path (the secret key, mode 0600)
// and path+".pub" (the public key); neither may exist already. It returns
// the public key's Z85 text.
func WriteKeyPair(path string) (string, error) {
	pub, sec, err := curve.GenerateKeyPair()
	if err != nil {
		return "", err
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
	}
	if err := writeNew(path, sec.String(), 0o600); err != nil {
		return "", err
	}
	if err := writeNew(path+".pub", pub.String(), 0o644); err != nil {
		_ = os.Remove(path)
		return "", err
	}
	return pub.String(), nil
}

// writeNew writes line to a file that must not exist yet.
func writeNew(path, line string, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadSecretKey reads a secret key file ("~/" stands for the home
// directory), refusing one that others may read.
func ReadSecretKey(path string) (curve.Key, error) {
	path = ExpandHome(path)
	b, err := readPrivate(path, "key file")
	if err != nil {
		return curve.Key{}, err
	}
	k, err := curve.ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return curve.Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// ExpandHome replaces a leading "~/" with the home directory.
func ExpandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// ReadPasswordFile reads a password from its first line ("~/" stands for
// the home directory), refusing a file that others may read.
func ReadPasswordFile(path string) (string, error) {
	b, err := readPrivate(ExpandHome(path), "password file")
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// readPrivate reads a small file that only its owner may read (what
// names it in errors), refusing one that others may read, or is not a
// regular file.
func readPrivate(path, what string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > 64<<10 {
		return nil, fmt.Errorf("%s %s is not a small regular file", what, path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s %s is readable by others (mode %v); chmod 600 it", what, path, fi.Mode().Perm())
	}
	return os.ReadFile(path)
}
