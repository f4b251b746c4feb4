package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// formatSize is 1.2's size format, two decimals in steps of 1024, with
// the IEC names of those steps (KiB, MiB…) that the progress bar uses too:
// one unit system everywhere.
func formatSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.2f %s", f, units[i])
}

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w) // one line, a newline after it
	enc.SetEscapeHTML(false)  // keys and Z85 keys keep their < > &
	return enc.Encode(v)
}

// width is the display width of s, counting wide (CJK) runes as two.
func width(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 || r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 || r >= 0xffe0 && r <= 0xffe6) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func pad(s string, w int, right bool) string {
	fill := strings.Repeat(" ", max(0, w-width(s)))
	if right {
		return fill + s
	}
	return s + fill
}

// table prints rows as aligned columns; alignRight marks right-aligned
// columns.
func table(w io.Writer, rows [][]string, alignRight []bool) {
	var widths []int
	rows = safeRows(rows)
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], width(c))
		}
	}
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = pad(c, widths[i], i < len(alignRight) && alignRight[i])
		}
		fmt.Fprintln(w, strings.TrimRight(strings.Join(cells, "  "), " "))
	}
}

// safeRows is rows with every cell made termSafe.
func safeRows(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, c := range r {
			out[i][j] = termSafe(c)
		}
	}
	return out
}

// summary prints the seed's compact completion table: a title, then rows
// of two label/value pairs side by side, labels right-aligned.
func summary(w io.Writer, title string, rows [][4]string) {
	fmt.Fprintln(w, title)
	t := make([][]string, len(rows))
	for i, r := range rows {
		t[i] = r[:]
	}
	table(w, t, []bool{true, false, true, false})
}

// addSizes adds two sizes a peer reported, stopping at the largest int64
// instead of wrapping round to a negative total.
func addSizes(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
