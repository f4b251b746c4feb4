package zmtp_test

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"testing"

	"github.com/flaxfile/flaxfile/internal/zmtp"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
	"golang.org/x/crypto/nacl/box"
)

const benchMsg = 4 << 20

// benchTransport sends b.N messages of 4 MiB from a DEALER to a ROUTER over
// loopback TCP and waits until the ROUTER has received them all.
func benchTransport(b *testing.B, server, client *zmtp.Options) {
	ctx := context.Background()
	r, err := zmtp.Listen("127.0.0.1:0", server, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	c, err := zmtp.Dial(ctx, r.Addr().String(), client)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	sc, err := r.Accept(ctx)
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, benchMsg)
	_, _ = rand.Read(payload)
	got := make(chan error, 1)
	b.SetBytes(benchMsg)
	b.ResetTimer()
	go func() {
		for range b.N {
			m, err := sc.Recv(ctx)
			if err != nil {
				got <- err
				return
			}
			m.Release()
		}
		got <- nil
	}()
	for range b.N {
		if err := c.Send(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-got; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTransportRawTCP is the baseline: the same bytes over one plain
// TCP connection, read into a reused buffer.
func BenchmarkTransportRawTCP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer nc.Close()
		buf := make([]byte, benchMsg)
		for range b.N {
			if _, err := io.ReadFull(nc, buf); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	payload := make([]byte, benchMsg)
	_, _ = rand.Read(payload)
	b.SetBytes(benchMsg)
	b.ResetTimer()
	for range b.N {
		if _, err := nc.Write(payload); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTransportNull: 4 MiB messages DEALER to ROUTER, NULL mechanism.
func BenchmarkTransportNull(b *testing.B) {
	benchTransport(b, nil, nil)
}

// BenchmarkTransportCurve: 4 MiB messages DEALER to ROUTER, CURVE as
// libzmq speaks it (XSalsa20-Poly1305 boxes).
func BenchmarkTransportCurve(b *testing.B) {
	benchCurve(b, true)
}

// BenchmarkTransportCurveGo: the same between two Go peers, which agree
// on a faster cipher.
func BenchmarkTransportCurveGo(b *testing.B) {
	benchCurve(b, false)
}

// benchCurve runs benchTransport over CURVE, classic or not.
func benchCurve(b *testing.B, classic bool) {
	pub, sec, err := curve.GenerateKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	mech, err := curve.NewServer(sec, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchTransport(b, &zmtp.Options{Mechanism: mech}, &zmtp.Options{Mechanism: &curve.Client{ServerKey: pub, Classic: classic}})
}

// BenchmarkTransportSeal is CURVE's baseline: one core sealing 4 MiB with
// XSalsa20-Poly1305 (nacl/box after precomputation) into a reused buffer.
func BenchmarkTransportSeal(b *testing.B) {
	var key [32]byte
	var nonce [24]byte
	payload := make([]byte, benchMsg)
	out := make([]byte, 0, benchMsg+box.Overhead)
	b.SetBytes(benchMsg)
	for i := range b.N {
		nonce[23] = byte(i)
		out = box.SealAfterPrecomputation(out[:0], payload, &nonce, &key)
	}
}
