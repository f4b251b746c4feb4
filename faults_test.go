package flaxfile_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
)

// TestManyClientsOneKey: 32 clients upload different contents to one key
// at once, while readers read it: every published version is exactly one
// of the sources (never a mix), every read is exactly one of them, and
// other keys are served meanwhile.
func TestManyClientsOneKey(t *testing.T) {
	ctx := ctxFor(t)
	addr, dir := startServer(t, "")
	const n = 32
	srcs := make([][]byte, n)
	paths := make([]string, n)
	for i := range srcs {
		paths[i], srcs[i] = randomFile(t, 3<<20+i)
	}
	isSource := func(b []byte) bool {
		for _, s := range srcs {
			if bytes.Equal(b, s) {
				return true
			}
		}
		return false
	}
	c0, err := flaxfile.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c0.Close()
	if _, err := c0.SetFile(ctx, "same", paths[0]); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3*n)
	for i := range n {
		wg.Go(func() {
			c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: []string{"2", "1.2"}[i%2]})
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			if _, err := c.SetFile(ctx, "same", paths[i]); err != nil {
				errs <- fmt.Errorf("writer %d: %w", i, err)
			}
			if _, err := c.SetFile(ctx, fmt.Sprintf("own/%d", i), paths[i]); err != nil {
				errs <- fmt.Errorf("writer %d, own key: %w", i, err)
			}
		})
		wg.Go(func() {
			c, err := flaxfile.Dial(ctx, addr, nil)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			out := filepath.Join(t.TempDir(), "r")
			if _, err := c.GetFile(ctx, "same", out); err != nil {
				errs <- fmt.Errorf("reader %d: %w", i, err)
				return
			}
			if b, _ := os.ReadFile(out); !isSource(b) {
				errs <- fmt.Errorf("reader %d read a mix", i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "same")); !isSource(b) {
		t.Fatal("the published file is not one of the sources")
	}
	for i := range n {
		if b, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("own/%d", i))); !bytes.Equal(b, srcs[i]) {
			t.Fatalf("own/%d differs", i)
		}
	}
}

// TestDiskFull: with the store on a 24 MiB file system, an upload
// declared larger than the free space is refused at once; uploads that
// fill the disk together fail with a clear error, publish nothing
// partial, remove their partial files and leave the previous version
// whole; the server serves on. Needs root to mount a tmpfs (CI runs as
// root).
func TestDiskFull(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount a tmpfs: %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here (%v); CI runs this as root", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	ctx := ctxFor(t)
	storeDir := filepath.Join(mnt, "store")
	addr, _, stop := servertest.StartIn(t, storeDir, server.Config{}, nil)
	defer stop()
	clear := func(err error) bool {
		return err != nil && (strings.Contains(err.Error(), "no space left") || strings.Contains(err.Error(), "not enough space"))
	}
	for _, proto := range []string{"2", "1.2"} {
		c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: proto})
		if err != nil {
			t.Fatal(err)
		}
		small, smallData := randomFile(t, 1<<20)
		key := "k" + proto
		if _, err := c.SetFile(ctx, key, small); err != nil {
			t.Fatal(err)
		}
		big, _ := randomFile(t, 40<<20)
		if _, err := c.SetFile(ctx, key, big); !clear(err) || !strings.Contains(err.Error(), "not enough space") {
			t.Fatalf("protocol %s: 40 MiB declared on a 24 MiB disk: %v", proto, err)
		}
		// Two uploads that fit alone but not together.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		datas := make([][]byte, 2)
		for i := range 2 {
			p, d := randomFile(t, 14<<20)
			datas[i] = d
			wg.Go(func() {
				cc, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: proto})
				if err != nil {
					errs[i] = err
					return
				}
				defer cc.Close()
				_, errs[i] = cc.SetFile(ctx, fmt.Sprintf("fill%s/%d", proto, i), p)
			})
		}
		wg.Wait()
		failed := 0
		for i, err := range errs {
			switch {
			case err == nil:
				if b, _ := os.ReadFile(filepath.Join(storeDir, fmt.Sprintf("fill%s/%d", proto, i))); !bytes.Equal(b, datas[i]) {
					t.Fatalf("protocol %s: upload %d published wrong", proto, i)
				}
			case clear(err):
				failed++
				if _, err := os.Stat(filepath.Join(storeDir, fmt.Sprintf("fill%s/%d", proto, i))); !os.IsNotExist(err) {
					t.Fatalf("protocol %s: a failed upload was published", proto)
				}
			default:
				t.Errorf("protocol %s: unclear error: %v", proto, err)
			}
		}
		if failed == 0 {
			t.Fatalf("protocol %s: 28 MiB fitted on a 24 MiB disk", proto)
		}
		// The old version is whole; the server still serves.
		out := filepath.Join(t.TempDir(), "out")
		if _, err := c.GetFile(ctx, key, out); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(out); !bytes.Equal(b, smallData) {
			t.Fatalf("protocol %s: the previous version changed", proto)
		}
		c.Close()
		// Room again for the next round.
		os.RemoveAll(filepath.Join(storeDir, "fill"+proto))
	}
	// Failed uploads hold no space: their partial files are gone (a 1.2
	// session that a late member opened again after the failure may
	// leave an empty one, until it expires).
	es, _ := os.ReadDir(filepath.Join(storeDir, ".flaxfile-partial"))
	for _, e := range es {
		if fi, err := e.Info(); err == nil && fi.Size() > 0 {
			t.Errorf("partial file %s holds %d octets on the full disk", e.Name(), fi.Size())
		}
	}
}
