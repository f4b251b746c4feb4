package auth

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// Password key derivation, exactly as FlaxFile 1.2 does it.
const (
	// PasswordSalt is 1.2's fixed PBKDF2 salt. Being fixed, it lets the same
	// password give the same key on every deployment, which makes offline
	// guessing cheaper; key-file mode avoids it.
	PasswordSalt = "flaxfile-server-v1"
	// PasswordIterations is 1.2's PBKDF2-HMAC-SHA256 iteration count.
	PasswordIterations = 100000
)

// KeysFromPassword derives a server's CURVE key pair from a password as
// FlaxFile 1.2 does: the secret key is PBKDF2-HMAC-SHA256(password,
// PasswordSalt, PasswordIterations, 32 octets), used as an X25519 scalar
// as it is; the public key is X25519(secret, 9). Clients derive the same
// public key to authenticate the server.
func KeysFromPassword(password string) (public, secret curve.Key, err error) {
	s, err := pbkdf2.Key(sha256.New, password, []byte(PasswordSalt), PasswordIterations, 32)
	if err != nil {
		return public, secret, fmt.Errorf("deriving key: %w", err)
	}
	copy(secret[:], s)
	public, err = curve.PublicKey(secret)
	return public, secret, err
}

// Fingerprint returns the fingerprint FlaxFile 1.2 prints for a server
// public key: "SHA256:", the first 32 hex digits of SHA-256(key), "...".
func Fingerprint(public curve.Key) string {
	sum := sha256.Sum256(public[:])
	return "SHA256:" + hex.EncodeToString(sum[:16]) + "..."
}
