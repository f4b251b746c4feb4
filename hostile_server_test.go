package flaxfile_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/liar"
)

// startLiar runs a lying server for the test.
func startLiar(t *testing.T, l liar.Lies) string {
	t.Helper()
	s, err := liar.Start(l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s.Addr()
}

// allocated runs fn and returns the octets allocated meanwhile (freed or
// not: an upper bound of the peak it caused), counting the liar's own
// allocations too.
func allocated(fn func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileServer: each lie of a server ends the client's call with a
// clear error, within bounded memory and time, with nothing left behind.
func TestHostileServer(t *testing.T) {
	cases := []struct {
		name string
		lies liar.Lies
		opts flaxfile.Options
		call func(ctx context.Context, c *flaxfile.Client, dir string) error
		want error
		// partial: a download that fails part way keeps its partial file
		// and journal for a resume (never anything under its own name).
		partial bool
	}{
		{
			name: "v2 GET declares 2^62 octets",
			lies: liar.Lies{V2: true, Key: "k", Data: []byte("abc"), Size: 1 << 62},
			call: func(ctx context.Context, c *flaxfile.Client, dir string) error {
				_, err := c.GetFile(ctx, "k", filepath.Join(dir, "out"))
				return err
			},
			want: flaxfile.ErrProtocol,
		},
		{
			// The client takes a plaintext range's data into the file as it
			// arrives; a codec frame after it comes too late to read it
			// as encoded, and must fail the download, not land it.
			name: "v2 ranges sent whole but said to be compressed",
			lies: liar.Lies{V2: true, Key: "k", Data: bytes.Repeat([]byte("0123456789abcdef"), 1<<20), RangeCodec: "zstd"},
			call: func(ctx context.Context, c *flaxfile.Client, dir string) error {
				_, err := c.GetFile(ctx, "k", filepath.Join(dir, "out"))
				return err
			},
			want:    flaxfile.ErrProtocol,
			partial: true,
		},
		{
			name: "v2 ranges answered with data for other ranges",
			lies: liar.Lies{V2: true, Key: "k", Data: bytes.Repeat([]byte("0123456789abcdef"), 1<<20), RangeShift: 4 << 20},
			call: func(ctx context.Context, c *flaxfile.Client, dir string) error {
				_, err := c.GetFile(ctx, "k", filepath.Join(dir, "out"))
				return err
			},
			want:    flaxfile.ErrProtocol,
			partial: true,
		},
		{
			name: "1.2 DOWNLOAD_START declares 2^40 octets in 1-octet chunks",
			lies: liar.Lies{Key: "k", Data: []byte("abc"), Size: 1 << 40, Chunk: 1},
			call: func(ctx context.Context, c *flaxfile.Client, dir string) error {
				_, err := c.GetFile(ctx, "k", filepath.Join(dir, "out"))
				return err
			},
			want: flaxfile.ErrProtocol,
		},
		{
			name: "a reply of 2,000,000 empty frames",
			lies: liar.Lies{Key: "k", EmptyFrames: 2_000_000},
			call: func(ctx context.Context, c *flaxfile.Client, dir string) error {
				_, err := c.List(ctx, "", false)
				return err
			},
		},
		{
			name: "1.2 listing of 20,000,000 empty entries (60 MB)",
			lies: liar.Lies{Key: "k", ListEntries: 20_000_000},
			call: func(ctx context.Context, c *flaxfile.Client, dir string) error {
				_, err := c.List(ctx, "", false)
				return err
			},
			want: flaxfile.ErrProtocol,
		},
		{
			name: "v2 listing whose empty pages always say more",
			lies: liar.Lies{V2: true, Key: "k", EndlessPages: true},
			call: func(ctx context.Context, c *flaxfile.Client, dir string) error {
				return c.Walk(ctx, "", false, func(flaxfile.Entry) error { return nil })
			},
			want: flaxfile.ErrProtocol,
		},
		{
			name: "v2 listing that always says more",
			lies: liar.Lies{V2: true, Key: "k", EndlessPages: true, PageEntries: 1000},
			opts: flaxfile.Options{MaxListEntries: 50_000},
			call: func(ctx context.Context, c *flaxfile.Client, dir string) error {
				return c.Walk(ctx, "", false, func(flaxfile.Entry) error { return nil })
			},
			want: flaxfile.ErrProtocol,
		},
		{
			name: "v2 listing of long keys that always says more",
			lies: liar.Lies{V2: true, Key: strings.Repeat("k", 2000), EndlessPages: true, PageEntries: 200},
			opts: flaxfile.Options{MaxListBytes: 1 << 20},
			call: func(ctx context.Context, c *flaxfile.Client, dir string) error {
				return c.Walk(ctx, "", false, func(flaxfile.Entry) error { return nil })
			},
			want: flaxfile.ErrProtocol,
		},
		{
			name: "v2 listing that always says more, within the entry limit",
			lies: liar.Lies{V2: true, Key: "k", EndlessPages: true, PageEntries: 1},
			opts: flaxfile.Options{ListTimeout: time.Second},
			call: func(ctx context.Context, c *flaxfile.Client, dir string) error {
				return c.Walk(ctx, "", false, func(flaxfile.Entry) error { return nil })
			},
			want: flaxfile.ErrTimeout,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := startLiar(t, tc.lies)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			dir := t.TempDir()
			var err error
			start := time.Now()
			n := allocated(func() {
				var c *flaxfile.Client
				c, err = flaxfile.Dial(ctx, addr, &tc.opts)
				if err == nil {
					err = tc.call(ctx, c, dir)
					c.Close()
				}
			})
			t.Logf("%v after %v, %d MiB allocated", err, time.Since(start).Round(time.Millisecond), n>>20)
			if err == nil {
				t.Fatal("the lie was accepted")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if ctx.Err() != nil {
				t.Fatal("the call ran until the test's own deadline")
			}
			// (What the liar allocates counts here too: the client's own
			// peak is measured on the binary, in cmd/flaxfile.)
			left, _ := os.ReadDir(dir)
			for _, e := range left {
				if !tc.partial || !strings.HasPrefix(e.Name(), "out.flaxfile-partial") {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}
