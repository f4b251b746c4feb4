package dirsync

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile"
)

// Push makes the directory remote on the server match the local
// directory dir: files missing or different there are sent (small ones
// batched, big ones over several connections, interrupted ones resumed),
// and with Delete the server's files that dir lacks are deleted after.
// Keys are remote + "/" + the path below dir with "/" separators.
func Push(ctx context.Context, c *flaxfile.Client, dir, remote string, o *Options) (*Result, error) {
	start := time.Now()
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("flaxfile: %s is not a directory", dir)
	}
	o, remote, files, p, err := plan(ctx, c, dir, remote, o, true)
	if files != nil {
		defer files.close()
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Plan: p.plan}
	if done, err := planned(res, o, files, start, p.plan.Local, dir); done {
		return res, err
	}
	prefix := remote + "/"
	seq := func(yield func(flaxfile.FileSpec) bool) {
		_ = files.each("", func(f File) bool {
			return f.Action == ActionDelete || yield(flaxfile.FileSpec{Key: prefix + f.Rel, Path: filepath.Join(dir, filepath.FromSlash(f.Rel))})
		})
	}
	var mu sync.Mutex
	sendAll(ctx, seq, func(f flaxfile.FileSpec) string { return strings.TrimPrefix(f.Key, prefix) }, res, o, &mu, c.SetFileSeq)
	if o.Delete && ctx.Err() == nil {
		_ = files.each(ActionDelete, func(f File) bool {
			err := c.Delete(ctx, prefix+f.Rel)
			res.note(f, err, o)
			if err == nil {
				res.Deleted++
			}
			return ctx.Err() == nil
		})
	}
	res.Duration = time.Since(start)
	return res, ctx.Err()
}

// sendAll runs a transfer of the files seq yields, then once more for
// those that failed (a retry resumes what the first attempt moved). rel
// names a file in the result. Only failures are kept in memory.
func sendAll(ctx context.Context, seq iter.Seq[flaxfile.FileSpec], rel func(flaxfile.FileSpec) string, res *Result, o *Options, mu *sync.Mutex,
	run func(context.Context, iter.Seq[flaxfile.FileSpec], func(flaxfile.FileSpec, *flaxfile.Result, error)) error) {
	var failed []flaxfile.FileSpec
	attempt := func(files iter.Seq[flaxfile.FileSpec], final bool) {
		_ = run(ctx, files, func(f flaxfile.FileSpec, r *flaxfile.Result, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil && !final && ctx.Err() == nil {
				failed = append(failed, f)
				return
			}
			if err == nil {
				res.Sent++
				res.Bytes += r.Moved
			}
			res.note(File{Rel: rel(f), Action: ActionSend}, err, o)
		})
	}
	attempt(seq, false)
	if len(failed) > 0 && ctx.Err() == nil {
		attempt(slices.Values(failed), true)
	}
}

// note records one file's outcome.
func (r *Result) note(f File, err error, o *Options) {
	if err != nil {
		r.Failed++
		r.Failures = append(r.Failures, Failure{Rel: f.Rel, Err: err.Error()})
	}
	if o.Done != nil {
		o.Done(f, err)
	}
}
