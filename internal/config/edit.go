package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Change sets one value: Key in Table ("server", "servers.prod"), to a
// string or an int.
type Change struct {
	Table, Key string
	Value      any
}

// The lines Edit recognises, compiled when first needed: not at every
// start of the tool.
var (
	tableLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$`) })
	keyLine   = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(\s*)([A-Za-z0-9_-]+)(\s*=\s*)("(?:[^"\\]|\\.)*"|[^#]*?)(\s*#.*)?$`)
	})
)

// Edit applies changes to a TOML file's text in place: a key that is
// there gets its new value on its own line (its comment kept), a missing
// one is added at the end of its table, a missing table at the end of
// the file. Every other line (comments, order, keys Edit does not know)
// stays as it was.
func Edit(text string, changes []Change) (string, error) {
	lines := strings.Split(text, "\n")
	for _, ch := range changes {
		v, err := tomlValue(ch.Value)
		if err != nil {
			return "", err
		}
		lines = editOne(lines, ch.Table, ch.Key, v)
	}
	return strings.Join(lines, "\n"), nil
}

// editOne sets key in table to the TOML value v.
func editOne(lines []string, table, key, v string) []string {
	cur, start, end := "", -1, len(lines) // the table's body: lines[start:end]
	for i, l := range lines {
		if m := tableLine().FindStringSubmatch(l); m != nil {
			if cur == table && start >= 0 {
				end = i
				break
			}
			cur = strings.ReplaceAll(m[1], `"`, "")
			if cur == table {
				start = i + 1
			}
			continue
		}
		if cur != table {
			continue
		}
		if m := keyLine().FindStringSubmatch(l); m != nil && m[2] == key {
			lines[i] = m[1] + m[2] + m[3] + v + m[5]
			return lines
		}
	}
	line := key + " = " + v
	if start < 0 { // a new table at the end
		if n := len(lines); n > 0 && lines[n-1] == "" {
			lines = lines[:n-1]
		}
		return append(lines, "", "["+table+"]", line, "")
	}
	// After the table's last key or comment, before the blank lines that
	// part it from the next.
	at := end
	for at > start && strings.TrimSpace(lines[at-1]) == "" {
		at--
	}
	return append(lines[:at], append([]string{line}, lines[at:]...)...)
}

// tomlValue writes a string or int as TOML.
func tomlValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x), nil
	case int:
		return strconv.Itoa(x), nil
	}
	return "", fmt.Errorf("config: cannot write a %T", v)
}
