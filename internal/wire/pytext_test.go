package wire

import (
	"strings"
	"testing"
)

func TestParseIntLikePython(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "00": 0, " 42\n": 42, "-3": -3, "+7": 7, "1_000": 1000} {
		got, err := ParseInt([]byte(in))
		if err != nil || got != want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"x":    `invalid literal for int() with base 10: 'x'`,
		"":     `invalid literal for int() with base 10: ''`,
		"1__0": `invalid literal for int() with base 10: '1__0'`,
		"_1":   `invalid literal for int() with base 10: '_1'`,
		"it's": `invalid literal for int() with base 10: "it's"`,
		"--1":  `invalid literal for int() with base 10: '--1'`,
		"\xff": `'utf-8' codec can't decode byte 0xff in position 0: invalid start byte`,
	} {
		_, err := ParseInt([]byte(in))
		if err == nil || err.Error() != msg {
			t.Errorf("ParseInt(%q) error %v, want %s", in, err, msg)
		}
	}
}

func TestPyFloat(t *testing.T) {
	for f, want := range map[float64]string{
		1795635097.695504: "1795635097.695504",
		3:                 "3.0",
		0:                 "0.0",
		0.1:               "0.1",
		1e16:              "1e+16",
		1.5e-05:           "1.5e-05",
		123.456:           "123.456",
	} {
		if got := PyFloat(f); got != want {
			t.Errorf("PyFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestJSONLikePython(t *testing.T) {
	// json.dumps([{"key": "dir/é😀\"x", "size": 1000, "mtime": 1.5, "hash": "5f6f904c163beff0"}])
	got := string(ListJSON([]ListEntry{{Key: "dir/é😀\"x", Size: 1000, Mtime: 1.5, Hash: "5f6f904c163beff0"}, {Key: "b\xff", Size: 0, Mtime: 2}}))
	want := `[{"key": "dir/\u00e9\ud83d\ude00\"x", "size": 1000, "mtime": 1.5, "hash": "5f6f904c163beff0"}, {"key": "b\udcff", "size": 0, "mtime": 2.0}]`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := string(ListJSON(nil)); got != "[]" {
		t.Errorf("empty list %s", got)
	}
	end := string(UploadEndJSON("k", 5, 0.25, 20, strings.Repeat("a", 64), "", ""))
	if end != `{"status": "ok", "file_key": "k", "size": 5, "time": 0.25, "throughput": 20.0, "sha256": "`+strings.Repeat("a", 64)+`"}` {
		t.Errorf("upload end %s", end)
	}
}
