package zmtp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/pyzmq"
	"github.com/flaxfile/flaxfile/internal/zmtp"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

var interopSizes = []int{0, 1, 255, 256, 4 << 20, 32 << 20}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestInteropDealerToLibzmqRouter: our DEALER against a pyzmq ROUTER that
// echoes, plain and CURVE.
func TestInteropDealerToLibzmqRouter(t *testing.T) {
	for _, encrypted := range []bool{false, true} {
		t.Run(map[bool]string{false: "NULL", true: "CURVE"}[encrypted], func(t *testing.T) {
			ctx := ctxFor(t)
			opts := &zmtp.Options{}
			var args []string
			if encrypted {
				pub, sec, err := curve.GenerateKeyPair()
				if err != nil {
					t.Fatal(err)
				}
				args = append(args, sec.String())
				opts.Mechanism = &curve.Client{ServerKey: pub}
			}
			peer := pyzmq.Start(t, "testdata/peer.py", append([]string{"router"}, args...)...)
			port := peer.Line(t)
			c, err := zmtp.Dial(ctx, "127.0.0.1:"+port, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if want := map[bool]string{true: curve.CipherXSalsa20}[encrypted]; c.Cipher() != want {
				t.Errorf("cipher %q with libzmq, want %q (it ignores our offer)", c.Cipher(), want)
			}
			want := make([][]byte, len(interopSizes))
			for i, n := range interopSizes {
				want[i] = make([]byte, n)
				_, _ = rand.Read(want[i])
			}
			for round := range 2 {
				if err := c.Send(ctx, want...); err != nil {
					t.Fatal(err)
				}
				m, err := c.Recv(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(m.Frames) != len(want) {
					t.Fatalf("round %d: %d frames back, want %d", round, len(m.Frames), len(want))
				}
				for i := range want {
					if !bytes.Equal(m.Frames[i], want[i]) {
						t.Fatalf("round %d: frame %d (%d octets) differs", round, i, len(want[i]))
					}
				}
				m.Release()
			}
		})
	}
}

// TestInteropLibzmqDealerToRouter: a pyzmq DEALER against our ROUTER, which
// echoes, plain and CURVE. The script checks the echo byte for byte and
// prints the SHA-256 of what it sent, which we check against what arrived.
func TestInteropLibzmqDealerToRouter(t *testing.T) {
	for _, encrypted := range []bool{false, true} {
		t.Run(map[bool]string{false: "NULL", true: "CURVE"}[encrypted], func(t *testing.T) {
			ctx := ctxFor(t)
			opts := &zmtp.Options{}
			var extra []string
			if encrypted {
				pub, sec, err := curve.GenerateKeyPair()
				if err != nil {
					t.Fatal(err)
				}
				mech, err := curve.NewServer(sec, nil)
				if err != nil {
					t.Fatal(err)
				}
				opts.Mechanism = mech
				extra = append(extra, pub.String())
			}
			r, err := zmtp.Listen("127.0.0.1:0", opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			sizes := make([]string, len(interopSizes))
			for i, n := range interopSizes {
				sizes[i] = strconv.Itoa(n)
			}
			args := append([]string{"dealer", r.Addr().String(), strings.Join(sizes, ","), "42"}, extra...)
			peer := pyzmq.Start(t, "testdata/peer.py", args...)

			c, err := r.Accept(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if id := c.ID(); len(id) != 5 || id[0] != 0 {
				t.Errorf("identity %x", id)
			}
			if want := map[bool]string{true: curve.CipherXSalsa20}[encrypted]; c.Cipher() != want {
				t.Errorf("cipher %q with libzmq, want %q", c.Cipher(), want)
			}
			if st, _ := c.PeerMetadata().Get(zmtp.PropSocketType); string(st) != "DEALER" {
				t.Errorf("peer socket type %q", st)
			}
			m, err := c.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range m.Frames {
				sum := sha256.Sum256(f)
				got = append(got, hex.EncodeToString(sum[:]))
			}
			if err := c.Send(ctx, m.Frames...); err != nil {
				t.Fatal(err)
			}
			m.Release()
			for i := range interopSizes {
				if line := peer.Line(t); line != got[i] {
					t.Fatalf("frame %d: python sent %s, we got %s", i, line, got[i])
				}
			}
			if err := peer.Wait(); err != nil {
				t.Fatalf("python dealer: %v", err)
			}
		})
	}
}

// TestInteropWrongServerKey: libzmq closes the connection when HELLO does
// not open; our client must say the handshake failed, within seconds.
func TestInteropWrongServerKey(t *testing.T) {
	ctx := ctxFor(t)
	_, sec, _ := curve.GenerateKeyPair()
	wrong, _, _ := curve.GenerateKeyPair()
	peer := pyzmq.Start(t, "testdata/peer.py", "router", sec.String())
	port := peer.Line(t)
	start := time.Now()
	_, err := zmtp.Dial(ctx, "127.0.0.1:"+port, &zmtp.Options{Mechanism: &curve.Client{ServerKey: wrong}})
	var he *zmtp.HandshakeError
	if !errors.As(err, &he) {
		t.Fatalf("got %v, want a handshake error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("failing took %v", d)
	}
	t.Log(fmt.Sprint(err))
}

// TestInteropHeartbeats: libzmq and we each send PINGs every 200 ms over
// CURVE, inside MESSAGE boxes, and each drops a peer it hears nothing from
// (libzmq after 600 ms, we after 1 s). A PING either side could not open
// or parse would end the connection; two idle seconds later it still
// carries messages. (PONG handling itself is TestPingPong's.)
func TestInteropHeartbeats(t *testing.T) {
	ctx := ctxFor(t)
	t.Setenv("PEER_HEARTBEAT_MS", "200")
	pub, sec, _ := curve.GenerateKeyPair()
	peer := pyzmq.Start(t, "testdata/peer.py", "router", sec.String())
	port := peer.Line(t)
	c, err := zmtp.Dial(ctx, "127.0.0.1:"+port, &zmtp.Options{
		Mechanism:         &curve.Client{ServerKey: pub},
		HeartbeatInterval: 200 * time.Millisecond,
		HeartbeatTimeout:  time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	idle := time.NewTimer(2 * time.Second)
	defer idle.Stop()
	select {
	case <-c.Done():
		t.Fatalf("connection ended while idle: %v", c.Err())
	case <-idle.C:
	}
	if err := c.Send(ctx, []byte("after idling")); err != nil {
		t.Fatal(err)
	}
	m, err := c.Recv(ctx)
	if err != nil || string(m.Frames[0]) != "after idling" {
		t.Fatalf("echo after idling: %v", err)
	}
}
