package storetest

import "strings"

// HostileKeys are keys a client may send to get out of the store, or to
// confuse it: all must be refused or land inside the store.
var HostileKeys = []string{
	"..", "../x", "../../etc/passwd", "/etc/passwd", "//etc/passwd", "a/../../b", "./../x",
	"x/..", ".", "/", "", "./", "a/b/../../..", "/./././x", "x/y/z/../../..",
	"\x00", "a\x00b", "a/\x00", "\x00/../x",
	"\xff", "\xc3\x28", "a/\xfe\xff", "\xed\xa0\x80",
	strings.Repeat("a", 256), strings.Repeat("a/", 2100) + "x", strings.Repeat("b", 5000),
	".flaxfile-partial/x", ".flaxfile-partial", "/.flaxfile-partial/../.flaxfile-partial/y",
	"a//b", "a/./b", "dir/", "CON", "NUL", "aux", "com1", "LPT1", " ", "   ", "\n", "a\nb", "\t",
	"~", "~/x", "$HOME", "%2e%2e/x", "..%2f", "\\..\\x", "..\\..\\x", "a\\b",
	"link/escaped", "link", "-rf", "*", "?", "[a]", "😀", "\u202etxt.exe", "\u200b", "e\u0301", "\u00e9",
}
