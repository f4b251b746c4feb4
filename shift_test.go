package flaxfile_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store/mem"
)

// insert returns data with n random octets inserted at off.
func insert(data []byte, off, n int) []byte {
	extra := make([]byte, n)
	_, _ = rand.Read(extra)
	out := append(append([]byte{}, data[:off]...), extra...)
	return append(out, data[off:]...)
}

// An insertion of 100 octets near the start shifts every block: a delta
// set then sends, and a delta get fetches, a few content-defined chunks
// around it, not the file; the files are the new version, octet for
// octet. A removal likewise.
func TestDeltaFindsShiftedData(t *testing.T) {
	for _, st := range []string{"disk", "mem"} {
		t.Run(st, func(t *testing.T) {
			ctx := ctxFor(t)
			cfg := server.Config{}
			if st == "mem" {
				cfg.Store = mem.New(1 << 30)
			}
			addr, _ := servertest.StartServer(t, cfg, nil)
			c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Delta: flaxfile.DeltaAlways})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			const block = 4 << 20
			src, data := randomFile(t, 10*block+12345)
			if _, err := c.SetFile(ctx, "k", src); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			if _, err := c.GetFile(ctx, "k", out); err != nil {
				t.Fatal(err)
			}
			const most = 1 << 20 // a few chunks of at most 256 KiB
			for _, change := range []struct {
				name string
				edit func([]byte) []byte
			}{
				{"insertion", func(d []byte) []byte { return insert(d, 100, 100) }},
				{"removal", func(d []byte) []byte { return append(d[:5*block-50:5*block-50], d[5*block+950:]...) }},
			} {
				data = change.edit(data)
				if err := os.WriteFile(src, data, 0o644); err != nil {
					t.Fatal(err)
				}
				res, err := c.SetFile(ctx, "k", src)
				if err != nil {
					t.Fatal(err)
				}
				if res.Moved > most {
					t.Errorf("%s: delta set sent %d octets of %d, want at most %d", change.name, res.Moved, len(data), most)
				}
				mustGet(ctx, t, c, "k", data)
				if res, err = c.GetFile(ctx, "k", out); err != nil {
					t.Fatal(err)
				}
				if res.Moved > most {
					t.Errorf("%s: delta get fetched %d octets of %d, want at most %d", change.name, res.Moved, len(data), most)
				}
				if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%s: delta get wrote a different file (%v)", change.name, err)
				}
			}
		})
	}
}
