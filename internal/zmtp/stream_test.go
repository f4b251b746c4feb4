package zmtp

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// A streamed frame arrives whole between ordinary ones; one whose Stream
// writes another length than it declared fails and closes the connection
// rather than send a frame the peer would misread.
func TestSendStreamedFrame(t *testing.T) {
	ctx := testCtx(t)
	c, sc := connectedPair(t, nil)
	data := randFrames(t, 3<<20+17)[0]
	stream := func(src []byte) func(io.Writer) error {
		return func(w io.Writer) error {
			_, err := io.CopyBuffer(w, bytes.NewReader(src), make([]byte, 64<<10))
			return err
		}
	}
	parts := []Part{{Data: []byte("DATA")}, {Len: int64(len(data)), Stream: stream(data)}, {Data: []byte("END")}}
	if err := sc.SendParts(ctx, parts); err != nil {
		t.Fatal(err)
	}
	m, err := c.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameFrames(t, m.Frames, [][]byte{[]byte("DATA"), data, []byte("END")})
	m.Release()

	// Nor does one that goes on past its length: what goes out stops at
	// the length (the peer may read that frame, whole), the send fails
	// and the connection closes.
	c2, sc2 := connectedPair(t, nil)
	if err := sc2.SendParts(ctx, []Part{{Len: 100, Stream: stream(data[:160])}}); err == nil {
		t.Fatal("a streamed frame that went 60 octets past its length was sent")
	}
	if m, err := c2.Recv(ctx); err == nil {
		sameFrames(t, m.Frames, [][]byte{data[:100]})
		m.Release()
		if _, err := c2.Recv(ctx); err == nil {
			t.Fatal("the connection went on after a frame that went past its length")
		}
	}

	err = sc.SendParts(ctx, []Part{{Len: 100, Stream: stream(data[:60])}})
	if err == nil {
		t.Fatal("a streamed frame 40 octets short was sent")
	}
	if _, err := c.Recv(ctx); err == nil {
		t.Fatal("the peer read a message after a frame cut short")
	}
}

// A streamed frame can take its payload from another connection
// (ReadFromConn, spliced on Linux): it arrives whole, and more than the
// frame has room for is refused before anything moves.
func TestStreamFromConn(t *testing.T) {
	ctx := testCtx(t)
	c, sc := connectedPair(t, nil)
	data := randFrames(t, 2<<20+5)[0]
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		a, err := net.Dial("tcp", l.Addr().String())
		if err == nil {
			_, _ = a.Write(data)
			_ = a.Close()
		}
	}()
	src, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	stream := func(w io.Writer) error {
		sink, ok := w.(interface {
			ReadFromConn(net.Conn, int64) (int64, error)
		})
		if !ok {
			t.Error("a streamed frame's writer cannot take from a connection")
			return nil
		}
		if n, err := sink.ReadFromConn(src, int64(len(data))+1); err == nil || n != 0 {
			t.Errorf("passing one octet past the frame: %d octets, %v", n, err)
		}
		if _, err := w.Write(data[:5]); err != nil {
			return err
		}
		_, err := sink.ReadFromConn(src, int64(len(data))-5)
		return err
	}
	if _, err := io.ReadFull(src, make([]byte, 5)); err != nil { // the first five are written
		t.Fatal(err)
	}
	if err := sc.SendParts(ctx, []Part{{Len: int64(len(data)), Stream: stream}}); err != nil {
		t.Fatal(err)
	}
	m, err := c.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameFrames(t, m.Frames, [][]byte{data})
	m.Release()
}
