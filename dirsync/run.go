package dirsync

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile"
)

// run is what Push and Pull share: plan, check, transfer what differs
// (failures once more), then delete what the sending side lacks.
func run(ctx context.Context, c *flaxfile.Client, dir, remote string, o *Options, d direction) (*Result, error) {
	start := time.Now()
	o, remote, files, p, err := makePlan(ctx, c, dir, remote, o, d.push)
	if files != nil {
		defer files.close()
	}
	if err != nil {
		return nil, err
	}
	if !d.push && p.plan.Remote == 0 && !o.AllowDeleteAll {
		return nil, fmt.Errorf("%w: %s on the server holds no files (a missing directory, or a file: use get)", ErrMissingSource, remote)
	}
	res := &Result{Plan: p.plan}
	srcFiles, srcName := p.plan.Local, dir
	if !d.push {
		srcFiles, srcName = p.plan.Remote, remote+" on the server"
	}
	if done, err := planned(res, o, files, start, srcFiles, srcName); done {
		return res, err
	}
	prefix := remote + "/"
	var mu sync.Mutex
	seq := func(yield func(flaxfile.FileSpec) bool) {
		_ = files.each("", func(f File) bool {
			if f.Action == ActionDelete {
				return true
			}
			spec, err := d.spec(prefix, f)
			if err != nil {
				mu.Lock()
				res.note(File{Rel: f.Rel, Action: ActionSend}, err, o)
				mu.Unlock()
				return true
			}
			return yield(spec)
		})
	}
	sendAll(ctx, seq, func(f flaxfile.FileSpec) string { return strings.TrimPrefix(f.Key, prefix) }, res, o, &mu, d.transfer)
	if o.Delete && ctx.Err() == nil {
		_ = files.each(ActionDelete, func(f File) bool {
			err := d.remove(prefix, f)
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

// direction is what differs between Push and Pull.
type direction struct {
	push bool
	// spec is the transfer of one file to send; an error reports the
	// file as failed.
	spec func(prefix string, f File) (flaxfile.FileSpec, error)
	// transfer moves many files: the client's SetFileSeq or GetFileSeq.
	transfer func(context.Context, iter.Seq[flaxfile.FileSpec], func(flaxfile.FileSpec, *flaxfile.Result, error)) error
	// remove deletes one file on the receiving side.
	remove func(prefix string, f File) error
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
