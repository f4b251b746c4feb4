package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

func TestParseAndReload(t *testing.T) {
	a, _, _ := curve.GenerateKeyPair()
	b, _, _ := curve.GenerateKeyPair()
	c, _, _ := curve.GenerateKeyPair()
	p := filepath.Join(t.TempDir(), "authorized")
	text := "# clients\n" + a.String() + " rw\n\n" + b.String() + " ro team/x/  # read-only, confined\n"
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	ra, err := l.Lookup(a)
	if err != nil || !ra.Write || ra.Prefix != "" || !ra.Allows("anything/at/all") {
		t.Fatalf("a: %+v %v", ra, err)
	}
	rb, err := l.Lookup(b)
	if err != nil || rb.Write || rb.Prefix != "team/x" || !rb.Allows("team/x/f") || !rb.Allows("team/x") || rb.Allows("team/xy") || rb.Allows("other") {
		t.Fatalf("b: %+v %v", rb, err)
	}
	if _, err := l.Lookup(c); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("c: %v", err)
	}
	// The file changes: the new list applies (within a second).
	os.WriteFile(p, []byte(c.String()+" rw\n"), 0o600)
	future := time.Now().Add(2 * time.Second)
	os.Chtimes(p, future, future)
	l.checked = time.Time{}
	if _, err := l.Lookup(c); err != nil {
		t.Fatalf("after reload, c: %v", err)
	}
	if _, err := l.Lookup(a); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("after reload, a still allowed: %v", err)
	}
	// A broken file keeps the last good list.
	os.WriteFile(p, []byte("garbage\n"), 0o600)
	future = future.Add(2 * time.Second)
	os.Chtimes(p, future, future)
	l.checked = time.Time{}
	if _, err := l.Lookup(c); err != nil {
		t.Fatalf("broken file dropped the list: %v", err)
	}
	// Z85 keys may contain "#": only a field starting with it is a comment.
	hashy := curve.Key{}
	for {
		hashy, _, _ = curve.GenerateKeyPair()
		if strings.Contains(hashy.String()[1:], "#") {
			break
		}
	}
	if keys, err := Parse(hashy.String() + " ro # comment"); err != nil || len(keys) != 1 {
		t.Fatalf("key with '#': %v %v", keys, err)
	}
	for _, bad := range []string{"x rw", a.String() + " root", a.String() + " rw / extra", a.String() + " rw /"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// FuzzParse: any authorized-keys text parses or fails cleanly; every
// right it yields has a clean prefix.
func FuzzParse(f *testing.F) {
	k, _, _ := curve.GenerateKeyPair()
	f.Add(k.String() + " rw team/x # c\n# comment\n\n")
	f.Add("garbage")
	f.Add(k.String() + " ro ../../etc")
	f.Fuzz(func(t *testing.T, text string) {
		keys, err := Parse(text)
		if err != nil {
			return
		}
		for _, r := range keys {
			if strings.HasPrefix(r.Prefix, "/") || r.Prefix == ".." || strings.HasPrefix(r.Prefix, "../") || strings.Contains(r.Prefix, "/../") || strings.HasSuffix(r.Prefix, "/..") {
				t.Fatalf("prefix %q escapes", r.Prefix)
			}
		}
	})
}

func TestParseAdmin(t *testing.T) {
	a, _, _ := curve.GenerateKeyPair()
	keys, err := Parse(a.String() + " admin\n")
	if r := keys[a]; err != nil || !r.Admin || !r.Write || r.Prefix != "" {
		t.Fatalf("admin key: %+v, %v", r, err)
	}
	if _, err := Parse(a.String() + " admin team\n"); err == nil {
		t.Error("an admin key with a prefix was taken")
	}
	if keys, _ := Parse(a.String() + " rw\n"); keys[a].Admin {
		t.Error("an rw key is admin")
	}
}
