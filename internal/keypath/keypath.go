// Package keypath is the one rule both sides apply to a key: FlaxFile
// 1.2's normalisation (compat §4), so that a client names the key a
// server will store before it sends anything.
package keypath

import (
	"errors"
	"path"
	"strings"
)

// ErrInvalid is a key that escapes the root or holds a NUL.
var ErrInvalid = errors.New("invalid key")

// Clean drops leading slashes and resolves "." and ".." lexically, as 1.2
// does. The root comes back as "".
func Clean(key string) (string, error) {
	if strings.ContainsRune(key, 0) {
		return "", ErrInvalid
	}
	k := path.Clean(strings.TrimLeft(key, "/"))
	if k == "." {
		return "", nil
	}
	if k == ".." || strings.HasPrefix(k, "../") {
		return "", ErrInvalid
	}
	return k, nil
}
