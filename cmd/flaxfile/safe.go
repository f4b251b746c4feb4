package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// termSafe makes text that may have come from a peer (keys, paths, a
// server's error words) safe to show on a terminal: control characters
// (C0, DEL, C1: ESC, OSC, BEL, CR, newline…), the bidirectional overrides
// that reorder what is shown, and invalid UTF-8 are written as escapes,
// so that no peer can retitle the window, clear the screen, or fake a
// line. Every such string goes through it before it is printed; --json
// keeps the exact values.
func termSafe(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports runes termSafe escapes (utf8.RuneError stands for
// invalid UTF-8 as well as itself).
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || r == utf8.RuneError ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f
}
