package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/flaxfile/flaxfile"

	"github.com/flaxfile/flaxfile/internal/progress"
	"github.com/spf13/cobra"
)

// transferResult is what set and get print with --json.
type transferResult struct {
	Key            string  `json:"key"`
	Size           int64   `json:"size"`
	Seconds        float64 `json:"seconds"`
	BytesPerSecond float64 `json:"bytes_per_second"`
	Output         string  `json:"output,omitempty"`
	Checksum       string  `json:"checksum,omitempty"`
	// BytesSent / BytesReceived: the payload octets this run moved, less
	// than size when it resumed an earlier one.
	BytesSent     *int64 `json:"bytes_sent,omitempty"`
	BytesReceived *int64 `json:"bytes_received,omitempty"`
	// WireSent / WireReceived: what crossed the network both ways,
	// requests, replies, framing and encryption included.
	WireSent     int64  `json:"wire_sent"`
	WireReceived int64  `json:"wire_received"`
	Protocol     string `json:"protocol"`
	// Cipher is what sealed the traffic; absent in the clear.
	Cipher string `json:"cipher,omitempty"`
}

// bars reports progress on a terminal, and nowhere else.
type bars struct {
	e    *env
	g    *globals
	desc string
	bar  *progress.Bar
}

// Start implements flaxfile.Progress.
func (b *bars) Start(_ string, total int64) {
	if b.e.ttyOut && isTerminal(b.e.stderr) && !b.g.quiet && !b.g.json && !b.g.noProgress {
		b.bar = progress.New(b.e.stderr, b.e.msg(b.desc), total)
	}
}

func (b *bars) Transferred(key string, n int64) {
	if b.bar != nil {
		b.bar.Transferred(key, n)
	}
}

func (b *bars) finish() {
	if b.bar != nil {
		b.bar.Finish()
	}
}

// interrupted turns a cancelled context into errInterrupted.
func interrupted(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return errInterrupted
	}
	return err
}

func newSetCmd(e *env, g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set FILE [KEY] | set FILE... DIR/ | set - KEY",
		Short: "Upload files (KEY defaults to the file's base name; - reads standard input)",
		Long: "Upload files, as cp copies them: FILE [KEY] stores FILE under KEY (its base name by\n" +
			"default); a KEY ending in / stores FILE below it; several FILEs need such a KEY;\n" +
			"- as FILE reads standard input (kept in a temporary file, so memory stays flat)." + exitCodesHelp,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			ts, err := setTargets(a)
			if err != nil {
				return err
			}
			return runTransfers(cmd.Context(), e, g, ts, true)
		},
	}
	addTuningFlags(cmd, &g.tune)
	addDeltaFlags(cmd, &g.tune)
	return cmd
}

func newGetCmd(e *env, g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get KEY [OUTPUT] | get KEY... DIR/ | get KEY -",
		Short: "Download files (OUTPUT defaults to KEY as a relative path; - writes standard output)",
		Long: "Download files, as cp copies them: KEY [OUTPUT] writes KEY to OUTPUT (KEY's own path,\n" +
			"relative, by default); a directory (or a name ending in /) as OUTPUT gets DIR/BASE,\n" +
			"BASE being KEY's base name; several KEYs need such a directory; - writes standard output. Nothing\n" +
			"is downloaded before the destination is known to be writable." + exitCodesHelp,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			ts, err := getTargets(a)
			if err != nil {
				return err
			}
			for _, t := range ts {
				if t.path != stdio {
					if err := writable(t.path); err != nil {
						return err
					}
				}
			}
			return runTransfers(cmd.Context(), e, g, ts, false)
		},
	}
	addTuningFlags(cmd, &g.tune)
	addDeltaFlags(cmd, &g.tune)
	addNoSyncFlag(cmd, g)
	return cmd
}

// addNoSyncFlag registers get's and pull's --no-fsync. By default a
// download is flushed to the disk before it is renamed into place, so
// that the name never shows a file a crash could leave damaged — the
// promise "never half-written" — as the server does before it publishes.
func addNoSyncFlag(cmd *cobra.Command, g *globals) {
	cmd.Flags().BoolVar(&g.noSync, "no-fsync", false, "rename downloads into place without flushing them to the disk first (faster; a crash soon after may leave a damaged file)")
}

// runTransfers sets (up) or gets each file over one client, reporting
// each; the first failure ends the run.
func runTransfers(ctx context.Context, e *env, g *globals, ts []transfer, up bool) error {
	desc := "downloading"
	if up {
		desc = "uploading"
	}
	b := &bars{e: e, g: g, desc: desc}
	c, err := g.connect(ctx, e, b)
	if err != nil {
		return interrupted(ctx, err)
	}
	defer c.Close()
	for _, t := range ts {
		start := time.Now()
		var err error
		if up {
			err = setOne(ctx, e, g, c, b, t, start)
		} else {
			err = getOne(ctx, e, g, c, b, t, start)
		}
		if err != nil {
			return interrupted(ctx, fmt.Errorf("%s: %w", t.key, err))
		}
	}
	return nil
}

// setOne uploads one file (standard input through a temporary file).
func setOne(ctx context.Context, e *env, g *globals, c *flaxfile.Client, b *bars, t transfer, start time.Time) error {
	src := t.path
	if src == stdio {
		tmp, err := spoolStdin(e)
		if err != nil {
			return err
		}
		defer os.Remove(tmp)
		src = tmp
	}
	res, err := c.SetFile(ctx, t.key, src)
	b.finish()
	if err != nil {
		return err
	}
	return report(e, e.stdout, g, "uploadDone", transferResult{Key: t.key, Size: res.Size, Seconds: res.Duration.Seconds(),
		BytesPerSecond: float64(res.Moved) / res.Duration.Seconds(), Checksum: res.Checksum,
		BytesSent: &res.Moved, WireSent: res.WireSent, WireReceived: res.WireReceived, Protocol: res.Protocol, Cipher: c.Cipher()}, time.Since(start), "")
}

// getOne downloads one file (standard output through a temporary file,
// whose summary then goes to standard error).
func getOne(ctx context.Context, e *env, g *globals, c *flaxfile.Client, b *bars, t transfer, start time.Time) error {
	out, w := t.path, e.stdout
	if out == stdio {
		dir, err := os.MkdirTemp("", "flaxfile-get-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		out, w = filepath.Join(dir, "out"), e.stderr
	}
	res, err := c.GetFile(ctx, t.key, out)
	b.finish()
	if err != nil {
		return err
	}
	shown := t.path
	if t.path == stdio {
		if err := copyFileTo(e.stdout, out); err != nil {
			return err
		}
		shown = "(standard output)"
	}
	return report(e, w, g, "downloadDone", transferResult{Key: t.key, Size: res.Size, Seconds: res.Duration.Seconds(),
		BytesPerSecond: float64(res.Moved) / res.Duration.Seconds(), Output: shown,
		BytesReceived: &res.Moved, WireSent: res.WireSent, WireReceived: res.WireReceived, Protocol: res.Protocol, Cipher: c.Cipher()}, time.Since(start), shown)
}

// spoolStdin copies standard input into a temporary file, so that it can
// be sent in parallel chunks, memory staying flat whatever its size.
func spoolStdin(e *env) (string, error) {
	f, err := os.CreateTemp("", "flaxfile-stdin-")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, e.stdin); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("reading standard input: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// copyFileTo writes the file at p to w.
func copyFileTo(w io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// report prints a finished transfer to w: JSON, the compact table, or
// nothing. A resumed transfer says how much was there already, and its
// throughput counts only what moved.
func report(e *env, w io.Writer, g *globals, title string, r transferResult, total time.Duration, output string) error {
	switch {
	case g.json:
		return printJSON(w, r)
	case g.quiet:
		return nil
	}
	rows := [][4]string{{e.msg("file"), r.Key, e.msg("size"), formatSize(r.Size)}}
	if output != "" {
		rows = append(rows, [4]string{e.msg("savedTo"), output, "", ""})
	}
	moved := r.Size
	for _, m := range []*int64{r.BytesSent, r.BytesReceived} {
		if m != nil {
			moved = *m
		}
	}
	if moved < r.Size {
		rows = append(rows, [4]string{e.msg("resumed"), e.msg("alreadyThere", formatSize(r.Size-moved)), "", ""})
	}
	rows = append(rows, [4]string{e.msg("totalTime"), e.msg("seconds", total.Seconds()), e.msg("throughput"),
		formatSize(int64(r.BytesPerSecond)) + "/s"})
	summary(w, e.msg(title), rows)
	return nil
}

var _ flaxfile.Progress = (*bars)(nil)
