package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// A listing page carries one ListEntry2 a line, and a tree of 50,000 files
// is 50,000 lines each way: encoding/json's reflection on both sides was a
// tenth of a no-change push's time. AppendListEntry2 and ParseListEntry2
// write and read the common form directly, octet for octet what
// encoding/json makes, and hand anything else to encoding/json.

// AppendListEntry2 appends e as one JSON object (no newline) to dst, as
// json.Marshal writes it.
func AppendListEntry2(dst []byte, e ListEntry2) []byte {
	if !plainJSON(e.Key) || !plainJSON(e.Hash) {
		line, _ := json.Marshal(e)
		return append(dst, line...)
	}
	dst = append(dst, `{"key":"`...)
	dst = append(dst, e.Key...)
	dst = append(dst, `","size":`...)
	dst = strconv.AppendInt(dst, e.Size, 10)
	dst = append(dst, `,"mtime_ns":`...)
	dst = strconv.AppendInt(dst, e.MTime, 10)
	dst = append(dst, `,"mode":`...)
	dst = strconv.AppendUint(dst, uint64(e.Mode), 10)
	if e.Hash != "" {
		dst = append(dst, `,"xxh3_128_blocks":"`...)
		dst = append(dst, e.Hash...)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// plainJSON reports whether s is valid UTF-8 that encoding/json writes as
// it is inside quotes: no quote, backslash, control character, nor what it
// escapes for HTML (<, >, &) or JavaScript (U+2028, U+2029).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size - 1
	}
	return true
}

// ParseListEntry2 reads one line of a listing page.
func ParseListEntry2(line []byte) (ListEntry2, error) {
	if e, ok := parseListEntryFast(line); ok {
		return e, nil
	}
	var e ListEntry2
	err := json.Unmarshal(line, &e)
	return e, err
}

// parseListEntryFast reads the form AppendListEntry2 writes; ok is false
// for anything else (escapes, other order, other fields, spaces), which
// encoding/json then reads or refuses.
func parseListEntryFast(b []byte) (e ListEntry2, ok bool) {
	b, ok = cut(b, `{"key":"`)
	if !ok {
		return e, false
	}
	var key []byte
	if key, b, ok = plainString(b); !ok {
		return e, false
	}
	e.Key = string(key)
	if b, ok = cut(b, `,"size":`); !ok {
		return e, false
	}
	if e.Size, b, ok = jsonInt(b); !ok {
		return e, false
	}
	if b, ok = cut(b, `,"mtime_ns":`); !ok {
		return e, false
	}
	if e.MTime, b, ok = jsonInt(b); !ok {
		return e, false
	}
	if b, ok = cut(b, `,"mode":`); !ok {
		return e, false
	}
	var mode int64
	if mode, b, ok = jsonInt(b); !ok || mode < 0 || mode > 1<<32-1 {
		return e, false
	}
	e.Mode = uint32(mode)
	if rest, found := cut(b, `,"xxh3_128_blocks":"`); found {
		var hash []byte
		if hash, b, ok = plainString(rest); !ok {
			return e, false
		}
		e.Hash = string(hash)
	}
	return e, string(b) == "}"
}

// cut removes prefix from b.
func cut(b []byte, prefix string) ([]byte, bool) {
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return b, false
	}
	return b[len(prefix):], true
}

// plainString reads a JSON string's body up to its closing quote, when it
// holds nothing encoding/json would decode otherwise (no escape, no
// control character, valid UTF-8).
func plainString(b []byte) (s, rest []byte, ok bool) {
	end := bytes.IndexByte(b, '"')
	if end < 0 {
		return nil, b, false
	}
	s = b[:end]
	for _, c := range s {
		if c < 0x20 || c == '\\' {
			return nil, b, false
		}
	}
	if !utf8.Valid(s) {
		return nil, b, false
	}
	return s, b[end+1:], true
}

// jsonInt reads a JSON integer as encoding/json reads one into an int64:
// an optional minus, then 0 or digits not starting with 0; a fraction or
// exponent is left to encoding/json (which refuses it for an integer).
func jsonInt(b []byte) (int64, []byte, bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == start || (b[start] == '0' && i > start+1) || (i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E')) {
		return 0, b, false
	}
	n, err := strconv.ParseInt(string(b[:i]), 10, 64)
	if err != nil {
		return 0, b, false
	}
	return n, b[i:], true
}
