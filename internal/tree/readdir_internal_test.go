package tree

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// readDir lists as os.ReadDir does (same names, same order) and finds for
// each regular file it is asked about what os.Lstat finds; it never looks
// up a file it is not asked about, nor follows a link.
func TestReadDirMatchesLstat(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"b", "a", "C", "é", "a.skip", "z10", "z9"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, i*100), 0o640+os.FileMode(i%2)); err != nil {
			t.Fatal(err)
		}
		mt := time.Unix(1_700_000_000+int64(i), int64(i)*1000)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, stats, err := readDir(dir, func(name string) bool { return name != "a.skip" })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(stats) != len(got) {
		t.Fatalf("%d entries (%d stats), os.ReadDir %d", len(got), len(stats), len(want))
	}
	for i := range want {
		if got[i].Name() != want[i].Name() || got[i].Type() != want[i].Type() {
			t.Fatalf("entry %d: %s (%v), os.ReadDir %s (%v)", i, got[i].Name(), got[i].Type(), want[i].Name(), want[i].Type())
		}
		st, name := stats[i], want[i].Name()
		asked := want[i].Type().IsRegular() && name != "a.skip"
		if st.wanted != asked {
			t.Fatalf("%s: looked up %v, want %v", name, st.wanted, asked)
		}
		if !asked {
			continue
		}
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || st.err != nil {
			t.Fatal(err, st.err)
		}
		if st.size != fi.Size() || st.mtime != fi.ModTime().UnixNano() || st.mode != fi.Mode().Perm() {
			t.Fatalf("%s: size %d mtime %d mode %v, os.Lstat %d %d %v", name, st.size, st.mtime, st.mode, fi.Size(), fi.ModTime().UnixNano(), fi.Mode().Perm())
		}
	}
	if _, _, err := readDir(filepath.Join(dir, "missing"), func(string) bool { return true }); err == nil {
		t.Fatal("a missing directory listed")
	}
}
