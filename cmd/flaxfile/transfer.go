package main

import (
	"context"
	"errors"
	"fmt"
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
	Protocol      string `json:"protocol"`
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
	if b.e.ttyOut && isTerminal(b.e.stderr) && !b.g.quiet && !b.g.json {
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
		Use:   "set FILE [KEY]",
		Short: "Upload a file (KEY defaults to the file's base name)",
		Args:  args(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			key := filepath.Base(a[0])
			if len(a) > 1 {
				key = a[1]
			}
			return runSet(cmd.Context(), e, g, a[0], key)
		},
	}
	addTuningFlags(cmd, &g.tune)
	return cmd
}

func runSet(ctx context.Context, e *env, g *globals, path, key string) error {
	b := &bars{e: e, g: g, desc: "uploading"}
	start := time.Now()
	c, err := g.connect(ctx, e, b)
	if err != nil {
		return interrupted(ctx, err)
	}
	defer c.Close()
	res, err := c.SetFile(ctx, key, path)
	b.finish()
	if err != nil {
		return interrupted(ctx, err)
	}
	total := time.Since(start)
	return report(e, g, "uploadDone", transferResult{Key: key, Size: res.Size, Seconds: res.Duration.Seconds(),
		BytesPerSecond: float64(res.Size) / res.Duration.Seconds(), Checksum: res.Checksum,
		BytesSent: &res.Moved, Protocol: res.Protocol, Cipher: c.Cipher()}, total, "")
}

func newGetCmd(e *env, g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get KEY [OUTPUT]",
		Short: "Download a file (OUTPUT defaults to KEY as a relative path)",
		Args:  args(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			out := a[0]
			if len(a) > 1 {
				out = a[1]
			}
			return runGet(cmd.Context(), e, g, a[0], out)
		},
	}
	addTuningFlags(cmd, &g.tune)
	return cmd
}

func runGet(ctx context.Context, e *env, g *globals, key, out string) error {
	b := &bars{e: e, g: g, desc: "downloading"}
	start := time.Now()
	c, err := g.connect(ctx, e, b)
	if err != nil {
		return interrupted(ctx, err)
	}
	defer c.Close()
	res, err := c.GetFile(ctx, key, out)
	b.finish()
	if err != nil {
		return interrupted(ctx, err)
	}
	return report(e, g, "downloadDone", transferResult{Key: key, Size: res.Size, Seconds: res.Duration.Seconds(),
		BytesPerSecond: float64(res.Size) / res.Duration.Seconds(), Output: out,
		BytesReceived: &res.Moved, Protocol: res.Protocol, Cipher: c.Cipher()}, time.Since(start), out)
}

// report prints a finished transfer: JSON, the compact table, or nothing.
func report(e *env, g *globals, title string, r transferResult, total time.Duration, output string) error {
	switch {
	case g.json:
		return printJSON(e.stdout, r)
	case g.quiet:
		return nil
	}
	rows := [][4]string{{e.msg("file"), r.Key, e.msg("size"), fmt.Sprintf("%.2f MB", float64(r.Size)/(1<<20))}}
	if output != "" {
		rows = append(rows, [4]string{e.msg("savedTo"), output, "", ""})
	}
	rows = append(rows, [4]string{e.msg("totalTime"), e.msg("seconds", total.Seconds()), e.msg("throughput"),
		fmt.Sprintf("%.2f MB/s", mibps(r.Size, time.Duration(r.Seconds*float64(time.Second))))})
	summary(e.stdout, e.msg(title), rows)
	return nil
}

var _ flaxfile.Progress = (*bars)(nil)
