package curve

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/flaxfile/flaxfile/internal/zmtp"
	"golang.org/x/crypto/nacl/box"
)

// Client is the client side of CURVE, a zmtp.Mechanism.
type Client struct {
	// ServerKey is the server's long-term public key.
	ServerKey Key
	// PublicKey and SecretKey are the client's long-term key pair. When
	// both are zero each connection makes a fresh random pair, as FlaxFile
	// 1.2 does.
	PublicKey, SecretKey Key
	// Classic keeps RFC 26's XSalsa20-Poly1305 boxes and offers no other
	// cipher: the wire exactly as libzmq and FlaxFile 1.2 send it. Without
	// it the client offers faster ciphers, which a Go server accepts and
	// libzmq ignores.
	Classic bool
}

// Name implements zmtp.Mechanism.
func (*Client) Name() string { return "CURVE" }

// AsServer implements zmtp.Mechanism.
func (*Client) AsServer() bool { return false }

// Handshake implements zmtp.Mechanism: HELLO, WELCOME, INITIATE, READY.
func (m *Client) Handshake(hs *zmtp.Handshake) (zmtp.Codec, error) {
	pub, sec := m.PublicKey, m.SecretKey
	if pub.IsZero() && sec.IsZero() {
		var err error
		if pub, sec, err = GenerateKeyPair(); err != nil {
			return nil, err
		}
	}
	tPub, tSec, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	server := [32]byte(m.ServerKey)
	var nonce uint64 = 1

	// HELLO: Box[64 zero octets](C'->S).
	helloBox := box.Seal(nil, make([]byte, 64), shortNonce(prefixHello, nonce), &server, tSec)
	if err := hs.WriteCommand("HELLO", appendHello(nil, hello{clientTransient: *tPub, nonce: nonce, box: helloBox})); err != nil {
		return nil, err
	}

	// WELCOME: Box[S' + cookie](S->C').
	cmd, err := hs.ReadCommand()
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("the server closed the connection after HELLO: it does not hold the secret key matching the server key we used (wrong password?)")
		}
		return nil, err
	}
	if cmd.Name != "WELCOME" {
		return nil, zmtp.PeerErrorOrUnexpected(cmd, "WELCOME")
	}
	w, err := parseWelcome(cmd)
	if err != nil {
		return nil, err
	}
	plain, ok := box.Open(nil, w.box, longNonce(prefixWelcome, w.nonce[:]), &server, tSec)
	if !ok {
		return nil, fmt.Errorf("%w: WELCOME (wrong server key?)", ErrBox)
	}
	var serverT [32]byte
	copy(serverT[:], plain[:32])
	cookie := plain[32:]

	// INITIATE: cookie, Box[C + vouch + metadata](C'->S'), where
	// vouch = nonce + Box[C' + S](C->S').
	var shared [32]byte
	box.Precompute(&shared, &serverT, tSec)
	var vNonce [16]byte
	if _, err := rand.Read(vNonce[:]); err != nil {
		return nil, err
	}
	longSec := [32]byte(sec)
	vouch := bytes.Clone(vNonce[:])
	vouch = box.Seal(vouch, append(tPub[:], server[:]...), longNonce(prefixVouch, vNonce[:]), &serverT, &longSec)
	meta := hs.Local
	if !m.Classic {
		meta = append(slices.Clone(meta), zmtp.Property{Name: propCiphers, Value: []byte(strings.Join(offeredCiphers(), " "))})
	}
	inner := append(append(pub[:], vouch...), meta.Append(nil)...)
	nonce++
	initBox := box.SealAfterPrecomputation(nil, inner, shortNonce(prefixInitiate, nonce), &shared)
	body := appendInitiate(nil, initiate{cookie: cookie, nonce: nonce, box: initBox})
	if err := hs.WriteCommand("INITIATE", body); err != nil {
		return nil, err
	}

	// READY: Box[metadata](S'->C').
	cmd, err = hs.ReadCommand()
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("the server closed the connection after INITIATE: it refused our client key")
		}
		return nil, err
	}
	if cmd.Name != "READY" {
		return nil, zmtp.PeerErrorOrUnexpected(cmd, "READY")
	}
	r, err := parseReady(cmd)
	if err != nil {
		return nil, err
	}
	if r.nonce == 0 {
		return nil, fmt.Errorf("%w: READY nonce 0", ErrReplay)
	}
	plain, ok = box.OpenAfterPrecomputation(nil, r.box, shortNonce(prefixReady, r.nonce), &shared)
	if !ok {
		return nil, fmt.Errorf("%w: READY", ErrBox)
	}
	peer, err := zmtp.ParseMetadata(plain)
	if err != nil {
		return nil, err
	}
	hs.SetPeer(peer, bytes.Clone(server[:]))
	if chosen, ok := peer.Get(propCipher); ok {
		name := string(chosen)
		if m.Classic || !slices.Contains(offeredCiphers(), name) {
			return nil, fmt.Errorf("%w: the server chose cipher %q, which we did not offer", errMalformed, name)
		}
		return newAEADCodec(name, &shared, tPub, &serverT, true, nonce, r.nonce)
	}
	return &codec{key: shared, pool: hs.Buffers, sendPrefix: prefixMsgC, sendNonce: nonce, recvPrefix: prefixMsgS, recvNonce: r.nonce}, nil
}
