package tree

import (
	"path/filepath"
	"testing"
)

func TestCacheRoundTrip(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "tree")
	c := OpenCache(root, filepath.Join(dir, "cache"))
	if _, ok := c.Get("a", "k", 1, 2); ok {
		t.Fatal("empty cache hit")
	}
	c.Put("a/b c", "k", 10, 20, "h1")
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	c = OpenCache(root, filepath.Join(dir, "cache"))
	if h, ok := c.Get("a/b c", "k", 10, 20); !ok || h != "h1" {
		t.Fatalf("after reload: %q %v", h, ok)
	}
	// Another size or time, or another kind, is a miss.
	for _, miss := range [][2]int64{{11, 20}, {10, 21}} {
		if _, ok := c.Get("a/b c", "k", miss[0], miss[1]); ok {
			t.Errorf("stale entry served for %v", miss)
		}
	}
	if _, ok := c.Get("a/b c", "other", 10, 20); ok {
		t.Error("another kind served")
	}
	// Another tree has its own cache.
	if _, ok := OpenCache(filepath.Join(dir, "other"), filepath.Join(dir, "cache")).Get("a/b c", "k", 10, 20); ok {
		t.Error("another tree's cache served")
	}
}
