package main

import "testing"

func TestTermSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain/key.txt":      "plain/key.txt",
		"中文/文件":              "中文/文件",
		"a\x1b]0;pwned\x07b": `a\x1b]0;pwned\x07b`,
		"x\x1b[2J\x1b[Hy":    `x\x1b[2J\x1b[Hy`,
		"fake\r\nline":       `fake\x0d\x0aline`,
		"c1\u009bm":          `c1\u009bm`,
		"bidi\u202etxt.exe":  `bidi\u202etxt.exe`,
		"bad\xffutf8":        `bad\xffutf8`,
		"del\x7f":            `del\x7f`,
		"tab\there":          `tab\x09here`,
	} {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
