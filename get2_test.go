package flaxfile_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
)

// cancelAfter cancels a context once n octets have been reported.
type cancelAfter struct {
	n      int64
	got    atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Start(string, int64) {}
func (c *cancelAfter) Transferred(_ string, n int64) {
	if c.got.Add(n) >= c.n {
		c.cancel()
	}
}

// TestGetResumes: a download interrupted part way leaves a partial file
// that the same download run again completes, fetching only what is
// missing; the output appears only when whole, with the source's time.
func TestGetResumes(t *testing.T) {
	for _, password := range []string{"", "pw"} {
		t.Run(map[bool]string{true: "CURVE", false: "NULL"}[password != ""], func(t *testing.T) {
			ctx := ctxFor(t)
			addr, _ := startServer(t, password)
			src, data := randomFile(t, 5<<22+99)
			mtime := time.Unix(1_700_000_000, 123456789)
			if err := os.Chtimes(src, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			size := int64(len(data))
			c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: password})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.SetFile(ctx, "f", src); err != nil {
				t.Fatal(err)
			}
			c.Close()
			out := filepath.Join(t.TempDir(), "out")
			cctx, cancel := context.WithCancel(ctx)
			stop := &cancelAfter{n: 2 << 22, cancel: cancel}
			c, err = flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: password, Connections: 1, Window: 1, ChunkSize: 4 << 20, Progress: stop})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetFile(cctx, "f", out)
			c.Close()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted get: %v", err)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("output exists after an interrupted get: %v", err)
			}
			c, err = flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: password})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			res, err := c.GetFile(ctx, "f", out)
			if err != nil {
				t.Fatal(err)
			}
			// The first run fetched at least two blocks before its
			// cancellation took hold (more on a loaded machine).
			if res.Moved <= 0 || res.Moved > size-2<<22 {
				t.Errorf("resumed get moved %d of %d octets", res.Moved, size)
			}
			got, _ := os.ReadFile(out)
			if !bytes.Equal(got, data) {
				t.Fatal("downloaded file differs")
			}
			if fi, _ := os.Stat(out); !fi.ModTime().Equal(mtime) {
				t.Errorf("mtime %v, want %v", fi.ModTime(), mtime)
			}
			for _, p := range []string{out + flaxfile.PartialSuffix, out + flaxfile.PartialSuffix + ".journal"} {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s left behind", filepath.Base(p))
				}
			}
		})
	}
}

// TestGetPartialOfOtherVersion: a partial file left by a download of an
// earlier version of the key is not reused.
func TestGetPartialOfOtherVersion(t *testing.T) {
	ctx := ctxFor(t)
	addr, _ := startServer(t, "")
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Connections: 1, Window: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, a := randomFile(t, 3<<22)
	_, b := randomFile(t, 3<<22)
	if _, err := c.Set(ctx, "k", bytes.NewReader(a), int64(len(a))); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	cctx, cancel := context.WithCancel(ctx)
	c2, _ := flaxfile.Dial(ctx, addr, &flaxfile.Options{Connections: 1, Window: 1, Progress: &cancelAfter{n: 1 << 22, cancel: cancel}})
	if _, err := c2.GetFile(cctx, "k", out); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	c2.Close()
	if _, err := c.Set(ctx, "k", bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	res, err := c.GetFile(ctx, "k", out)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, b) || res.Moved != int64(len(b)) {
		t.Fatalf("moved %d; content is the new version: %v", res.Moved, bytes.Equal(got, b))
	}
}

// With Delta, a get over an older local copy fetches only what differs:
// the 64 KiB piece of a block with one changed octet and the appended
// tail; the rest comes from the local file, which is only read until the new
// version replaces it. Without Delta the whole file comes.
func TestDeltaDownloadFetchesOnlyChangedBlocks(t *testing.T) {
	ctx := ctxFor(t)
	addr, _ := servertest.StartServer(t, server.Config{}, nil)
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Delta: flaxfile.DeltaAlways})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const block = 4 << 20
	src, data := randomFile(t, 10*block)
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := c.GetFile(ctx, "k", out); err != nil {
		t.Fatal(err)
	}
	data[3*block+777] ^= 0xff
	data = append(data, bytes.Repeat([]byte{7}, 1<<20)...)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	res, err := c.GetFile(ctx, "k", out)
	if err != nil {
		t.Fatal(err)
	}
	// Block 3 is mended: only its 64 KiB piece with the change comes.
	if want := int64(64<<10 + 1<<20); res.Moved != want {
		t.Errorf("delta get moved %d octets, want %d (a piece of block 3 and the tail)", res.Moved, want)
	}
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("delta get wrote a different file (%v)", err)
	}

	data[7*block] ^= 0xff
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	plain, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if res, err = plain.GetFile(ctx, "k", out); err != nil {
		t.Fatal(err)
	}
	if res.Moved != int64(len(data)) {
		t.Errorf("get without delta moved %d octets, want the whole %d", res.Moved, len(data))
	}
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get without delta wrote a different file (%v)", err)
	}
}
