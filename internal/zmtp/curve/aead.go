package curve

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/flaxfile/flaxfile/internal/zmtp"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/sys/cpu"
)

// Ciphers two FlaxFile peers may agree on for their MESSAGE boxes in place
// of RFC 26's XSalsa20-Poly1305, which stays the cipher with every other
// peer. Both are many times faster on current processors.
const (
	CipherAESGCM   = "aes-256-gcm"
	CipherChaCha   = "chacha20-poly1305"
	CipherXSalsa20 = "xsalsa20-poly1305" // RFC 26's own; never offered, always the fallback
)

// Metadata properties of the offer: the client lists the ciphers it offers,
// best first, in INITIATE; the server names the one it chose in READY.
// Both travel inside the handshake's boxes, so no one on the path can
// change them. A peer that does not know them (libzmq) ignores them and
// the connection keeps RFC 26's boxes.
const (
	propCiphers = "X-FlaxFile-Ciphers"
	propCipher  = "X-FlaxFile-Cipher"
)

// offeredCiphers lists the ciphers a client offers, the one its processor
// runs fastest first.
func offeredCiphers() []string {
	if cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ || cpu.ARM64.HasAES && cpu.ARM64.HasPMULL {
		return []string{CipherAESGCM, CipherChaCha}
	}
	return []string{CipherChaCha, CipherAESGCM}
}

// chooseCipher picks the first cipher of an offer that this side knows, or
// "" when there is none (and so no offer).
func chooseCipher(offer []byte) string {
	for name := range strings.FieldsSeq(string(offer)) {
		if name == CipherAESGCM || name == CipherChaCha {
			return name
		}
	}
	return ""
}

// newAEAD returns the cipher of the given name under key.
func newAEAD(name string, key []byte) (cipher.AEAD, error) {
	switch name {
	case CipherAESGCM:
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		return cipher.NewGCM(b)
	case CipherChaCha:
		return chacha20poly1305.New(key)
	}
	return nil, fmt.Errorf("%w: unknown cipher %q", errMalformed, name)
}

// newAEADCodec derives one key per direction from the session's
// precomputed C'/S' key, bound to both transient public keys and the
// cipher's name, and returns the codec of the client's side (asClient) or
// of the server's. Nonces continue from the handshake's.
func newAEADCodec(name string, shared, clientT, serverT *[32]byte, asClient bool, sendNonce, recvNonce uint64) (*aeadCodec, error) {
	salt := append(slices.Clone(clientT[:]), serverT[:]...)
	keys := make([]cipher.AEAD, 2)
	for i, dir := range []string{"client to server", "server to client"} {
		k, err := hkdf.Key(sha256.New, shared[:], salt, "FlaxFile MESSAGE "+name+" "+dir, 32)
		if err != nil {
			return nil, err
		}
		if keys[i], err = newAEAD(name, k); err != nil {
			return nil, err
		}
	}
	c := &aeadCodec{name: name, send: keys[0], recv: keys[1], sendNonce: sendNonce, recvNonce: recvNonce}
	if !asClient {
		c.send, c.recv = c.recv, c.send
	}
	return c, nil
}

// aeadCodec seals and opens MESSAGE boxes with a negotiated AEAD cipher.
// The frame is RFC 26's MESSAGE with the tag after the ciphertext instead
// of before it: name, 8-octet nonce, then the flags octet and the payload
// encrypted, then the 16-octet tag; so it is exactly as long as RFC 26's.
// It seals and opens in the frame's own buffer.
type aeadCodec struct {
	name string

	send      cipher.AEAD // the writer goroutine's
	sendNonce uint64

	recv      cipher.AEAD // the reader goroutine's
	recvNonce uint64
}

// aeadNonce widens a short nonce to the cipher's 12 octets. Each direction
// has its own key, so the counter alone keeps nonces unique.
func aeadNonce(n uint64) []byte {
	var b [12]byte
	binary.BigEndian.PutUint64(b[4:], n)
	return b[:]
}

// Cipher implements zmtp.Codec.
func (c *aeadCodec) Cipher() string { return c.name }

// Overhead implements zmtp.Codec.
func (c *aeadCodec) Overhead() int { return messageOverhead }

// Seal implements zmtp.Codec.
func (c *aeadCodec) Seal(dst []byte, flags byte, payload []byte) ([]byte, error) {
	return sealCopy(c, dst, flags, payload)
}

// SealFill implements zmtp.FillSealer: fill writes the payload into dst's
// own storage, which is then encrypted where it lies.
func (c *aeadCodec) SealFill(dst []byte, flags byte, n int, fill func(p []byte) error) ([]byte, error) {
	if c.sendNonce == ^uint64(0) {
		return nil, errNoncesExhausted
	}
	dst = appendMessageHead(dst, n, c.sendNonce+1)
	start := len(dst)
	dst = slices.Grow(dst, 1+n+c.send.Overhead())[:start+1+n]
	dst[start] = boxFlags(flags)
	if err := fill(dst[start+1:]); err != nil {
		return nil, err
	}
	c.sendNonce++
	return c.send.Seal(dst[:start], aeadNonce(c.sendNonce), dst[start:], nil), nil
}

// Open implements zmtp.Codec.
func (c *aeadCodec) Open(dst []byte, _ zmtp.FrameHeader, body []byte) (byte, []byte, error) {
	return c.open(dst[:0], body)
}

// OpenInPlace implements zmtp.InPlaceCodec.
func (c *aeadCodec) OpenInPlace(_ zmtp.FrameHeader, body []byte) (byte, []byte, error) {
	return c.open(nil, body)
}

// open decrypts body's box into dst, or where it lies when dst is nil.
func (c *aeadCodec) open(dst, body []byte) (byte, []byte, error) {
	return openMessage(body, &c.recvNonce, func(nonce uint64, sealed []byte) ([]byte, bool) {
		if dst == nil {
			dst = sealed[:0]
		}
		plain, err := c.recv.Open(dst, aeadNonce(nonce), sealed, nil)
		return plain, err == nil
	})
}
