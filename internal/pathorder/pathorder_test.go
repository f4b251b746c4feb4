package pathorder

import (
	"slices"
	"sort"
	"testing"
)

func TestCompareIsWalkOrder(t *testing.T) {
	paths := []string{"b", "a.b", "a/y/z", "a-c", "a/x", "a", "a/x/1", "é", "Z"}
	sort.Slice(paths, func(i, j int) bool { return Compare(paths[i], paths[j]) < 0 })
	want := []string{"Z", "a", "a/x", "a/x/1", "a/y/z", "a-c", "a.b", "b", "é"}
	if !slices.Equal(paths, want) {
		t.Fatalf("order %q, want %q", paths, want)
	}
	if Compare("a/b", "a/b") != 0 || Compare("a", "a/b") >= 0 || Compare("a/b", "a") <= 0 {
		t.Fatal("prefix cases")
	}
}
