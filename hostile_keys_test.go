package flaxfile_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store/storetest"
)

// hostileKeys are keys a client may send to get out of the store, or to
// confuse it: all must be refused or land inside the store.
var hostileKeys = storetest.HostileKeys

// TestHostileKeys: every hostile key is refused or confined, for 1.2's
// commands and FlaxFile 2's, and nothing appears outside the store; the
// store keeps serving afterwards.
func TestHostileKeys(t *testing.T) {
	ctx := ctxFor(t)
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	os.MkdirAll(outside, 0o755)
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	storeDir := filepath.Join(base, "storage")
	addr, _, stop := servertest.StartIn(t, storeDir, server.Config{}, nil)
	defer stop()
	// A link inside the store that points out of it.
	if err := os.Symlink(outside, filepath.Join(storeDir, "link")); err != nil {
		t.Fatal(err)
	}
	src, _ := randomFile(t, 1000)
	refused, confined := 0, 0
	for _, proto := range []string{"2", "1.2"} {
		c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: proto})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range hostileKeys {
			_, err := c.SetFile(ctx, k, src)
			if err != nil {
				refused++
			} else {
				confined++
			}
			_, _ = c.GetFile(ctx, k, filepath.Join(t.TempDir(), "out"))
			if k != "link" && k != "link/escaped" {
				_ = c.Delete(ctx, k) // must never reach outside
			}
		}
		// Batches and listings take hostile keys too.
		var specs []flaxfile.FileSpec
		for _, k := range hostileKeys {
			specs = append(specs, flaxfile.FileSpec{Key: k, Path: src})
		}
		_ = c.SetFiles(ctx, specs, nil)
		_, _ = c.List(ctx, "../", true)
		_ = c.Walk(ctx, "..", true, func(flaxfile.Entry) error { return nil })
		c.Close()
	}
	// Outside: exactly what was there.
	es, _ := os.ReadDir(outside)
	if len(es) != 1 || es[0].Name() != "secret" {
		t.Fatalf("outside the store now holds %d entries", len(es))
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "secret")); !bytes.Equal(b, []byte("secret")) {
		t.Fatal("a file outside the store changed")
	}
	bes, _ := os.ReadDir(base)
	if len(bes) != 2 {
		t.Fatalf("the store's parent holds %d entries, want 2", len(bes))
	}
	// Everything stored is inside the store and is a regular file or dir.
	filepath.WalkDir(storeDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type()&os.ModeSymlink != 0 && p != filepath.Join(storeDir, "link") {
			t.Errorf("a link appeared: %s", p)
		}
		return nil
	})
	if refused == 0 || confined == 0 {
		t.Fatalf("refused %d, confined %d: the corpus should hold both kinds", refused, confined)
	}
	// The server still serves.
	c, err := flaxfile.Dial(context.Background(), addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.SetFile(ctx, "after/ok", src); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d hostile keys × 2 protocols: %d refused, %d stored inside the store", len(hostileKeys), refused, confined)
}
