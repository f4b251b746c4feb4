package curve

import (
	"errors"
	"fmt"
)

// z85Alphabet is the Z85 character set (RFC 32 §3).
const z85Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

// z85Decoder maps a character to its value plus one; zero means invalid.
var z85Decoder = func() (d [256]byte) {
	for i := range len(z85Alphabet) {
		d[z85Alphabet[i]] = byte(i + 1)
	}
	return d
}()

// ErrZ85 is wrapped by every Z85 decoding error.
var ErrZ85 = errors.New("curve: invalid Z85")

// Z85Encode encodes src, whose length must be a multiple of 4, as Z85
// (RFC 32): every 4 octets, read as a big-endian number, become 5 base-85
// digits, most significant first.
func Z85Encode(src []byte) (string, error) {
	if len(src)%4 != 0 {
		return "", fmt.Errorf("%w: %d octets is not a multiple of 4", ErrZ85, len(src))
	}
	dst := make([]byte, 0, len(src)/4*5)
	for i := 0; i < len(src); i += 4 {
		v := uint32(src[i])<<24 | uint32(src[i+1])<<16 | uint32(src[i+2])<<8 | uint32(src[i+3])
		var digits [5]byte
		for j := 4; j >= 0; j-- {
			digits[j] = z85Alphabet[v%85]
			v /= 85
		}
		dst = append(dst, digits[:]...)
	}
	return string(dst), nil
}

// Z85Decode decodes Z85 text whose length must be a multiple of 5.
func Z85Decode(s string) ([]byte, error) {
	if len(s)%5 != 0 {
		return nil, fmt.Errorf("%w: %d characters is not a multiple of 5", ErrZ85, len(s))
	}
	dst := make([]byte, 0, len(s)/5*4)
	for i := 0; i < len(s); i += 5 {
		var v uint64
		for j := range 5 {
			d := z85Decoder[s[i+j]]
			if d == 0 {
				return nil, fmt.Errorf("%w: character %q at %d", ErrZ85, s[i+j], i+j)
			}
			v = v*85 + uint64(d-1)
		}
		if v > 0xFFFFFFFF {
			return nil, fmt.Errorf("%w: group at %d overflows 32 bits", ErrZ85, i)
		}
		dst = append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return dst, nil
}
