package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/flaxfile/flaxfile/dirsync"
	"github.com/flaxfile/flaxfile/internal/progress"
	"github.com/spf13/cobra"
)

// syncFlags are the options of push and pull.
type syncFlags struct {
	force, del, dryRun, noIgnore, allowDeleteAll bool
	maxDelete                                    int
	exclude, include                             []string
}

func addSyncFlags(cmd *cobra.Command, s *syncFlags) {
	f := cmd.Flags()
	f.BoolVar(&s.force, "force", false, "send every file without comparing")
	f.BoolVar(&s.del, "delete", false, "delete files the receiving side has and the sending side lacks (also with --force)")
	f.BoolVar(&s.dryRun, "dry-run", false, "print the plan and change nothing")
	f.IntVar(&s.maxDelete, "max-delete", -1, "refuse the whole sync if it needs more than N deletions")
	f.BoolVar(&s.allowDeleteAll, "allow-delete-all", false, "let --delete empty the receiving side when the sending side is empty or missing")
	f.StringArrayVar(&s.exclude, "exclude", nil, "also ignore paths matching this pattern (.gitignore syntax; repeatable)")
	f.StringArrayVar(&s.include, "include", nil, "keep paths matching this pattern whatever the ignore rules say (repeatable)")
	f.BoolVar(&s.noIgnore, "no-ignore", false, "turn off the automatic ignores, .gitignore and .flaxignore")
}

func (s *syncFlags) options() *dirsync.Options {
	return &dirsync.Options{
		Exclude: s.exclude, Include: s.include, NoIgnore: s.noIgnore,
		Force: s.force, Delete: s.del, DryRun: s.dryRun,
		LimitDelete: s.maxDelete >= 0, MaxDelete: s.maxDelete, AllowDeleteAll: s.allowDeleteAll,
	}
}

const syncHelp = `
Files are compared by size and modification time, then by content hash
when those are not enough; only what differs is sent, small files many to
a message, interrupted ones resumed. Ignored: .git, .hg, .svn, .bzr,
__pycache__, *.pyc, .pytest_cache, .mypy_cache, .tox, .venv, node_modules,
.DS_Store, Thumbs.db, FlaxFile's partial files, and what every .gitignore
and .flaxignore names (--no-ignore turns these off). Symbolic links to
files inside the tree are sent as those files; links leading out of the
tree, to directories, or broken are skipped with a warning.`

func newPushCmd(e *env, g *globals) *cobra.Command {
	return newSyncCmd(e, g, true, "push DIR [REMOTE]",
		"Make the server's REMOTE (default: DIR's name) match the local DIR",
		"Make the server's directory REMOTE (default: the base name of DIR) match DIR.")
}

func newPullCmd(e *env, g *globals) *cobra.Command {
	return newSyncCmd(e, g, false, "pull REMOTE [DIR]",
		"Make the local DIR (default: ./REMOTE) match the server's REMOTE",
		"Make the local directory DIR (default: ./REMOTE) match the server's directory REMOTE.")
}

// newSyncCmd makes push (DIR first, REMOTE defaulting to DIR's base name)
// or pull (REMOTE first, DIR defaulting to ./REMOTE).
func newSyncCmd(e *env, g *globals, push bool, use, short, long string) *cobra.Command {
	s := &syncFlags{}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long + syncHelp + exitCodesHelp,
		Args:  args(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var dir, remote string
			if push {
				dir, remote = a[0], filepath.Base(filepath.Clean(a[0]))
				if len(a) > 1 {
					remote = a[1]
				}
			} else {
				remote, dir = a[0], "./"+strings.Trim(a[0], "/")
				if len(a) > 1 {
					dir = a[1]
				}
			}
			return runSync(cmd.Context(), e, g, s, push, dir, remote)
		},
	}
	addSyncFlags(cmd, s)
	addDeltaFlags(cmd, &g.tune)
	if !push {
		addNoSyncFlag(cmd, g)
	}
	return cmd
}

// syncBar is the one overall bar of a sync: files and octets done, the
// current file in its description.
type syncBar struct {
	bar   *progress.Bar
	word  string
	total int
	done  atomic.Int64
}

func (b *syncBar) Start(string, int64) {}

func (b *syncBar) Transferred(key string, n int64) {
	if b.bar != nil {
		b.bar.Transferred(key, n)
	}
}

// fileDone counts a file and shows it, in a field of fixed width so that
// the bar never moves.
func (b *syncBar) fileDone(rel string) {
	if b.bar != nil {
		b.bar.Describe(fmt.Sprintf("%s %*d/%d %s", b.word, len(fmt.Sprint(b.total)), b.done.Add(1), b.total, fit(termSafe(rel), 24)))
	}
}

// fit shows s in exactly n columns: its tail after "…" when longer,
// padded when shorter.
func fit(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return "…" + string(r[len(r)-n+1:])
	}
	return s + strings.Repeat(" ", n-len(r))
}

// syncReport is push's and pull's --json output.
type syncReport struct {
	Direction string `json:"direction"`
	Local     string `json:"local"`
	Remote    string `json:"remote"`
	DryRun    bool   `json:"dry_run"`
	New       int    `json:"new"`
	Modified  int    `json:"modified"`
	Unchanged int    `json:"unchanged"`
	ToDelete  int    `json:"to_delete"`
	Sent      int    `json:"transferred"`
	Deleted   int    `json:"deleted"`
	Failed    int    `json:"failed"`
	Bytes     int64  `json:"bytes"`
	// WireSent / WireReceived: what crossed the network both ways, the
	// listing, requests, framing and encryption included.
	WireSent     int64             `json:"wire_sent"`
	WireReceived int64             `json:"wire_received"`
	Seconds      float64           `json:"seconds"`
	Plan         []dirsync.File    `json:"plan,omitempty"`
	Failures     []dirsync.Failure `json:"failures,omitempty"`
}

func runSync(ctx context.Context, e *env, g *globals, s *syncFlags, push bool, dir, remote string) error {
	start := time.Now()
	word := e.msg("uploading")
	if !push {
		word = e.msg("downloading")
	}
	bar := &syncBar{word: word}
	c, err := g.connect(ctx, e, bar)
	if err != nil {
		return interrupted(ctx, err)
	}
	defer c.Close()
	o := s.options()
	o.Warn = func(rel, reason string) {
		if !g.quiet && !g.json {
			fmt.Fprintln(e.stderr, e.msg("syncSkip", termSafe(rel), termSafe(reason)))
		}
	}
	o.Planned = func(plan dirsync.Plan) {
		if !g.quiet && !g.json {
			deletes := plan.Delete
			if !s.del {
				deletes = 0 // counted as "only on the other side" in the summary
			}
			fmt.Fprintln(e.stdout, e.msg("syncPlan", plan.New, plan.Modified, plan.Unchanged, deletes, formatSize(plan.Bytes)))
		}
		if !s.dryRun && e.ttyOut && isTerminal(e.stderr) && !g.quiet && !g.json && !g.noProgress && plan.New+plan.Modified > 0 {
			bar.total = plan.New + plan.Modified
			bar.bar = progress.New(e.stderr, word, plan.Bytes)
		}
	}
	o.Done = func(f dirsync.File, err error) {
		if f.Action != dirsync.ActionDelete {
			bar.fileDone(f.Rel)
		}
	}
	var res *dirsync.Result
	s0, r0 := c.Traffic()
	if push {
		res, err = dirsync.Push(ctx, c, dir, remote, o)
	} else {
		res, err = dirsync.Pull(ctx, c, remote, dir, o)
	}
	if bar.bar != nil {
		bar.bar.Finish()
	}
	if err != nil {
		return interrupted(ctx, err)
	}
	s1, r1 := c.Traffic()
	return reportSync(e, g, s, push, dir, remote, res, traffic{s1 - s0, r1 - r0}, time.Since(start))
}

// traffic is what crossed the network during a command, both ways.
type traffic struct{ sent, received int64 }

func reportSync(e *env, g *globals, s *syncFlags, push bool, dir, remote string, res *dirsync.Result, w traffic, total time.Duration) error {
	p := res.Plan
	if g.json {
		r := syncReport{Direction: map[bool]string{true: "push", false: "pull"}[push], Local: dir, Remote: remote, DryRun: s.dryRun,
			New: p.New, Modified: p.Modified, Unchanged: p.Unchanged, ToDelete: p.Delete,
			Sent: res.Sent, Deleted: res.Deleted, Failed: res.Failed, Bytes: res.Bytes, WireSent: w.sent, WireReceived: w.received,
			Seconds: total.Seconds(), Failures: res.Failures}
		if s.dryRun {
			r.Plan = p.Files
		}
		if err := printJSON(e.stdout, r); err != nil {
			return err
		}
	} else if !g.quiet {
		if s.dryRun {
			for _, f := range p.Files {
				fmt.Fprintf(e.stdout, "  %-8s %s (%s)\n", f.Action, termSafe(f.Rel), formatSize(f.Size))
			}
		}
		title := e.msg("syncPushDone")
		if !push {
			title = e.msg("syncPullDone")
		}
		switch {
		case s.dryRun:
			title = e.msg("syncDryRun")
		case res.Failed > 0:
			title = e.msg("syncWithFailures", res.Failed)
		}
		rows := [][4]string{
			{e.msg("local"), dir, e.msg("remote"), remote},
			{e.msg("syncNew"), fmt.Sprint(p.New), e.msg("syncModified"), fmt.Sprint(p.Modified)},
			{e.msg("syncSkipped"), fmt.Sprint(p.Unchanged), e.msg("syncDeleted"), fmt.Sprint(res.Deleted)},
			{e.msg("syncFailed"), fmt.Sprint(res.Failed), e.msg("syncData"), formatSize(res.Bytes)},
			{e.msg("totalTime"), e.msg("seconds", total.Seconds()), e.msg("throughput"), formatSize(int64(float64(res.Bytes)/max(total.Seconds(), 1e-9))) + "/s"},
		}
		summary(e.stdout, title, rows)
		if !s.del && p.Delete > 0 {
			side := e.msg("onServer")
			if !push {
				side = e.msg("onLocal")
			}
			fmt.Fprintln(e.stdout, e.msg("syncOnlyThere", p.Delete, side))
		}
		if len(res.Failures) > 0 {
			fmt.Fprintln(e.stdout, e.msg("syncFailures", len(res.Failures)))
			for _, f := range res.Failures {
				fmt.Fprintf(e.stdout, "  ✗ %s: %s\n", termSafe(f.Rel), termSafe(f.Err))
			}
		}
	}
	if res.Failed > 0 {
		return fmt.Errorf("%s", e.msg("syncSomeFailed", res.Failed))
	}
	return nil
}
