package flaxfile_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// logFile writes n octets of log-like text.
func logFile(t *testing.T, n int) (string, []byte) {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "2026-12-05T10:%02d:%02d.%06dZ level=info msg=\"request served\" id=%08x path=/v1/items/%d status=%d ms=%d\n",
			i/60%60, i%60, i*7919%1000000, i*2654435761, i*31%9973, 200+i%7*50, i*17%503)
	}
	data := b.Bytes()[:n]
	p := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

// With --compress, text crosses the wire as a fraction of its size both
// ways, in the clear and encrypted, and arrives octet for octet; random
// octets, which do not shrink, go as they are.
func TestCompressedTransfers(t *testing.T) {
	for _, password := range []string{"", "s3cret-pass-123"} {
		ctx := ctxFor(t)
		var mech zmtp.Mechanism
		if password != "" {
			mech = servertest.Password(t, password)
		}
		addr, _ := servertest.StartServer(t, server.Config{}, mech)
		c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: password, Compress: flaxfile.CompressAlways, Delta: flaxfile.DeltaNever})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		const size = 20 << 20
		src, data := logFile(t, size)
		res, err := c.SetFile(ctx, "log", src)
		if err != nil {
			t.Fatal(err)
		}
		if res.WireSent > size/3 {
			t.Errorf("compressed set of %d octets of text (password %q): %d octets on the wire", size, password, res.WireSent)
		}
		out := filepath.Join(t.TempDir(), "out")
		if res, err = c.GetFile(ctx, "log", out); err != nil {
			t.Fatal(err)
		}
		if res.WireReceived > size/3 {
			t.Errorf("compressed get of %d octets of text (password %q): %d octets on the wire", size, password, res.WireReceived)
		}
		if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("compressed get wrote a different file (%v)", err)
		}
		mustGet(ctx, t, c, "log", data) // as stored, read back

		src, noise := randomFile(t, 9<<20)
		if res, err = c.SetFile(ctx, "noise", src); err != nil {
			t.Fatal(err)
		}
		if res.WireSent < int64(len(noise)) || res.WireSent > int64(len(noise))+int64(len(noise))/50 {
			t.Errorf("random octets with --compress: %d octets on the wire for %d", res.WireSent, len(noise))
		}
		mustGet(ctx, t, c, "noise", noise)
	}
}
