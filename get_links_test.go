package flaxfile_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flaxfile/flaxfile"
)

// TestGetRefusesPlantedLinks: a symbolic link planted where a download's
// partial file or journal goes is not written through: the file it points
// to stays as it was and the output is never that link (both were opened
// with O_CREAT|O_TRUNC, following links).
func TestGetRefusesPlantedLinks(t *testing.T) {
	ctx := ctxFor(t)
	addr, storeDir := startServer(t, "")
	data := bytes.Repeat([]byte("flaxfile"), 512<<10) // 4 MiB: not inlined
	if err := os.WriteFile(filepath.Join(storeDir, "big"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := flaxfile.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, suffix := range []string{flaxfile.PartialSuffix, flaxfile.PartialSuffix + ".journal"} {
		dir := t.TempDir()
		victim := filepath.Join(t.TempDir(), "victim")
		if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out")
		if err := os.Symlink(victim, out+suffix); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetFile(ctx, "big", out)
		if err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Fatalf("%s: got %v, want a refusal naming the link", suffix, err)
		}
		if b, _ := os.ReadFile(victim); string(b) != "precious" {
			t.Fatalf("%s: the link's target was written: %d octets", suffix, len(b))
		}
		if fi, err := os.Lstat(out); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			t.Fatalf("%s: the output became a link", suffix)
		}
	}
}
