package wire

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Itoa is Python's str(int).encode(): the decimal form of n.
func Itoa(n int64) []byte { return strconv.AppendInt(nil, n, 10) }

// ParseInt parses a frame as Python's int(bytes.decode()) does: surrounding
// white space, an optional sign, decimal digits with single underscores
// between them. Errors carry Python's exception text, which 1.2 sends back
// in ERROR replies.
func ParseInt(b []byte) (int64, error) {
	s, err := DecodeUTF8(b)
	if err != nil {
		return 0, err
	}
	// Made only on failure: every chunk reply's number comes through here.
	bad := func() error { return fmt.Errorf("invalid literal for int() with base 10: %s", PyRepr(s)) }
	t := strings.TrimFunc(s, unicode.IsSpace)
	digits := strings.TrimLeft(t, "+-")
	if len(t)-len(digits) > 1 || digits == "" || digits[0] == '_' || digits[len(digits)-1] == '_' || strings.Contains(digits, "__") {
		return 0, bad()
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("integer %s out of range", t)
		}
		return 0, bad()
	}
	return n, nil
}

// DecodeUTF8 is Python's bytes.decode(): strict UTF-8, with Python's error
// text on failure.
func DecodeUTF8(b []byte) (string, error) {
	if utf8.Valid(b) {
		return string(b), nil
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n != 1 {
			i += n
			continue
		}
		reason := "invalid start byte"
		if b[i] >= 0xC2 && b[i] <= 0xF4 {
			reason = "invalid continuation byte"
			if !utf8.FullRune(b[i:]) {
				reason = "unexpected end of data"
			}
		}
		return "", fmt.Errorf("'utf-8' codec can't decode byte 0x%02x in position %d: %s", b[i], i, reason)
	}
	return string(b), nil
}

// PyRepr is Python's repr() of a str, as it appears in exception texts.
func PyRepr(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r > 0x7f && !unicode.IsPrint(r):
			if r <= 0xff {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else if r <= 0xffff {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// PyFloat is Python's repr() of a float: the shortest text that reads back
// as f, with ".0" on whole numbers and an exponent outside 1e-4 to 1e16.
func PyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity" // json.dumps spelling
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Python writes at least two exponent digits, as Go does.
		return s
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// PyJSONString is Python's json.dumps() of a str with ensure_ascii: every
// non-ASCII character as \uXXXX (surrogate pairs beyond the BMP). Octets
// that are not UTF-8, as file names may hold, come out as Python's
// surrogateescape gives them: \udcXX.
func PyJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\udc%02x`, s[i])
			i++
			continue
		}
		i += n
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || r >= 0x7f && r <= 0xffff:
				fmt.Fprintf(&b, `\u%04x`, r)
			case r > 0xffff:
				r -= 0x10000
				fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
