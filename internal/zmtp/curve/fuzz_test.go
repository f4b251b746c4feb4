package curve

import (
	"bytes"
	"testing"

	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// FuzzCommands feeds arbitrary bodies to every CURVE command decoder; what
// decodes must re-encode to the same octets.
func FuzzCommands(f *testing.F) {
	f.Add("HELLO", appendHello(nil, hello{nonce: 1, box: make([]byte, 80)}))
	f.Add("WELCOME", appendWelcome(nil, welcome{box: make([]byte, 144)}))
	f.Add("INITIATE", appendInitiate(nil, initiate{cookie: make([]byte, cookieSize), nonce: 2, box: make([]byte, 200)}))
	f.Add("READY", appendReady(nil, ready{nonce: 1, box: make([]byte, 40)}))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		cmd := zmtp.Command{Name: name, Data: data}
		var again []byte
		if h, err := parseHello(cmd); err == nil {
			// Padding is not checked (libzmq does not either) and
			// re-encodes as zeros.
			data = bytes.Clone(data)
			clear(data[2 : 2+helloPadding])
			again = appendHello(nil, h)
		} else if w, err := parseWelcome(cmd); err == nil {
			again = appendWelcome(nil, w)
		} else if in, err := parseInitiate(cmd); err == nil {
			again = appendInitiate(nil, in)
		} else if r, err := parseReady(cmd); err == nil {
			again = appendReady(nil, r)
		} else {
			return
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("%s did not round-trip", name)
		}
	})
}

// FuzzMessage feeds arbitrary frame bodies to the MESSAGE decoder of a live
// codec: only boxes sealed with the session key may open.
func FuzzMessage(f *testing.F) {
	var key [32]byte
	pool := zmtp.NewBufferPool(zmtp.DefaultPoolRetain)
	sender := &codec{key: key, pool: pool, sendPrefix: prefixMsgC}
	wire, _ := sender.Seal(nil, zmtp.FlagMore, []byte("payload"))
	f.Add(wire[2:])
	f.Add([]byte("\x05ERROR\x02no"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := &codec{key: key, pool: pool, recvPrefix: prefixMsgC}
		flags, payload, err := c.Open(make([]byte, len(body)), zmtp.FrameHeader{Size: uint64(len(body))}, body)
		if err != nil {
			return
		}
		if !bytes.Equal(body, wire[2:]) {
			t.Fatalf("a forged box opened: flags %x payload %q", flags, payload)
		}
	})
}

// FuzzAEADMessage is FuzzMessage for a negotiated cipher, opened in place.
func FuzzAEADMessage(f *testing.F) {
	var shared, ct, st [32]byte
	sender, _ := newAEADCodec(CipherAESGCM, &shared, &ct, &st, true, 0, 0)
	wire, _ := sender.Seal(nil, zmtp.FlagMore, []byte("payload"))
	f.Add(bytes.Clone(wire[2:]))
	f.Add([]byte("\x05ERROR\x02no"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, _ := newAEADCodec(CipherAESGCM, &shared, &ct, &st, false, 0, 0)
		orig := bytes.Clone(body)
		flags, payload, err := c.OpenInPlace(zmtp.FrameHeader{Size: uint64(len(body))}, body)
		if err != nil {
			return
		}
		if !bytes.Equal(orig, wire[2:]) {
			t.Fatalf("a forged box opened: flags %x payload %q", flags, payload)
		}
	})
}

func FuzzZ85(f *testing.F) {
	f.Add("HelloWorld")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Z85Decode(s)
		if err != nil {
			return
		}
		s2, err := Z85Encode(b)
		if err != nil || s2 != s {
			t.Fatalf("round trip %q -> %q (%v)", s, s2, err)
		}
	})
}
