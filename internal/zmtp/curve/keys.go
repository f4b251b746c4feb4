package curve

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/curve25519"
)

// KeySize is the size of a Curve25519 key.
const KeySize = 32

// Key is a Curve25519 public or secret key.
type Key [KeySize]byte

// String returns k in Z85 (40 characters).
func (k Key) String() string {
	s, _ := Z85Encode(k[:]) // 32 is a multiple of 4
	return s
}

// IsZero reports whether k is all zero octets, i.e. unset.
func (k Key) IsZero() bool { return k == Key{} }

// ParseKey decodes a key from 40 characters of Z85.
func ParseKey(s string) (Key, error) {
	var k Key
	if len(s) != 40 {
		return k, fmt.Errorf("%w: a key is 40 characters, got %d", ErrZ85, len(s))
	}
	b, err := Z85Decode(s)
	if err != nil {
		return k, err
	}
	copy(k[:], b)
	return k, nil
}

// PublicKey returns the public key of secret: X25519(secret, 9). The
// secret is used as it is; clamping happens inside the scalar
// multiplication, as in libsodium.
func PublicKey(secret Key) (Key, error) {
	var pub Key
	p, err := curve25519.X25519(secret[:], curve25519.Basepoint)
	if err != nil {
		return pub, fmt.Errorf("curve: %w", err)
	}
	copy(pub[:], p)
	return pub, nil
}

// GenerateKeyPair returns a new random key pair.
func GenerateKeyPair() (public, secret Key, err error) {
	if _, err = rand.Read(secret[:]); err != nil {
		return public, secret, err
	}
	public, err = PublicKey(secret)
	return public, secret, err
}
