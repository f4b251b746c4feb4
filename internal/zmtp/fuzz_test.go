package zmtp

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
	"testing/iotest"
)

func FuzzGreeting(f *testing.F) {
	g := Greeting{Major: 3, Minor: 1, Mechanism: "CURVE", AsServer: true}.Marshal()
	f.Add(g[:])
	g = Greeting{Major: 3, Minor: 0, Mechanism: "NULL"}.Marshal()
	f.Add(g[:])
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseGreeting(b)
		if err != nil {
			return
		}
		// What parses re-encodes to the same fields.
		m := g.Marshal()
		g2, err := ParseGreeting(m[:])
		if err != nil || g2 != g {
			t.Fatalf("round trip: %+v -> %+v, %v", g, g2, err)
		}
	})
}

// FuzzFrames encodes frames cut from the input, then decodes them through a
// reader that returns one octet at a time, and compares.
func FuzzFrames(f *testing.F) {
	f.Add([]byte{3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, uint16(300))
	f.Fuzz(func(t *testing.T, data []byte, long uint16) {
		var frames [][]byte
		for len(data) > 0 {
			n := min(int(data[0]), len(data)-1)
			frames = append(frames, data[1:1+n])
			data = data[1+n:]
		}
		frames = append(frames, bytes.Repeat([]byte{7}, int(long%2048)))
		var wire []byte
		for i, fr := range frames {
			var flags byte
			if i < len(frames)-1 {
				flags = FlagMore
			}
			wire = AppendFrameHeader(wire, flags, uint64(len(fr)))
			wire = append(wire, fr...)
		}
		r := iotest.OneByteReader(bytes.NewReader(wire))
		var hb [MaxHeaderSize]byte
		for i, want := range frames {
			h, err := ReadFrameHeader(r, &hb)
			if err != nil {
				t.Fatal(err)
			}
			if h.More() != (i < len(frames)-1) || h.Size != uint64(len(want)) {
				t.Fatalf("frame %d: header %+v", i, h)
			}
			got := make([]byte, h.Size)
			if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("frame %d: body differs (%v)", i, err)
			}
		}
	})
}

// FuzzCommandDecoders feeds arbitrary bodies to every command decoder.
func FuzzCommandDecoders(f *testing.F) {
	f.Add(AppendCommandBody(nil, CmdReady, Metadata{{Name: PropSocketType, Value: []byte("DEALER")}, {Name: PropIdentity}}.Append(nil)))
	f.Add(AppendCommandBody(nil, CmdPing, AppendPingData(nil, Ping{TTL: 30, Context: []byte("ctx")})))
	f.Add(AppendCommandBody(nil, CmdError, AppendErrorData(nil, "no")))
	f.Fuzz(func(t *testing.T, body []byte) {
		cmd, err := ParseCommand(body)
		if err != nil {
			return
		}
		if m, err := ParseMetadata(cmd.Data); err == nil {
			m2, err := ParseMetadata(m.Append(nil))
			if err != nil || len(m2) != len(m) {
				t.Fatalf("metadata round trip: %v", err)
			}
		}
		_, _ = ParsePing(cmd.Data)
		_, _ = ParseError(cmd.Data)
	})
}

// FuzzConnInput feeds arbitrary octets to a live connection's reader after
// the handshake: it must end the connection or deliver messages within the
// size limit, never panic or allocate beyond it.
func FuzzConnInput(f *testing.F) {
	f.Add(append(AppendFrameHeader(nil, FlagMore, 1), 'a', 0, 0))
	f.Add(AppendCommandFrame(nil, CmdPing, []byte{0, 10}))
	f.Add([]byte{FlagLong, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		client, server := net.Pipe()
		o := (&Options{MaxMessageSize: 1 << 16}).withDefaults()
		c := newConn(server, bufioReader(server), nil, &Handshake{Peer: Greeting{Major: 3, Minor: 1}}, &o)
		c.start()
		go func() {
			_, _ = client.Write(in)
			client.Close()
		}()
		go func() { _, _ = io.Copy(io.Discard, client) }()
		for {
			m, err := c.Recv(testCtx(t))
			if err != nil {
				break
			}
			var total int
			for _, fr := range m.Frames {
				total += len(fr)
			}
			if int64(total) > o.MaxMessageSize {
				t.Fatalf("message of %d octets over the limit", total)
			}
			m.Release()
		}
		c.Close()
	})
}

func bufioReader(nc net.Conn) *bufio.Reader { return bufio.NewReader(nc) }
