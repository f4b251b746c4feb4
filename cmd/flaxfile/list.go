package main

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/spf13/cobra"
)

func newListCmd(e *env, g *globals) *cobra.Command {
	var detailed bool
	cmd := &cobra.Command{
		Use:   "list [PREFIX]",
		Short: "List files, grouped by top-level key (--detailed: one row per file)",
		Args:  args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			prefix := ""
			if len(a) > 0 {
				prefix = a[0]
			}
			return runList(cmd.Context(), e, g, prefix, detailed)
		},
	}
	cmd.Flags().BoolVar(&detailed, "detailed", false, "one row per file")
	return cmd
}

// group is one top-level key in the aggregated view.
type group struct {
	Name    string    `json:"name"`
	Type    string    `json:"type"` // "file" or "dir"
	Files   int       `json:"files"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"modified"`
}

// aggregate groups entries by the first component of their key below
// prefix, as the seed's list view does.
func aggregate(entries []flaxfile.Entry, prefix string) []group {
	base := strings.TrimSuffix(prefix, "/")
	if base != "" {
		base += "/"
	}
	var out []group
	index := map[string]int{}
	for _, en := range entries {
		rest := strings.TrimPrefix(en.Key, base)
		name, _, isDir := strings.Cut(rest, "/")
		name = base + name
		i, ok := index[name]
		if !ok {
			i = len(out)
			index[name] = i
			out = append(out, group{Name: name, Type: "file"})
		}
		gr := &out[i]
		if isDir {
			gr.Type = "dir"
		}
		gr.Files++
		gr.Size = addSizes(gr.Size, en.Size)
		if en.ModTime.After(gr.ModTime) {
			gr.ModTime = en.ModTime
		}
	}
	return out
}

func runList(ctx context.Context, e *env, g *globals, prefix string, detailed bool) error {
	c, err := g.connect(ctx, e, nil)
	if err != nil {
		return interrupted(ctx, err)
	}
	defer c.Close()
	entries, err := c.List(ctx, prefix, false)
	if err == nil && len(entries) == 0 && prefix != "" {
		if entries, err = fileEntry(ctx, c, prefix); len(entries) == 1 {
			prefix = path.Dir(entries[0].Key) // grouped below its directory
			if prefix == "." {
				prefix = ""
			}
		}
	}
	if err != nil {
		return interrupted(ctx, err)
	}
	if g.json {
		if detailed {
			for _, en := range entries {
				if err := printJSON(e.stdout, map[string]any{"key": en.Key, "size": en.Size, "modified": en.ModTime}); err != nil {
					return err
				}
			}
			return nil
		}
		for _, gr := range aggregate(entries, prefix) {
			if err := printJSON(e.stdout, gr); err != nil {
				return err
			}
		}
		return nil
	}
	if g.quiet {
		return nil
	}
	if len(entries) == 0 {
		if prefix != "" {
			fmt.Fprintln(e.stdout, e.msg("listNoMatch", prefix))
		} else {
			fmt.Fprintln(e.stdout, e.msg("listEmpty"))
		}
		return nil
	}
	var total int64
	for _, en := range entries {
		total = addSizes(total, en.Size)
	}
	fmt.Fprintln(e.stdout, e.msg("listTitle", len(entries)))
	if detailed {
		rows := [][]string{{e.msg("colKey"), e.msg("colSize"), e.msg("colMtime")}}
		for _, en := range entries {
			rows = append(rows, []string{cut(en.Key, e.keyWidth(45)), formatSize(en.Size), stamp(en.ModTime)})
		}
		table(e.stdout, rows, []bool{false, true, false})
	} else {
		rows := [][]string{{e.msg("colName"), e.msg("colType"), e.msg("colFiles"), e.msg("colSize"), e.msg("colMtime")}}
		for _, gr := range aggregate(entries, prefix) {
			typ := e.msg("typeFile")
			if gr.Type == "dir" {
				typ = e.msg("typeDir")
			}
			rows = append(rows, []string{cut(gr.Name, e.keyWidth(55)), typ, fmt.Sprint(gr.Files), formatSize(gr.Size), stamp(gr.ModTime)})
		}
		table(e.stdout, rows, []bool{false, false, true, true, false})
	}
	fmt.Fprintln(e.stdout, "\n"+e.msg("listTotal", len(entries), formatSize(total)))
	return nil
}

// stamp is 1.2's local time format, "N/A" for none.
func stamp(t time.Time) string {
	if t.IsZero() || t.Unix() == 0 {
		return "N/A"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// fileEntry finds key as a file when listing it as a directory found
// nothing: `list KEY` of a file shows that file.
func fileEntry(ctx context.Context, c *flaxfile.Client, key string) ([]flaxfile.Entry, error) {
	k, err := flaxfile.CleanKey(key)
	if err != nil || k == "" {
		return nil, nil
	}
	parent := path.Dir(k)
	if parent == "." {
		parent = ""
	}
	var found []flaxfile.Entry
	errFound := errors.New("found")
	err = c.Walk(ctx, parent, false, func(en flaxfile.Entry) error {
		if en.Key == k {
			found = []flaxfile.Entry{en}
			return errFound // no need to read the rest of the directory
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return nil, err
	}
	return found, nil
}

// cut shortens s to n columns, keeping its head and tail around "…", so
// that a long key does not wrap a table on a terminal; n <= 0 keeps s.
func cut(s string, n int) string {
	r := []rune(s)
	if n <= 0 || len(r) <= n {
		return s
	}
	head := (n - 1) / 2
	return string(r[:head]) + "…" + string(r[len(r)-(n-1-head):])
}
