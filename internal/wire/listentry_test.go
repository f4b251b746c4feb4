package wire

import (
	"encoding/json"
	"testing"
)

// listEntrySeeds are entries in both of the encoder's paths: plain keys
// and keys encoding/json escapes.
var listEntrySeeds = []ListEntry2{
	{Key: "d000/f0000001", Size: 4096, MTime: 1796567498299303132, Mode: 0o644},
	{Key: "a", Size: 0, MTime: -1, Mode: 0, Hash: "0123456789abcdef0123456789abcdef"},
	{Key: "日本/ファイル", Size: 1 << 40, MTime: 0, Mode: 0o777},
	{Key: `q"uote\back`, Size: 1, MTime: 2, Mode: 3},
	{Key: "<tag>&amp", Size: 1, MTime: 2, Mode: 3},
	{Key: "line\u2028sep\x01ctl", Size: 1, MTime: 2, Mode: 3},
	{Key: "bad\xffutf8", Size: 1, MTime: 2, Mode: 3},
}

// TestListEntryAsJSON: AppendListEntry2 writes exactly what json.Marshal
// writes, and ParseListEntry2 reads it back as json.Unmarshal would.
func TestListEntryAsJSON(t *testing.T) {
	for _, e := range listEntrySeeds {
		want, _ := json.Marshal(e)
		got := AppendListEntry2([]byte("x"), e)
		if string(got[1:]) != string(want) {
			t.Errorf("%q: wrote %s, json.Marshal %s", e.Key, got[1:], want)
		}
		back, err := ParseListEntry2(got[1:])
		var viaJSON ListEntry2
		_ = json.Unmarshal(want, &viaJSON)
		if err != nil || back != viaJSON {
			t.Errorf("%q: read back %+v, %v; json.Unmarshal %+v", e.Key, back, err, viaJSON)
		}
	}
	for _, bad := range []string{`{"key":"a","size":01,"mtime_ns":1,"mode":1}`, `{"key":"a","size":1.5,"mtime_ns":1,"mode":1}`,
		`{"key":"a","size":1,"mtime_ns":1,"mode":-1}`, `{"key":"a","size":1,"mtime_ns":1,"mode":4294967296}`,
		`{"key":"a","size":99999999999999999999,"mtime_ns":1,"mode":1}`, `{"key":"a","size":1,"mtime_ns":1,"mode":1}x`} {
		if e, err := ParseListEntry2([]byte(bad)); err == nil {
			t.Errorf("%s read as %+v", bad, e)
		}
	}
}

// FuzzListEntry: whatever the line, ParseListEntry2 answers as
// json.Unmarshal does (both refuse, or both read the same entry), and
// what is read is written back as json.Marshal writes it.
func FuzzListEntry(f *testing.F) {
	for _, e := range listEntrySeeds {
		f.Add(AppendListEntry2(nil, e))
	}
	f.Add([]byte(`{"key":"a","size":1,"mtime_ns":1,"mode":1,"xxh3_128_blocks":"ab"}`))
	f.Add([]byte(`{"size":1,"key":"a","mtime_ns":1,"mode":1}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		got, err := ParseListEntry2(line)
		var want ListEntry2
		werr := json.Unmarshal(line, &want)
		if (err == nil) != (werr == nil) || (err == nil && got != want) {
			t.Fatalf("%q: read %+v, %v; json.Unmarshal %+v, %v", line, got, err, want, werr)
		}
		if err == nil {
			m, _ := json.Marshal(got)
			if a := AppendListEntry2(nil, got); string(a) != string(m) {
				t.Fatalf("%+v: wrote %s, json.Marshal %s", got, a, m)
			}
		}
	})
}
