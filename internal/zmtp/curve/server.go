package curve

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"slices"

	"github.com/flaxfile/flaxfile/internal/zmtp"
	"golang.org/x/crypto/nacl/box"
	"golang.org/x/crypto/nacl/secretbox"
)

// Server is the server side of CURVE, a zmtp.Mechanism.
type Server struct {
	// SecretKey is the server's long-term secret key.
	SecretKey Key
	// Authorize decides whether a client whose long-term public key is
	// clientKey may connect, like ZeroMQ's ZAP handler; nil accepts every
	// client, as FlaxFile 1.2 does. A non-nil error refuses the client,
	// which gets an ERROR with the error's text.
	Authorize func(clientKey Key) error
	// Classic ignores a client's offer of faster ciphers and keeps RFC
	// 26's XSalsa20-Poly1305 boxes, as libzmq does.
	Classic bool

	public Key
}

// NewServer returns the mechanism for a server with the given long-term
// secret key.
func NewServer(secret Key, authorize func(clientKey Key) error) (*Server, error) {
	pub, err := PublicKey(secret)
	if err != nil {
		return nil, err
	}
	return &Server{SecretKey: secret, Authorize: authorize, public: pub}, nil
}

// PublicKeyOf returns the server's long-term public key.
func (m *Server) PublicKeyOf() Key { return m.public }

// Name implements zmtp.Mechanism.
func (*Server) Name() string { return "CURVE" }

// AsServer implements zmtp.Mechanism.
func (*Server) AsServer() bool { return true }

// Handshake implements zmtp.Mechanism: HELLO, WELCOME, INITIATE, READY.
// The cookie key is made for this handshake alone and forgotten when it
// ends, so a cookie cannot be replayed on another connection.
func (m *Server) Handshake(hs *zmtp.Handshake) (zmtp.Codec, error) {
	fail := func(reason string, err error) (zmtp.Codec, error) {
		hs.SendError(reason)
		return nil, err
	}
	longSec := [32]byte(m.SecretKey)

	// HELLO: Box[64 zero octets](C'->S).
	cmd, err := hs.ReadCommand()
	if err != nil {
		return nil, err
	}
	if cmd.Name != "HELLO" {
		return nil, zmtp.PeerErrorOrUnexpected(cmd, "HELLO")
	}
	h, err := parseHello(cmd)
	if err != nil {
		return fail("malformed HELLO", err)
	}
	clientT := [32]byte(h.clientTransient)
	plain, ok := box.Open(nil, h.box, shortNonce(prefixHello, h.nonce), &clientT, &longSec)
	if !ok || subtle.ConstantTimeCompare(plain, make([]byte, 64)) != 1 {
		return fail("HELLO box did not open: the client uses another server key", fmt.Errorf("%w: HELLO (the client uses another server key)", ErrBox))
	}

	// WELCOME: Box[S' + cookie](S->C'), cookie = nonce + SecretBox[C' + s'](K).
	tPub, tSec, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	var cookieKey [32]byte
	defer clear(cookieKey[:])
	var cNonce, wNonce [16]byte
	for _, b := range [][]byte{cookieKey[:], cNonce[:], wNonce[:]} {
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
	}
	cookie := secretbox.Seal(bytes.Clone(cNonce[:]), append(clientT[:], tSec[:]...), longNonce(prefixCookie, cNonce[:]), &cookieKey)
	wbox := box.Seal(nil, append(tPub[:], cookie...), longNonce(prefixWelcome, wNonce[:]), &clientT, &longSec)
	if err := hs.WriteCommand("WELCOME", appendWelcome(nil, welcome{nonce: wNonce, box: wbox})); err != nil {
		return nil, err
	}

	// INITIATE: cookie, Box[C + vouch + metadata](C'->S').
	cmd, err = hs.ReadCommand()
	if err != nil {
		return nil, err
	}
	if cmd.Name != "INITIATE" {
		return nil, zmtp.PeerErrorOrUnexpected(cmd, "INITIATE")
	}
	in, err := parseInitiate(cmd)
	if err != nil {
		return fail("malformed INITIATE", err)
	}
	cplain, ok := secretbox.Open(nil, in.cookie[16:], longNonce(prefixCookie, in.cookie[:16]), &cookieKey)
	if !ok || subtle.ConstantTimeCompare(cplain[:32], clientT[:]) != 1 || subtle.ConstantTimeCompare(cplain[32:], tSec[:]) != 1 {
		return fail("invalid cookie", fmt.Errorf("%w: cookie", ErrBox))
	}
	if in.nonce <= h.nonce {
		return fail("INITIATE nonce did not increase", fmt.Errorf("%w: INITIATE %d after HELLO %d", ErrReplay, in.nonce, h.nonce))
	}
	var shared [32]byte
	box.Precompute(&shared, &clientT, tSec)
	iplain, ok := box.OpenAfterPrecomputation(nil, in.box, shortNonce(prefixInitiate, in.nonce), &shared)
	if !ok {
		return fail("INITIATE box did not open", fmt.Errorf("%w: INITIATE", ErrBox))
	}
	var clientLong [32]byte
	copy(clientLong[:], iplain[:32])
	vouch := iplain[32 : 32+vouchSize]
	vplain, ok := box.Open(nil, vouch[16:], longNonce(prefixVouch, vouch[:16]), &clientLong, tSec)
	if !ok || subtle.ConstantTimeCompare(vplain[:32], clientT[:]) != 1 || subtle.ConstantTimeCompare(vplain[32:], m.public[:]) != 1 {
		return fail("invalid vouch", fmt.Errorf("%w: vouch", ErrBox))
	}
	meta, err := zmtp.ParseMetadata(iplain[32+vouchSize:])
	if err != nil {
		return fail("malformed metadata", err)
	}
	if m.Authorize != nil {
		if err := m.Authorize(Key(clientLong)); err != nil {
			return fail(err.Error(), fmt.Errorf("client key %s refused: %w", Key(clientLong), err))
		}
	}

	// READY: Box[metadata](S'->C').
	var nonce uint64 = 1
	local, chosen := hs.Local, ""
	if offer, ok := meta.Get(propCiphers); ok && !m.Classic {
		if chosen = chooseCipher(offer); chosen != "" {
			local = append(slices.Clone(local), zmtp.Property{Name: propCipher, Value: []byte(chosen)})
		}
	}
	rbox := box.SealAfterPrecomputation(nil, local.Append(nil), shortNonce(prefixReady, nonce), &shared)
	if err := hs.WriteCommand("READY", appendReady(nil, ready{nonce: nonce, box: rbox})); err != nil {
		return nil, err
	}
	hs.SetPeer(meta, bytes.Clone(clientLong[:]))
	if chosen != "" {
		return newAEADCodec(chosen, &shared, &clientT, tPub, false, nonce, in.nonce)
	}
	return &codec{key: shared, pool: hs.Buffers, sendPrefix: prefixMsgS, sendNonce: nonce, recvPrefix: prefixMsgC, recvNonce: in.nonce}, nil
}
