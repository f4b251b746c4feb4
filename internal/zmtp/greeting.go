package zmtp

import (
	"bytes"
	"fmt"
)

// GreetingSize is the length of a ZMTP 3.x greeting (RFC 23 §2.3).
const GreetingSize = 64

// signatureSize is the length of the signature that starts the greeting:
// %xFF, 8 padding octets, %x7F (RFC 23 §2.3).
const signatureSize = 10

// Greeting is the fixed-size block each peer sends first (RFC 23 §2.3,
// RFC 37 §2.3).
type Greeting struct {
	// Major and Minor are the protocol version; we send 3.1.
	Major, Minor byte
	// Mechanism is the security mechanism name, at most 20 ASCII octets.
	Mechanism string
	// AsServer is true when the sender takes the server role of the
	// mechanism (meaningful for CURVE; false for NULL).
	AsServer bool
}

// Marshal returns the 64 octets of g.
func (g Greeting) Marshal() [GreetingSize]byte {
	var b [GreetingSize]byte
	b[0] = 0xFF
	b[9] = 0x7F
	b[10] = g.Major
	b[11] = g.Minor
	copy(b[12:32], g.Mechanism)
	if g.AsServer {
		b[32] = 1
	}
	return b
}

// checkSignature validates the first 10 octets of a greeting. Only the first
// and last octet are fixed; the padding is ignored as RFC 23 allows, since
// older peers put a length there.
func checkSignature(b []byte) error {
	if len(b) < signatureSize || b[0] != 0xFF || b[9]&0x01 == 0 {
		return fmt.Errorf("%w: peer did not send a ZMTP 3 greeting", ErrProtocol)
	}
	return nil
}

// ParseGreeting decodes a 64-octet greeting. It accepts any version from 3.0
// up and rejects anything that is not a ZMTP 3 greeting.
func ParseGreeting(b []byte) (Greeting, error) {
	if len(b) != GreetingSize {
		return Greeting{}, fmt.Errorf("%w: greeting of %d octets", ErrProtocol, len(b))
	}
	if err := checkSignature(b); err != nil {
		return Greeting{}, err
	}
	g := Greeting{Major: b[10], Minor: b[11], AsServer: b[32] == 1}
	if g.Major < 3 {
		return Greeting{}, fmt.Errorf("%w: peer speaks ZMTP %d.%d, need 3.0 or later", ErrProtocol, g.Major, g.Minor)
	}
	if b[32] > 1 {
		return Greeting{}, fmt.Errorf("%w: as-server octet is %d", ErrProtocol, b[32])
	}
	mech := b[12:32]
	if i := bytes.IndexByte(mech, 0); i >= 0 {
		if bytes.IndexFunc(mech[i:], func(r rune) bool { return r != 0 }) >= 0 {
			return Greeting{}, fmt.Errorf("%w: mechanism name is not null-padded", ErrProtocol)
		}
		mech = mech[:i]
	}
	for _, c := range mech {
		if !isMechanismChar(c) {
			return Greeting{}, fmt.Errorf("%w: bad character %#x in mechanism name", ErrProtocol, c)
		}
	}
	g.Mechanism = string(mech)
	return g, nil
}

// isMechanismChar reports whether c may appear in a mechanism name
// (RFC 23 §2.3: upper-case letters, digits, "-", "_", ".", "+").
func isMechanismChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '+'
}

// supportsHeartbeats reports whether a peer that sent g understands PING and
// PONG (ZMTP 3.1 and later).
func (g Greeting) supportsHeartbeats() bool {
	return g.Major > 3 || g.Minor >= 1
}
