package dirsync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/pathorder"
	"github.com/flaxfile/flaxfile/internal/tree"
)

// remoteSeq lists the files under remote as syncplan entries in path
// order, streaming from a FlaxFile 2 server; a 1.2 listing comes whole and
// is sorted here. *errp receives a listing error.
func remoteSeq(ctx context.Context, c *flaxfile.Client, remote string, errp *error) iter.Seq[entry] {
	prefix := remote + "/"
	toEntry := func(e flaxfile.Entry) (entry, bool) {
		if !strings.HasPrefix(e.Key, prefix) {
			return entry{}, false
		}
		h := e.Sum
		if h == "" {
			h = e.Hash
		}
		return entry{Rel: e.Key[len(prefix):], Size: e.Size, MTime: e.ModTime.UnixNano(), Hash: h}, true
	}
	if !isV2(c) {
		return func(yield func(entry) bool) {
			es, err := c.List(ctx, remote, true)
			if err != nil {
				*errp = err
				return
			}
			var out []entry
			for _, e := range es {
				if se, ok := toEntry(e); ok {
					out = append(out, se)
				}
			}
			slices.SortFunc(out, func(a, b entry) int { return pathorder.Compare(a.Rel, b.Rel) })
			for _, e := range out {
				if !yield(e) {
					return
				}
			}
		}
	}
	return func(yield func(entry) bool) {
		err := c.Walk(ctx, remote, false, func(e flaxfile.Entry) error {
			if se, ok := toEntry(e); ok && !yield(se) {
				return errStopWalk
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopWalk) {
			*errp = err
		}
	}
}

// localSeq walks dir as syncplan entries; a missing dir is empty.
func localSeq(dir string, o *Options, errp *error) iter.Seq[entry] {
	return func(yield func(entry) bool) {
		err := tree.Walk(dir, tree.Options{NoIgnore: o.NoIgnore, Exclude: o.Exclude, Include: o.Include, Warn: o.Warn},
			func(f tree.File) error {
				if !yield(entry{Rel: f.Rel, Size: f.Size, MTime: f.MTime}) {
					return errStopWalk
				}
				return nil
			})
		if err != nil && !errors.Is(err, errStopWalk) && !errors.Is(err, fs.ErrNotExist) {
			*errp = err
		}
	}
}

// planner collects a plan while two sides are merged.
type planner struct {
	plan   Plan
	files  *spool
	checks []check // same size, other time: decided by hashes
	force  bool
	mtime  bool // the receiver keeps the sender's times
}

type check struct{ src, dst entry }

func (p *planner) add(src, dst *entry) error {
	if src != nil {
		p.plan.Local++
	}
	if dst != nil {
		p.plan.Remote++
	}
	switch {
	case dst == nil:
		p.plan.New++
		p.plan.Bytes += src.Size
		return p.files.add(File{Rel: src.Rel, Action: ActionNew, Size: src.Size})
	case src == nil:
		p.plan.Delete++
		return p.files.add(File{Rel: dst.Rel, Action: ActionDelete, Size: dst.Size})
	case p.force:
		return p.modified(*src)
	default:
		switch classify(*src, *dst, p.mtime) {
		case kindModified:
			return p.modified(*src)
		case kindUnchanged:
			p.plan.Unchanged++
		default:
			p.checks = append(p.checks, check{*src, *dst})
		}
	}
	return nil
}

func (p *planner) modified(src entry) error {
	p.plan.Modified++
	p.plan.Bytes += src.Size
	return p.files.add(File{Rel: src.Rel, Action: ActionModified, Size: src.Size})
}

// cleanRemote normalises a remote directory name; the root is refused.
func cleanRemote(remote string) (string, error) {
	r := path.Clean("/" + strings.ReplaceAll(remote, "\\", "/"))[1:]
	if r == "" {
		return "", fmt.Errorf("%w: the remote directory cannot be the root", flaxfile.ErrInvalidKey)
	}
	return r, nil
}

// refuse applies the deletion safety rules to a finished plan; srcFiles
// is how many files the sending side has, srcName what it is.
func refuse(plan *Plan, o *Options, srcFiles int, srcName string) error {
	if !o.Delete || plan.Delete == 0 {
		return nil
	}
	if srcFiles == 0 && !o.AllowDeleteAll {
		return fmt.Errorf("%w: %s is empty or missing; deleting all %d files on the other side needs --allow-delete-all", ErrRefused, srcName, plan.Delete)
	}
	if o.LimitDelete && plan.Delete > o.MaxDelete {
		return fmt.Errorf("%w: %d files would be deleted, more than --max-delete %d", ErrRefused, plan.Delete, o.MaxDelete)
	}
	return nil
}

// planned checks and announces a plan; it reports true when the sync
// ends there (refused, or a dry run), res then complete.
func planned(res *Result, o *Options, files *spool, start time.Time, srcFiles int, srcName string) (bool, error) {
	if err := refuse(&res.Plan, o, srcFiles, srcName); err != nil {
		return true, err
	}
	if o.Planned != nil {
		o.Planned(res.Plan)
	}
	if o.DryRun {
		res.Plan.Files = sortedFiles(files.list)
		res.Duration = time.Since(start)
		return true, nil
	}
	return false, nil
}

// makePlan merges the local tree at dir and
// the server's directory remote, the local side being the source when
// push is set, decides the undecided by hashes, and returns the options
// in force, the clean remote name, the spooled files and the planner
// (whose plan's Local and Remote count each side).
func makePlan(ctx context.Context, c *flaxfile.Client, dir, remote string, o *Options, push bool) (*Options, string, *spool, *planner, error) {
	if o == nil {
		o = &Options{}
	}
	remote, err := cleanRemote(remote)
	if err != nil {
		return o, "", nil, nil, err
	}
	var cache *tree.Cache
	if !o.NoCache {
		cache = tree.OpenCache(dir, o.CacheDir)
		defer cache.Save()
	}
	files, err := newSpool(o.DryRun)
	if err != nil {
		return o, remote, nil, nil, err
	}
	p := &planner{files: files, force: o.Force, mtime: isV2(c)}
	var lerr, rerr error
	empty := func(func(entry) bool) {}
	var local, rem iter.Seq[entry] = localSeq(dir, o, &lerr), remoteSeq(ctx, c, remote, &rerr)
	// With --force the receiving side is listed only for --delete.
	src, dst := local, rem
	if !push {
		// What the local ignore rules exclude is never written, whatever
		// the server has there.
		ig := tree.NewIgnorer(dir, tree.Options{NoIgnore: o.NoIgnore, Exclude: o.Exclude, Include: o.Include})
		src, dst = notIgnored(rem, ig), local
	}
	if o.Force && !o.Delete {
		dst = empty
	}
	if err := merge(prefetch(src, 8192), prefetch(dst, 8192), p.add); err != nil {
		return o, remote, files, nil, err
	}
	if err := errors.Join(lerr, rerr); err != nil {
		return o, remote, files, nil, err
	}
	if err := resolveChecks(ctx, c, p, remote, dir, push, cache); err != nil {
		return o, remote, files, nil, err
	}
	if !push { // the planner counted the source (remote) as Local
		p.plan.Local, p.plan.Remote = p.plan.Remote, p.plan.Local
	}
	return o, remote, files, p, nil
}

// notIgnored drops the entries that ig excludes.
func notIgnored(seq iter.Seq[entry], ig *tree.Ignorer) iter.Seq[entry] {
	return func(yield func(entry) bool) {
		for e := range seq {
			if !ig.Ignored(e.Rel) && !yield(e) {
				return
			}
		}
	}
}

// sortedFiles puts a dry run's files in path order (checked files were
// added after the others).
func sortedFiles(fs []File) []File {
	slices.SortFunc(fs, func(a, b File) int { return pathorder.Compare(a.Rel, b.Rel) })
	return fs
}
