package curve

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/zmtp"
	"golang.org/x/crypto/nacl/box"
)

func TestZ85Vector(t *testing.T) {
	// RFC 32 §4.
	raw := []byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B}
	s, err := Z85Encode(raw)
	if err != nil || s != "HelloWorld" {
		t.Fatalf("encode: %q %v", s, err)
	}
	b, err := Z85Decode("HelloWorld")
	if err != nil || !bytes.Equal(b, raw) {
		t.Fatalf("decode: %x %v", b, err)
	}
	for _, bad := range []string{"Hell", "Hell~World", "#####"} {
		if _, err := Z85Decode(bad); !errors.Is(err, ErrZ85) {
			t.Errorf("Z85Decode(%q) = %v, want ErrZ85", bad, err)
		}
	}
}

func TestZ85KeyRoundTrip(t *testing.T) {
	// The public key of FlaxFile 1.2's test password (compat §7).
	pub, _ := hex.DecodeString("9f96dda4adf7ff3fa3b57f5750993592fbd510f3c602a94e3aee0b2a4a00a347")
	k := Key(pub)
	if got := k.String(); got != "Po!reT[R&WQQtOMp)<h7}{=nH-SAbmi{)w9n=URR" {
		t.Fatalf("Z85 %q", got)
	}
	back, err := ParseKey(k.String())
	if err != nil || back != k {
		t.Fatalf("ParseKey: %v", err)
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echoServer runs a CURVE Router that echoes every message.
func echoServer(t testing.TB, authorize func(Key) error) (*zmtp.Router, Key) {
	t.Helper()
	pub, sec, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	mech, err := NewServer(sec, authorize)
	if err != nil {
		t.Fatal(err)
	}
	if mech.PublicKeyOf() != pub {
		t.Fatal("server public key differs from the generated one")
	}
	return echo(t, mech), pub
}

// echo runs a Router with mech that echoes every message.
func echo(t testing.TB, mech *Server) *zmtp.Router {
	t.Helper()
	r, err := zmtp.Listen("127.0.0.1:0", &zmtp.Options{Mechanism: mech, HandshakeTimeout: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	go func() {
		for {
			c, err := r.Accept(context.Background())
			if err != nil {
				return
			}
			go func() {
				for {
					m, err := c.Recv(context.Background())
					if err != nil {
						return
					}
					err = c.Send(context.Background(), m.Frames...)
					m.Release()
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return r
}

// TestGoToGoCurve: two Go peers agree on the client's first cipher unless
// either keeps RFC 26's boxes, and every size of message crosses whole.
func TestGoToGoCurve(t *testing.T) {
	for _, tc := range []struct {
		client, server bool // Classic
		want           string
	}{
		{false, false, offeredCiphers()[0]},
		{true, false, CipherXSalsa20},
		{false, true, CipherXSalsa20},
		{true, true, CipherXSalsa20},
	} {
		t.Run(fmt.Sprintf("classic client %v server %v", tc.client, tc.server), func(t *testing.T) {
			ctx := testCtx(t)
			pub, sec, _ := GenerateKeyPair()
			mech, err := NewServer(sec, nil)
			if err != nil {
				t.Fatal(err)
			}
			mech.Classic = tc.server
			r := echo(t, mech)
			c, err := zmtp.Dial(ctx, r.Addr().String(), &zmtp.Options{Mechanism: &Client{ServerKey: pub, Classic: tc.client}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Cipher() != tc.want {
				t.Fatalf("cipher %q, want %q", c.Cipher(), tc.want)
			}
			echoCheck(ctx, t, c)
		})
	}
}

// echoCheck sends messages of many sizes over c twice and checks that
// each comes back whole.
func echoCheck(ctx context.Context, t *testing.T, c *zmtp.Conn) {
	t.Helper()
	sizes := []int{0, 1, 255, 256, 4 << 20, 32 << 20}
	want := make([][]byte, len(sizes))
	for i, n := range sizes {
		want[i] = make([]byte, n)
		_, _ = rand.Read(want[i])
	}
	for range 2 {
		if err := c.Send(ctx, want...); err != nil {
			t.Fatal(err)
		}
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Frames) != len(want) {
			t.Fatalf("%d frames", len(m.Frames))
		}
		for i := range want {
			if !bytes.Equal(m.Frames[i], want[i]) {
				t.Fatalf("frame %d differs", i)
			}
		}
		m.Release()
	}
}

func TestWrongServerKeyFailsFast(t *testing.T) {
	ctx := testCtx(t)
	r, _ := echoServer(t, nil)
	other, _, _ := GenerateKeyPair()
	start := time.Now()
	_, err := zmtp.Dial(ctx, r.Addr().String(), &zmtp.Options{Mechanism: &Client{ServerKey: other}})
	var he *zmtp.HandshakeError
	if !errors.As(err, &he) {
		t.Fatalf("got %v, want a HandshakeError", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
	t.Log(err)
}

func TestMechanismMismatch(t *testing.T) {
	ctx := testCtx(t)
	r, pub := echoServer(t, nil)
	_, err := zmtp.Dial(ctx, r.Addr().String(), nil)
	var mm *zmtp.MechanismMismatchError
	if !errors.As(err, &mm) || mm.Remote != "CURVE" {
		t.Fatalf("plain client against CURVE server: %v", err)
	}
	plain, err := zmtp.Listen("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	_, err = zmtp.Dial(ctx, plain.Addr().String(), &zmtp.Options{Mechanism: &Client{ServerKey: pub}})
	if !errors.As(err, &mm) || mm.Remote != "NULL" {
		t.Fatalf("CURVE client against plain server: %v", err)
	}
}

func TestAuthorizeHook(t *testing.T) {
	ctx := testCtx(t)
	allowedPub, allowedSec, _ := GenerateKeyPair()
	r, pub := echoServer(t, func(k Key) error {
		if k != allowedPub {
			return errors.New("client key not authorized")
		}
		return nil
	})
	c, err := zmtp.Dial(ctx, r.Addr().String(), &zmtp.Options{Mechanism: &Client{ServerKey: pub, PublicKey: allowedPub, SecretKey: allowedSec}})
	if err != nil {
		t.Fatalf("authorized client: %v", err)
	}
	c.Close()
	_, err = zmtp.Dial(ctx, r.Addr().String(), &zmtp.Options{Mechanism: &Client{ServerKey: pub}})
	var pe *zmtp.PeerError
	if !errors.As(err, &pe) || pe.Reason != "client key not authorized" {
		t.Fatalf("unknown client: %v", err)
	}
}

// pair returns the two codecs of one session, as a handshake would.
func pair(t *testing.T) (client, server *codec) {
	var key [32]byte
	_, _ = rand.Read(key[:])
	pool := zmtp.NewBufferPool(zmtp.DefaultPoolRetain)
	client = &codec{key: key, pool: pool, sendPrefix: prefixMsgC, recvPrefix: prefixMsgS, sendNonce: 2, recvNonce: 1}
	server = &codec{key: key, pool: pool, sendPrefix: prefixMsgS, recvPrefix: prefixMsgC, sendNonce: 1, recvNonce: 2}
	return client, server
}

// openWire decodes the wire bytes of one sealed frame with c.
func openWire(c *codec, wire []byte) (byte, []byte, error) {
	var hb [zmtp.MaxHeaderSize]byte
	h, err := zmtp.ReadFrameHeader(bytes.NewReader(wire), &hb)
	if err != nil {
		return 0, nil, err
	}
	body := wire[len(wire)-int(h.Size):]
	return c.Open(make([]byte, len(body)), h, body)
}

func TestMessageLayout(t *testing.T) {
	cl, sv := pair(t)
	wire, err := cl.Seal(nil, zmtp.FlagMore, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	// RFC 26 §2.8: a frame (flags 0 as libzmq sends it, short size), name
	// "MESSAGE", 8-octet nonce, then Box[flags + payload].
	want := []byte{0x00, byte(messageOverhead + 5), 7, 'M', 'E', 'S', 'S', 'A', 'G', 'E', 0, 0, 0, 0, 0, 0, 0, 3}
	if !bytes.Equal(wire[:len(want)], want) {
		t.Fatalf("header % x, want % x", wire[:len(want)], want)
	}
	plain, ok := box.OpenAfterPrecomputation(nil, wire[len(want):], shortNonce(prefixMsgC, 3), &cl.key)
	if !ok || !bytes.Equal(plain, []byte("\x01hello")) {
		t.Fatalf("box plaintext %q", plain)
	}
	flags, payload, err := openWire(sv, wire)
	if err != nil || flags != zmtp.FlagMore || string(payload) != "hello" {
		t.Fatalf("open: %x %q %v", flags, payload, err)
	}
	// The same box again is a replay.
	if _, _, err := openWire(sv, wire); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
	// A flipped bit is a bad box.
	wire2, _ := cl.Seal(nil, 0, []byte("x"))
	wire2[len(wire2)-1] ^= 1
	if _, _, err := openWire(sv, wire2); !errors.Is(err, ErrBox) {
		t.Fatalf("tampered: %v", err)
	}
}

func TestCommandLayouts(t *testing.T) {
	// RFC 26 fixes the sizes of HELLO (200 octets with its name) and
	// WELCOME (168); INITIATE is at least 257, READY at least 30.
	h := appendHello(nil, hello{nonce: 1, box: make([]byte, 80)})
	if got := len(zmtp.AppendCommandBody(nil, "HELLO", h)); got != 200 {
		t.Errorf("HELLO is %d octets", got)
	}
	if h[0] != 1 || h[1] != 0 || !bytes.Equal(h[2:74], make([]byte, 72)) {
		t.Errorf("HELLO version or padding wrong: % x", h[:74])
	}
	w := appendWelcome(nil, welcome{box: make([]byte, 144)})
	if got := len(zmtp.AppendCommandBody(nil, "WELCOME", w)); got != 168 {
		t.Errorf("WELCOME is %d octets", got)
	}
	if got := 1 + 8 + initiateMinSize; got != 257 {
		t.Errorf("minimum INITIATE is %d octets", got)
	}
	if got := 1 + 5 + readyMinSize; got != 30 {
		t.Errorf("minimum READY is %d octets", got)
	}
	for _, c := range []zmtp.Command{
		{Name: "HELLO", Data: make([]byte, 193)},
		{Name: "WELCOME", Data: make([]byte, 161)},
		{Name: "INITIATE", Data: make([]byte, initiateMinSize-1)},
		{Name: "READY", Data: make([]byte, readyMinSize-1)},
	} {
		var err error
		switch c.Name {
		case "HELLO":
			_, err = parseHello(c)
		case "WELCOME":
			_, err = parseWelcome(c)
		case "INITIATE":
			_, err = parseInitiate(c)
		case "READY":
			_, err = parseReady(c)
		}
		if !errors.Is(err, zmtp.ErrProtocol) {
			t.Errorf("short %s accepted: %v", c.Name, err)
		}
	}
}
