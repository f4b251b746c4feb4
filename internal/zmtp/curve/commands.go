package curve

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/flaxfile/flaxfile/internal/zmtp"
	"golang.org/x/crypto/nacl/box"
)

// Sizes from RFC 26 §2.4-2.8, of command data (after the name). A box is
// its plaintext plus box.Overhead.
const (
	helloPadding    = 72
	helloSize       = 2 + helloPadding + 32 + 8 + 64 + box.Overhead // 194
	cookieSize      = 16 + 32 + 32 + box.Overhead                   // nonce, Box[C' + s']
	welcomeSize     = 16 + 32 + cookieSize + box.Overhead           // 160
	vouchSize       = 16 + 32 + 32 + box.Overhead                   // nonce, Box[C' + S]
	initiateMinSize = cookieSize + 8 + 32 + vouchSize + box.Overhead
	readyMinSize    = 8 + box.Overhead
	messageOverhead = 1 + 7 + 8 + box.Overhead + 1 // whole body: name, nonce, tag, flags
)

// Nonce prefixes (RFC 26): 16 octets before an 8-octet short nonce, or 8
// before a 16-octet long nonce.
const (
	prefixHello    = "CurveZMQHELLO---"
	prefixWelcome  = "WELCOME-"
	prefixCookie   = "COOKIE--"
	prefixInitiate = "CurveZMQINITIATE"
	prefixVouch    = "VOUCH---"
	prefixReady    = "CurveZMQREADY---"
	prefixMsgC     = "CurveZMQMESSAGEC" // client to server
	prefixMsgS     = "CurveZMQMESSAGES" // server to client
)

// errMalformed is wrapped by every decoding error of a CURVE command.
var errMalformed = fmt.Errorf("%w: malformed CURVE command", zmtp.ErrProtocol)

// ErrReplay is wrapped when a short nonce does not increase: a replayed,
// reordered or forged box.
var ErrReplay = errors.New("curve: short nonce did not increase")

// ErrBox is wrapped when a box fails to open: a wrong key, or tampering.
var ErrBox = errors.New("curve: box failed to open")

// shortNonce builds a 24-octet nonce from a 16-octet prefix and a counter.
func shortNonce(prefix string, n uint64) *[24]byte {
	var nonce [24]byte
	copy(nonce[:], prefix)
	binary.BigEndian.PutUint64(nonce[16:], n)
	return &nonce
}

// longNonce builds a 24-octet nonce from an 8-octet prefix and 16 octets.
func longNonce(prefix string, tail []byte) *[24]byte {
	var nonce [24]byte
	copy(nonce[:], prefix)
	copy(nonce[8:], tail)
	return &nonce
}

// hello is a decoded HELLO (RFC 26 §2.4).
type hello struct {
	clientTransient Key
	nonce           uint64
	box             []byte
}

func appendHello(dst []byte, h hello) []byte {
	dst = append(dst, 1, 0) // CurveZMQ version 1.0
	dst = append(dst, make([]byte, helloPadding)...)
	dst = append(dst, h.clientTransient[:]...)
	dst = binary.BigEndian.AppendUint64(dst, h.nonce)
	return append(dst, h.box...)
}

func parseHello(cmd zmtp.Command) (hello, error) {
	var h hello
	if cmd.Name != "HELLO" || len(cmd.Data) != helloSize {
		return h, fmt.Errorf("%w: HELLO of %d octets", errMalformed, len(cmd.Data))
	}
	d := cmd.Data
	if d[0] != 1 || d[1] != 0 {
		return h, fmt.Errorf("%w: CurveZMQ version %d.%d, want 1.0", errMalformed, d[0], d[1])
	}
	d = d[2+helloPadding:]
	copy(h.clientTransient[:], d[:32])
	h.nonce = binary.BigEndian.Uint64(d[32:40])
	h.box = d[40:]
	return h, nil
}

// welcome is a decoded WELCOME (RFC 26 §2.5).
type welcome struct {
	nonce [16]byte
	box   []byte
}

func appendWelcome(dst []byte, w welcome) []byte {
	dst = append(dst, w.nonce[:]...)
	return append(dst, w.box...)
}

func parseWelcome(cmd zmtp.Command) (welcome, error) {
	var w welcome
	if cmd.Name != "WELCOME" || len(cmd.Data) != welcomeSize {
		return w, fmt.Errorf("%w: WELCOME of %d octets", errMalformed, len(cmd.Data))
	}
	copy(w.nonce[:], cmd.Data[:16])
	w.box = cmd.Data[16:]
	return w, nil
}

// initiate is a decoded INITIATE (RFC 26 §2.6).
type initiate struct {
	cookie []byte
	nonce  uint64
	box    []byte
}

func appendInitiate(dst []byte, in initiate) []byte {
	dst = append(dst, in.cookie...)
	dst = binary.BigEndian.AppendUint64(dst, in.nonce)
	return append(dst, in.box...)
}

func parseInitiate(cmd zmtp.Command) (initiate, error) {
	var in initiate
	if cmd.Name != "INITIATE" || len(cmd.Data) < initiateMinSize {
		return in, fmt.Errorf("%w: INITIATE of %d octets", errMalformed, len(cmd.Data))
	}
	in.cookie = cmd.Data[:cookieSize]
	in.nonce = binary.BigEndian.Uint64(cmd.Data[cookieSize:])
	in.box = cmd.Data[cookieSize+8:]
	return in, nil
}

// ready is a decoded READY (RFC 26 §2.7).
type ready struct {
	nonce uint64
	box   []byte
}

func appendReady(dst []byte, r ready) []byte {
	dst = binary.BigEndian.AppendUint64(dst, r.nonce)
	return append(dst, r.box...)
}

func parseReady(cmd zmtp.Command) (ready, error) {
	var r ready
	if cmd.Name != "READY" || len(cmd.Data) < readyMinSize {
		return r, fmt.Errorf("%w: READY of %d octets", errMalformed, len(cmd.Data))
	}
	r.nonce = binary.BigEndian.Uint64(cmd.Data)
	r.box = cmd.Data[8:]
	return r, nil
}

// parseMessage splits a MESSAGE command body (name included) into its short
// nonce and box (RFC 26 §2.8).
func parseMessage(body []byte) (nonce uint64, sealed []byte, err error) {
	if len(body) < messageOverhead || string(body[:8]) != "\x07MESSAGE" {
		return 0, nil, fmt.Errorf("%w: MESSAGE of %d octets", errMalformed, len(body))
	}
	return binary.BigEndian.Uint64(body[8:16]), body[16:], nil
}
