package curve

import (
	"encoding/binary"
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

// Overhead implements zmtp.Codec.
func (c *codec) Overhead() int { return messageOverhead }

// Seal implements zmtp.Codec.
func (c *codec) Seal(dst []byte, flags byte, payload []byte) ([]byte, error) {
	return c.SealFill(dst, flags, len(payload), func(p []byte) error {
		copy(p, payload)
		return nil
	})
}

// SealFill implements zmtp.FillSealer: the payload is written by fill
// straight into the plaintext buffer after the flags octet.
func (c *codec) SealFill(dst []byte, flags byte, n int, fill func(p []byte) error) ([]byte, error) {
	if c.sendNonce == ^uint64(0) {
		return nil, fmt.Errorf("curve: short nonces exhausted")
	}
	var inner byte
	if flags&zmtp.FlagMore != 0 {
		inner |= boxMore
	}
	if flags&zmtp.FlagCommand != 0 {
		inner |= boxCommand
	}
	plain := c.pool.Get(1 + n)
	defer c.pool.Put(plain)
	plain[0] = inner
	if err := fill(plain[1:]); err != nil {
		return nil, err
	}
	c.sendNonce++
	// libzmq sends MESSAGE in a plain message frame, the real flags being
	// inside the box; so do we.
	dst = zmtp.AppendFrameHeader(dst, 0, uint64(messageOverhead+n))
	dst = append(dst, "\x07MESSAGE"...)
	dst = binary.BigEndian.AppendUint64(dst, c.sendNonce)
	return box.SealAfterPrecomputation(dst, plain, shortNonce(c.sendPrefix, c.sendNonce), &c.key), nil
}

// Open implements zmtp.Codec.
func (c *codec) Open(dst []byte, hdr zmtp.FrameHeader, body []byte) (byte, []byte, error) {
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
	if nonce <= c.recvNonce {
		return 0, nil, fmt.Errorf("%w: got %d after %d", ErrReplay, nonce, c.recvNonce)
	}
	plain, ok := box.OpenAfterPrecomputation(dst[:0], sealed, shortNonce(c.recvPrefix, nonce), &c.key)
	if !ok {
		return 0, nil, fmt.Errorf("%w: MESSAGE %d", ErrBox, nonce)
	}
	c.recvNonce = nonce
	inner := plain[0]
	if inner&^(boxMore|boxCommand) != 0 {
		return 0, nil, fmt.Errorf("%w: MESSAGE flags %#x", errMalformed, inner)
	}
	var flags byte
	if inner&boxMore != 0 {
		flags |= zmtp.FlagMore
	}
	if inner&boxCommand != 0 {
		flags |= zmtp.FlagCommand
	}
	return flags, plain[1:], nil
}
