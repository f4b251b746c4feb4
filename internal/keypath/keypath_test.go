package keypath

import (
	"errors"
	"testing"
)

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"a/b": "a/b", "/abs/x": "abs/x", "./x": "x", "a//b": "a/b", "a/./b/../c": "a/c", "/": "", ".": "", "a/": "a",
	} {
		if got, err := Clean(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"..", "../x", "a/../../x", "x\x00y"} {
		if _, err := Clean(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v, want ErrInvalid", bad, err)
		}
	}
}
