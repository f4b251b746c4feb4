package curve

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// tamperProxy forwards a client's stream to server, frame by frame, and
// calls change on every frame after the first two (HELLO and INITIATE):
// change returns the frames to forward instead.
func tamperProxy(t *testing.T, server string, change func(n int, frame []byte) [][]byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		defer in.Close()
		out, err := net.Dial("tcp", server)
		if err != nil {
			return
		}
		defer out.Close()
		go func() { _, _ = io.Copy(in, out) }()
		var greeting [zmtp.GreetingSize]byte
		if _, err := io.ReadFull(in, greeting[:]); err != nil {
			return
		}
		_, _ = out.Write(greeting[:])
		var hb [zmtp.MaxHeaderSize]byte
		for n := 0; ; n++ {
			h, err := zmtp.ReadFrameHeader(in, &hb)
			if err != nil {
				return
			}
			body := make([]byte, h.Size)
			if _, err := io.ReadFull(in, body); err != nil {
				return
			}
			frame := append(zmtp.AppendFrameHeader(nil, h.Flags, h.Size), body...)
			frames := [][]byte{frame}
			if n >= 2 {
				frames = change(n, frame)
			}
			for _, f := range frames {
				if _, err := out.Write(f); err != nil {
					return
				}
			}
		}
	}()
	return ln.Addr().String()
}

// serverSideErr dials through the proxy, sends two messages and returns the
// error that ends the server's side of the connection.
func serverSideErr(t *testing.T, classic bool, change func(n int, frame []byte) [][]byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pub, sec, _ := GenerateKeyPair()
	mech, _ := NewServer(sec, nil)
	r, err := zmtp.Listen("127.0.0.1:0", &zmtp.Options{Mechanism: mech}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	addr := tamperProxy(t, r.Addr().String(), change)
	c, err := zmtp.Dial(ctx, addr, &zmtp.Options{Mechanism: &Client{ServerKey: pub, Classic: classic}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := r.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one", "two"} {
		if err := c.Send(ctx, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	for {
		m, err := sc.Recv(ctx)
		if err != nil {
			return err
		}
		m.Release()
	}
}

func TestReplayedMessageEndsConnection(t *testing.T) {
	for _, classic := range []bool{false, true} {
		err := serverSideErr(t, classic, func(n int, frame []byte) [][]byte {
			return [][]byte{frame, frame} // every MESSAGE twice
		})
		if !errors.Is(err, ErrReplay) {
			t.Fatalf("classic %v: got %v, want ErrReplay", classic, err)
		}
	}
}

func TestTamperedMessageEndsConnection(t *testing.T) {
	for _, classic := range []bool{false, true} {
		for _, at := range []int{20, -1} { // the ciphertext (flags octet), the tag's end
			err := serverSideErr(t, classic, func(n int, frame []byte) [][]byte {
				frame[(at+len(frame))%len(frame)] ^= 0x40
				return [][]byte{frame}
			})
			if !errors.Is(err, ErrBox) {
				t.Fatalf("classic %v, octet %d: got %v, want ErrBox", classic, at, err)
			}
		}
	}
}
