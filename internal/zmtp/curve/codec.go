package curve

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/flaxfile/flaxfile/internal/zmtp"
	"golang.org/x/crypto/nacl/box"
)

// Flags inside a MESSAGE box (libzmq's encoding of RFC 26 §2.8).
const (
	boxMore    = 0x01
	boxCommand = 0x02
)

// codec seals and opens MESSAGE boxes for one connection. The send fields
// belong to the connection's writer goroutine, the receive fields to its
// reader goroutine.
type codec struct {
	key  [32]byte // precomputed C'/S' key, the same both ways
	pool zmtp.BufferPool

	sendPrefix string
	sendNonce  uint64 // last short nonce sent

	recvPrefix string
	recvNonce  uint64 // last short nonce received
}

// Cipher implements zmtp.Codec.
func (c *codec) Cipher() string { return CipherXSalsa20 }

// Overhead implements zmtp.Codec.
func (c *codec) Overhead() int { return messageOverhead }

// Seal implements zmtp.Codec.
func (c *codec) Seal(dst []byte, flags byte, payload []byte) ([]byte, error) {
	return sealCopy(c, dst, flags, payload)
}

// sealCopy is Seal by way of SealFill.
func sealCopy(s zmtp.FillSealer, dst []byte, flags byte, payload []byte) ([]byte, error) {
	return s.SealFill(dst, flags, len(payload), func(p []byte) error {
		copy(p, payload)
		return nil
	})
}

// errNoncesExhausted ends a connection that has sent 2^64-1 frames.
var errNoncesExhausted = errors.New("curve: short nonces exhausted")

// appendMessageHead appends what precedes the box of a MESSAGE carrying n
// octets of payload: the frame header (flags 0: libzmq sends MESSAGE in
// a plain message frame, the real flags being inside the box, and so do
// we), the name and the short nonce.
func appendMessageHead(dst []byte, n int, nonce uint64) []byte {
	dst = zmtp.AppendFrameHeader(dst, 0, uint64(messageOverhead+n))
	dst = append(dst, "\x07MESSAGE"...)
	return binary.BigEndian.AppendUint64(dst, nonce)
}

// SealFill implements zmtp.FillSealer: the payload is written by fill
// straight into the plaintext buffer after the flags octet.
func (c *codec) SealFill(dst []byte, flags byte, n int, fill func(p []byte) error) ([]byte, error) {
	if c.sendNonce == ^uint64(0) {
		return nil, errNoncesExhausted
	}
	plain := c.pool.Get(1 + n)
	defer c.pool.Put(plain)
	plain[0] = boxFlags(flags)
	if err := fill(plain[1:]); err != nil {
		return nil, err
	}
	c.sendNonce++
	dst = appendMessageHead(dst, n, c.sendNonce)
	return box.SealAfterPrecomputation(dst, plain, shortNonce(c.sendPrefix, c.sendNonce), &c.key), nil
}

// Open implements zmtp.Codec.
func (c *codec) Open(dst []byte, _ zmtp.FrameHeader, body []byte) (byte, []byte, error) {
	return openMessage(body, &c.recvNonce, func(nonce uint64, sealed []byte) ([]byte, bool) {
		return box.OpenAfterPrecomputation(dst[:0], sealed, shortNonce(c.recvPrefix, nonce), &c.key)
	})
}

// openMessage decodes a received frame body. An ERROR command from the
// peer ends the connection with its reason. A MESSAGE must be well formed,
// its nonce above *last and its box must open with open; *last then moves
// up to its nonce. It returns the flags and payload inside the box.
func openMessage(body []byte, last *uint64, open func(nonce uint64, sealed []byte) ([]byte, bool)) (byte, []byte, error) {
	if len(body) > 0 && int(body[0])+1 <= len(body) && string(body[1:1+int(body[0])]) == zmtp.CmdError {
		cmd, err := zmtp.ParseCommand(body)
		if err != nil {
			return 0, nil, err
		}
		return 0, nil, zmtp.PeerErrorOrUnexpected(cmd, "MESSAGE")
	}
	nonce, sealed, err := parseMessage(body)
	if err != nil {
		return 0, nil, err
	}
	if nonce <= *last {
		return 0, nil, fmt.Errorf("%w: got %d after %d", ErrReplay, nonce, *last)
	}
	plain, ok := open(nonce, sealed)
	if !ok {
		return 0, nil, fmt.Errorf("%w: MESSAGE %d", ErrBox, nonce)
	}
	*last = nonce
	flags, err := frameFlags(plain[0])
	if err != nil {
		return 0, nil, err
	}
	return flags, plain[1:], nil
}

// boxFlags turns a frame's flags into the flags octet inside its box.
func boxFlags(flags byte) byte {
	var inner byte
	if flags&zmtp.FlagMore != 0 {
		inner |= boxMore
	}
	if flags&zmtp.FlagCommand != 0 {
		inner |= boxCommand
	}
	return inner
}

// frameFlags turns the flags octet inside a box back into frame flags.
func frameFlags(inner byte) (byte, error) {
	if inner&^(boxMore|boxCommand) != 0 {
		return 0, fmt.Errorf("%w: MESSAGE flags %#x", errMalformed, inner)
	}
	var flags byte
	if inner&boxMore != 0 {
		flags |= zmtp.FlagMore
	}
	if inner&boxCommand != 0 {
		flags |= zmtp.FlagCommand
	}
	return flags, nil
}
