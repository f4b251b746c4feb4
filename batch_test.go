package flaxfile_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/flaxfile/flaxfile"
)

// TestBatches: many small files and a few large ones go up and come back
// whole, small ones batched; a bad key fails alone.
func TestBatches(t *testing.T) {
	for _, proto := range []string{"2", "1.2"} {
		t.Run(proto, func(t *testing.T) {
			ctx := ctxFor(t)
			addr, dir := startServer(t, "")
			c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: proto})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			src := t.TempDir()
			n := 300
			if proto == "1.2" {
				n = 20
			}
			want := map[string][]byte{}
			var specs []flaxfile.FileSpec
			for i := range n + 2 {
				size := i * 677 % (200 << 10)
				if i >= n {
					size = 2<<20 + i // large: sent on their own
				}
				data := make([]byte, size)
				_, _ = rand.Read(data)
				key := fmt.Sprintf("tree/d%d/f%03d", i%7, i)
				p := filepath.Join(src, fmt.Sprintf("f%03d", i))
				if err := os.WriteFile(p, data, 0o600); err != nil {
					t.Fatal(err)
				}
				want[key] = data
				specs = append(specs, flaxfile.FileSpec{Key: key, Path: p})
			}
			specs = append(specs, flaxfile.FileSpec{Key: "../escape", Path: specs[0].Path})
			ok, failed := 0, 0
			err = c.SetFiles(ctx, specs, func(f flaxfile.FileSpec, r *flaxfile.Result, err error) {
				switch {
				case err != nil && f.Key == "../escape" && errors.Is(err, flaxfile.ErrInvalidKey):
					failed++
				case err != nil:
					t.Errorf("%s: %v", f.Key, err)
				case r.Size != int64(len(want[f.Key])):
					t.Errorf("%s: size %d", f.Key, r.Size)
				default:
					ok++
				}
			})
			if err != nil || ok != n+2 || failed != 1 {
				t.Fatalf("SetFiles: %v; %d stored, %d refused", err, ok, failed)
			}
			for k, data := range want {
				if got, _ := os.ReadFile(filepath.Join(dir, k)); !bytes.Equal(got, data) {
					t.Fatalf("%s stored wrong", k)
				}
			}
			out := t.TempDir()
			var back []flaxfile.FileSpec
			for k := range want {
				back = append(back, flaxfile.FileSpec{Key: k, Path: filepath.Join(out, k)})
			}
			back = append(back, flaxfile.FileSpec{Key: "missing", Path: filepath.Join(out, "missing")})
			got, missing := 0, 0
			err = c.GetFiles(ctx, back, func(f flaxfile.FileSpec, r *flaxfile.Result, err error) {
				switch {
				case f.Key == "missing" && errors.Is(err, flaxfile.ErrNotFound):
					missing++
				case err != nil:
					t.Errorf("%s: %v", f.Key, err)
				default:
					got++
				}
			})
			if err != nil || got != n+2 || missing != 1 {
				t.Fatalf("GetFiles: %v; %d got, %d missing", err, got, missing)
			}
			for k, data := range want {
				if b, _ := os.ReadFile(filepath.Join(out, k)); !bytes.Equal(b, data) {
					t.Fatalf("%s downloaded wrong", k)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "missing")); !os.IsNotExist(err) {
				t.Fatal("a missing key left a file")
			}
		})
	}
}

// BenchmarkSmallFiles: 500 files of 4 KiB up and down, batched (FlaxFile
// 2) against one at a time (1.2's commands), in the same run.
func BenchmarkSmallFiles(b *testing.B) {
	ctx := context.Background()
	addr, _ := startServer(b, "")
	src := b.TempDir()
	var specs []flaxfile.FileSpec
	for i := range 500 {
		p := filepath.Join(src, fmt.Sprint(i))
		if err := os.WriteFile(p, bytes.Repeat([]byte{byte(i)}, 4096), 0o644); err != nil {
			b.Fatal(err)
		}
		specs = append(specs, flaxfile.FileSpec{Key: fmt.Sprintf("s/%d", i), Path: p})
	}
	for _, proto := range []string{"2", "1.2"} {
		b.Run("protocol="+proto, func(b *testing.B) {
			c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: proto})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			out := b.TempDir()
			back := make([]flaxfile.FileSpec, len(specs))
			for i, s := range specs {
				back[i] = flaxfile.FileSpec{Key: s.Key, Path: filepath.Join(out, s.Key)}
			}
			fail := func(f flaxfile.FileSpec, _ *flaxfile.Result, err error) {
				if err != nil {
					b.Fatal(f.Key, err)
				}
			}
			b.SetBytes(2 * 500 * 4096)
			for b.Loop() {
				if err := c.SetFiles(ctx, specs, fail); err != nil {
					b.Fatal(err)
				}
				if err := c.GetFiles(ctx, back, fail); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)/1000*1e6, "µs/file")
		})
	}
}
