package flaxfile

import (
	"fmt"

	"github.com/flaxfile/flaxfile/internal/auth"
	"github.com/flaxfile/flaxfile/internal/keypath"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// Password key derivation, exactly as FlaxFile 1.2 does it.
const (
	// PasswordSalt is 1.2's fixed PBKDF2 salt. Being fixed, it lets the same
	// password give the same key on every deployment, which makes offline
	// guessing cheaper; key-file mode avoids it.
	PasswordSalt = auth.PasswordSalt
	// PasswordIterations is 1.2's PBKDF2-HMAC-SHA256 iteration count.
	PasswordIterations = auth.PasswordIterations
)

// Key is a Curve25519 key: a server's or a client's, public or secret.
type Key [32]byte

// String returns k in Z85, the text form ZeroMQ uses (40 characters).
func (k Key) String() string { return curve.Key(k).String() }

// ParseKey decodes a key from its 40-character Z85 form.
func ParseKey(s string) (Key, error) {
	k, err := curve.ParseKey(s)
	return Key(k), err
}

// GenerateKey returns a new random key pair for key-file mode.
func GenerateKey() (public, secret Key, err error) {
	pub, sec, err := curve.GenerateKeyPair()
	return Key(pub), Key(sec), err
}

// PublicKeyOf returns the public key of a secret key.
func PublicKeyOf(secret Key) (Key, error) {
	pub, err := curve.PublicKey(curve.Key(secret))
	return Key(pub), err
}

// ServerKeysFromPassword derives a server's CURVE key pair from a password
// as FlaxFile 1.2 does: the secret key is PBKDF2-HMAC-SHA256(password,
// PasswordSalt, PasswordIterations, 32 octets), used as an X25519 scalar as
// it is; the public key is X25519(secret, 9). Clients derive the same public
// key to authenticate the server. It costs about 100 000 hash rounds, so
// call it once per password.
func ServerKeysFromPassword(password string) (public, secret Key, err error) {
	pub, sec, err := auth.KeysFromPassword(password)
	if err != nil {
		return public, secret, fmt.Errorf("flaxfile: %w", err)
	}
	return Key(pub), Key(sec), nil
}

// Fingerprint returns the fingerprint FlaxFile 1.2 prints for a server
// public key: "SHA256:", the first 32 hex digits of SHA-256(key), "...".
func Fingerprint(public Key) string { return auth.Fingerprint(curve.Key(public)) }

// CleanKey returns key as a server stores it: leading slashes dropped,
// "." and ".." resolved, as FlaxFile 1.2 does. A key that escapes the root
// or holds a NUL is ErrInvalidKey; the root itself comes back as "".
func CleanKey(key string) (string, error) {
	k, err := keypath.Clean(key)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return k, nil
}
