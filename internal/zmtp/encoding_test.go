package zmtp

import (
	"bytes"
	"testing"
)

// Byte-exact encodings against the layouts of RFC 23 and RFC 37.
func TestGreetingBytes(t *testing.T) {
	g := Greeting{Major: 3, Minor: 1, Mechanism: "CURVE", AsServer: true}.Marshal()
	want := make([]byte, 64)
	want[0], want[9] = 0xFF, 0x7F // signature: %xFF 8*%x00 %x7F
	want[10], want[11] = 3, 1     // version 3.1
	copy(want[12:], "CURVE")      // mechanism, null-padded to 20
	want[32] = 1                  // as-server
	if !bytes.Equal(g[:], want) {
		t.Fatalf("greeting\n got % x\nwant % x", g, want)
	}
	back, err := ParseGreeting(g[:])
	if err != nil || back.Mechanism != "CURVE" || !back.AsServer || back.Minor != 1 {
		t.Fatalf("parse: %+v %v", back, err)
	}
	// A ZMTP 3.0 peer (libzmq 4.1) is accepted; 2.0 is not.
	g30 := Greeting{Major: 3, Minor: 0, Mechanism: "NULL"}.Marshal()
	if p, err := ParseGreeting(g30[:]); err != nil || p.supportsHeartbeats() {
		t.Fatalf("3.0 greeting: %+v %v", p, err)
	}
	g[10] = 2
	if _, err := ParseGreeting(g[:]); err == nil {
		t.Fatal("accepted ZMTP 2")
	}
}

func TestFrameHeaderBytes(t *testing.T) {
	for _, tc := range []struct {
		flags byte
		size  uint64
		want  []byte
	}{
		{0, 0, []byte{0x00, 0x00}},
		{FlagMore, 255, []byte{0x01, 0xFF}},
		{0, 256, []byte{0x02, 0, 0, 0, 0, 0, 0, 1, 0}},
		{FlagMore, 32 << 20, []byte{0x03, 0, 0, 0, 0, 0x02, 0, 0, 0}},
		{FlagCommand, 6, []byte{0x04, 0x06}},
	} {
		got := AppendFrameHeader(nil, tc.flags, tc.size)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("header(%#x, %d) = % x, want % x", tc.flags, tc.size, got, tc.want)
		}
		var buf [MaxHeaderSize]byte
		h, err := ReadFrameHeader(bytes.NewReader(got), &buf)
		if err != nil || h.Size != tc.size || h.Flags&^FlagLong != tc.flags {
			t.Errorf("read back % x: %+v %v", got, h, err)
		}
	}
}

func TestCommandBytes(t *testing.T) {
	meta := Metadata{{Name: PropSocketType, Value: []byte("DEALER")}, {Name: PropIdentity}}
	got := AppendCommandFrame(nil, CmdReady, meta.Append(nil))
	want := []byte("\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00")
	if !bytes.Equal(got, want) {
		t.Fatalf("READY\n got % x\nwant % x", got, want)
	}
	ping := AppendCommandFrame(nil, CmdPing, AppendPingData(nil, Ping{TTL: 30, Context: []byte("ab")}))
	if want := []byte("\x04\x09\x04PING\x00\x1eab"); !bytes.Equal(ping, want) {
		t.Fatalf("PING % x, want % x", ping, want)
	}
	errFrame := AppendCommandFrame(nil, CmdError, AppendErrorData(nil, "no"))
	if want := []byte("\x04\x09\x05ERROR\x02no"); !bytes.Equal(errFrame, want) {
		t.Fatalf("ERROR % x, want % x", errFrame, want)
	}
	cmd, err := ParseCommand(got[2:])
	if err != nil || cmd.Name != CmdReady {
		t.Fatal(err)
	}
	m, err := ParseMetadata(cmd.Data)
	if st, _ := m.Get("socket-type"); err != nil || string(st) != "DEALER" {
		t.Fatalf("metadata: %v %v", m, err)
	}
}
