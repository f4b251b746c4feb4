package zmtp

import (
	"bytes"
	"errors"
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

// A Stream may hand the frame's writer a reader of another socket (its
// ReadFrom splices between them): the frame takes no more than its
// length of what the socket holds, and arrives whole.
func TestStreamedFrameFromSocket(t *testing.T) {
	ctx := testCtx(t)
	c, sc := connectedPair(t, nil)
	data := randFrames(t, 2<<20+5)[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		w, err := ln.Accept()
		if err != nil {
			return
		}
		defer w.Close()
		_, _ = w.Write(data)
	}()
	src, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	const n = 1<<20 + 3
	var copied int64
	parts := []Part{{Len: n, Stream: func(w io.Writer) error {
		rf, ok := w.(io.ReaderFrom)
		if !ok {
			return errors.New("a streamed frame's writer has no ReadFrom")
		}
		var err error
		copied, err = rf.ReadFrom(&io.LimitedReader{R: src, N: int64(len(data))})
		return err
	}}, {Data: []byte("END")}}
	if err := sc.SendParts(ctx, parts); err != nil {
		t.Fatal(err)
	}
	if copied != n {
		t.Fatalf("ReadFrom took %d octets for a frame of %d", copied, n)
	}
	m, err := c.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameFrames(t, m.Frames, [][]byte{data[:n], []byte("END")})
	m.Release()
}
