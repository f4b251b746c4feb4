package tree

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

func build(t *testing.T, files map[string]string) string {
	root := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func walkAll(t *testing.T, root string, o Options) ([]string, map[string]string) {
	var got []string
	warned := map[string]string{}
	o.Warn = func(rel, reason string) { warned[rel] = reason }
	if err := Walk(root, o, func(f File) error { got = append(got, f.Rel); return nil }); err != nil {
		t.Fatal(err)
	}
	return got, warned
}

func TestIgnoreRules(t *testing.T) {
	root := build(t, map[string]string{
		".gitignore":               "*.log\n/build/\n!keep.log\n# comment\n",
		"a.log":                    "",
		"keep.log":                 "",
		"build/out.o":              "",
		"src/build/kept.txt":       "", // /build/ is anchored at the root
		"src/.gitignore":           "secret*\n",
		"src/secret.txt":           "",
		"src/main.go":              "",
		"src/sub/secret2":          "",
		"other/secret.txt":         "", // src's rule does not reach here
		".flaxignore":              "*.tmp\n",
		"x.tmp":                    "",
		".git/HEAD":                "",
		"node_modules/m/index.js":  "",
		"pkg/__pycache__/a.pyc":    "",
		"pkg/mod.py":               "",
		"big.bin":                  "",
		"out.txt.flaxfile-partial": "",
	})
	got, _ := walkAll(t, root, Options{Exclude: []string{"*.bin"}})
	want := []string{".flaxignore", ".gitignore", "keep.log", "other/secret.txt", "pkg/mod.py", "src/.gitignore", "src/build/kept.txt", "src/main.go"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("walk:\n got %q\nwant %q", got, want)
	}
	// --include keeps what it matches, even against the defaults.
	got, _ = walkAll(t, root, Options{Include: []string{"node_modules/", "a.log"}})
	for _, k := range []string{"a.log", "node_modules/m/index.js"} {
		if !contains(got, k) {
			t.Errorf("--include did not keep %s: %q", k, got)
		}
	}
	// --no-ignore: everything, but --exclude still applies.
	got, _ = walkAll(t, root, Options{NoIgnore: true, Exclude: []string{"*.bin"}})
	if !contains(got, ".git/HEAD") || !contains(got, "src/secret.txt") || contains(got, "big.bin") {
		t.Errorf("--no-ignore: %q", got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestPathOrder: files come component by component ("a/x" before "a-c",
// since "a" < "a-c"; as the server lists them), not in plain string
// order, where "a-c" < "a.b" < "a/x".
func TestPathOrder(t *testing.T) {
	root := build(t, map[string]string{"a.b": "", "a/x": "", "a-c": "", "b": "", "a/y/z": ""})
	got, _ := walkAll(t, root, Options{})
	want := []string{"a/x", "a/y/z", "a-c", "a.b", "b"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order %q, want %q", got, want)
	}
}

// TestSymlinkPolicy: a link to a file inside the tree stands for it;
// links out of the tree, to directories, or broken are skipped with a
// warning; nothing outside is ever read.
func TestSymlinkPolicy(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600)
	root := build(t, map[string]string{"real.txt": "hello", "dir/f": ""})
	links := map[string]string{
		"in":     "real.txt",
		"out":    filepath.Join(outside, "secret"),
		"todir":  "dir",
		"broken": "nothing-here",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	var files []File
	warned := map[string]string{}
	err := Walk(root, Options{Warn: func(rel, r string) { warned[rel] = r }}, func(f File) error { files = append(files, f); return nil })
	if err != nil {
		t.Fatal(err)
	}
	var rels []string
	for _, f := range files {
		rels = append(rels, f.Rel)
		if f.Rel == "in" && (!f.Link || f.Size != 5) {
			t.Errorf("link in: %+v", f)
		}
	}
	if !reflect.DeepEqual(rels, []string{"dir/f", "in", "real.txt"}) {
		t.Fatalf("files %q", rels)
	}
	for _, name := range []string{"out", "todir", "broken"} {
		if warned[name] == "" {
			t.Errorf("no warning for %s", name)
		}
	}
	if !strings.Contains(warned["out"], "out of the tree") {
		t.Errorf("out: %q", warned["out"])
	}
}

func TestNotUTF8AndMissingRoot(t *testing.T) {
	root := build(t, map[string]string{"ok": ""})
	if err := os.WriteFile(filepath.Join(root, "bad\xff"), nil, 0o644); err != nil {
		t.Skip("file system refuses non-UTF-8 names")
	}
	got, warned := walkAll(t, root, Options{})
	if !reflect.DeepEqual(got, []string{"ok"}) || warned["bad\xff"] == "" {
		t.Fatalf("got %q, warnings %q", got, warned)
	}
	if err := Walk(filepath.Join(root, "missing"), Options{}, func(File) error { return nil }); !os.IsNotExist(err) {
		t.Fatalf("missing root: %v", err)
	}
}

// TestQuickMatchesAsGoGit: a name pattern's quick look gives go-git's
// answer on every path, matching or not, negated or not, with a domain.
func TestQuickMatchesAsGoGit(t *testing.T) {
	lines := append(slices.Clone(Defaults), "!keep.pyc", "*.log", "build/", "a*b*c", "*", "x[ab]", "sub/*.tmp", "**/deep", `\#lit`)
	paths := [][]string{{"f.pyc"}, {"d", "f.pyc"}, {"keep.pyc"}, {".DS_Store"}, {"d", "Thumbs.db"}, {"x.flaxfile-partial"},
		{".x.flaxfile-abc"}, {"x.flaxfile-partial.journal"}, {"app.log", "f"}, {"build"}, {"d", "build"}, {"aXbYc"}, {"acb"},
		{"xa"}, {"sub", "f.tmp"}, {"q", "deep"}, {"#lit"}, {"plain"}, {"d000", "f0000001"}}
	for _, domain := range [][]string{nil, {"d"}} {
		for _, l := range lines {
			p := gitignore.ParsePattern(l, domain)
			rs := parse([]string{l}, domain)
			_, isQuick := rs[0].p.(quick)
			if want := mustContain(l) != ""; isQuick != want {
				t.Errorf("%q: quick %v, want %v", l, isQuick, want)
			}
			for _, path := range paths {
				for _, dir := range []bool{false, true} {
					if got, want := rs[0].p.Match(path, dir), p.Match(path, dir); got != want {
						t.Errorf("%q (domain %v) on %v (dir %v): %v, go-git says %v", l, domain, path, dir, got, want)
					}
				}
			}
		}
	}
	for l, want := range map[string]string{"*.pyc": ".pyc", ".*.flaxfile-*": ".flaxfile-", "node_modules/": "node_modules", "!keep": "keep", "*": "", "a/b": "", "x[ab]": "", "x?": ""} {
		if got := mustContain(l); got != want {
			t.Errorf("mustContain(%q) = %q, want %q", l, got, want)
		}
	}
}
