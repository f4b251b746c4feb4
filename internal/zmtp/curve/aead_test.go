package curve

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/flaxfile/flaxfile/internal/zmtp"
)

func TestChooseCipher(t *testing.T) {
	for offer, want := range map[string]string{
		"aes-256-gcm chacha20-poly1305": CipherAESGCM,
		"chacha20-poly1305 aes-256-gcm": CipherChaCha,
		"rot13  aes-256-gcm":            CipherAESGCM,
		"xsalsa20-poly1305 rot13":       "",
		"":                              "",
	} {
		if got := chooseCipher([]byte(offer)); got != want {
			t.Errorf("chooseCipher(%q) = %q, want %q", offer, got, want)
		}
	}
}

// aeadPair returns the two codecs of one session, as a handshake would.
func aeadPair(t *testing.T, name string) (client, server *aeadCodec) {
	t.Helper()
	var shared, ct, st [32]byte
	for _, k := range []*[32]byte{&shared, &ct, &st} {
		_, _ = rand.Read(k[:])
	}
	client, err := newAEADCodec(name, &shared, &ct, &st, true, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	server, err = newAEADCodec(name, &shared, &ct, &st, false, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	return client, server
}

func TestAEADMessageLayout(t *testing.T) {
	for _, name := range []string{CipherAESGCM, CipherChaCha} {
		t.Run(name, func(t *testing.T) {
			cl, sv := aeadPair(t, name)
			wire, err := cl.Seal(nil, zmtp.FlagMore, []byte("hello"))
			if err != nil {
				t.Fatal(err)
			}
			// RFC 26's MESSAGE layout and length; only the box differs.
			want := []byte{0x00, byte(messageOverhead + 5), 7, 'M', 'E', 'S', 'S', 'A', 'G', 'E', 0, 0, 0, 0, 0, 0, 0, 3}
			if !bytes.Equal(wire[:len(want)], want) || len(wire) != 2+messageOverhead+5 {
				t.Fatalf("frame % x, want it to start % x", wire, want)
			}
			if bytes.Contains(wire, []byte("hello")) {
				t.Fatal("payload in the clear")
			}
			var hb [zmtp.MaxHeaderSize]byte
			h, _ := zmtp.ReadFrameHeader(bytes.NewReader(wire), &hb)
			body := bytes.Clone(wire[2:])
			flags, payload, err := sv.OpenInPlace(h, body)
			if err != nil || flags != zmtp.FlagMore || string(payload) != "hello" {
				t.Fatalf("open in place: %x %q %v", flags, payload, err)
			}
			if &payload[0] != &body[len(want)-2+1] {
				t.Error("payload not decoded where it lay")
			}
			// The same box again is a replay.
			if _, _, err := sv.Open(make([]byte, len(wire)), h, wire[2:]); !errors.Is(err, ErrReplay) {
				t.Fatalf("replay: %v", err)
			}
			// A flipped bit is a bad box, and the nonce it carried
			// stays unused.
			w2, _ := cl.Seal(nil, 0, []byte("x"))
			w2[len(w2)-1] ^= 1
			if _, _, err := openAEADWire(sv, w2); !errors.Is(err, ErrBox) {
				t.Fatalf("tampered: %v", err)
			}
			// Each direction has its own key: a box cannot be sent
			// back to the side that sealed it.
			var w3 []byte
			for range 3 { // past the nonces sv has received
				w3, _ = sv.Seal(nil, 0, []byte("to the client"))
			}
			if _, _, err := openAEADWire(sv, bytes.Clone(w3)); !errors.Is(err, ErrBox) {
				t.Fatalf("reflected box: %v", err)
			}
			if _, p, err := openAEADWire(cl, w3); err != nil || string(p) != "to the client" {
				t.Fatalf("server to client: %q %v", p, err)
			}
		})
	}
}

// openAEADWire decodes one sealed frame's wire bytes in place.
func openAEADWire(c *aeadCodec, wire []byte) (byte, []byte, error) {
	var hb [zmtp.MaxHeaderSize]byte
	h, err := zmtp.ReadFrameHeader(bytes.NewReader(wire), &hb)
	if err != nil {
		return 0, nil, err
	}
	return c.OpenInPlace(h, wire[len(wire)-int(h.Size):])
}

// namingServer is a Server that names a cipher in READY whatever the
// client offered.
type namingServer struct {
	*Server
	cipher string
}

func (m namingServer) Handshake(hs *zmtp.Handshake) (zmtp.Codec, error) {
	hs.Local = append(hs.Local, zmtp.Property{Name: propCipher, Value: []byte(m.cipher)})
	return m.Server.Handshake(hs)
}

// TestClientRefusesCipherItDidNotOffer: a READY naming a cipher the client
// did not offer ends the handshake instead of being obeyed.
func TestClientRefusesCipherItDidNotOffer(t *testing.T) {
	ctx := testCtx(t)
	pub, sec, _ := GenerateKeyPair()
	mech, err := NewServer(sec, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cipher  string
		classic bool
	}{{"rot13", false}, {CipherAESGCM, true}} {
		r, err := zmtp.Listen("127.0.0.1:0", &zmtp.Options{Mechanism: namingServer{mech, tc.cipher}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		go func() {
			if c, err := r.Accept(ctx); err == nil {
				c.Close()
			}
		}()
		_, err = zmtp.Dial(ctx, r.Addr().String(), &zmtp.Options{Mechanism: &Client{ServerKey: pub, Classic: tc.classic}})
		if !errors.Is(err, zmtp.ErrProtocol) {
			t.Errorf("server naming %q to a client (classic %v): got %v, want a protocol error", tc.cipher, tc.classic, err)
		}
	}
}
