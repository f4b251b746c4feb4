package tree

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIgnorer: paths the tree does not have are judged by the same rules
// Walk applies: the automatic ones, ignore files on the way, Exclude and
// Include.
func TestIgnorer(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{".gitignore": "*.log\nbuild/\n", "sub/.flaxignore": "secret.txt\n"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ig := NewIgnorer(root, Options{Exclude: []string{"tmp/"}, Include: []string{"keep.log"}})
	for rel, want := range map[string]bool{
		".git/config": true, "a/.git/hooks/pre-commit": true, "node_modules/x/y.js": true,
		"x.log": true, "sub/deep/y.log": true, "build/out": true, "sub/build/out": true,
		"sub/secret.txt": true, "secret.txt": false, "tmp/a": true, "keep.log": false,
		"src/main.go": false, "sub/ok": false, "x.flaxfile-partial": true,
	} {
		if got := ig.Ignored(rel); got != want {
			t.Errorf("Ignored(%q) = %v, want %v", rel, got, want)
		}
	}
	if NewIgnorer(root, Options{NoIgnore: true}).Ignored("x.log") {
		t.Error("NoIgnore still read .gitignore")
	}
}
