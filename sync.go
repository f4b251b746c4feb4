package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/syncplan"
	"github.com/flaxfile/flaxfile/internal/tree"
	"github.com/zeebo/xxh3"
	"golang.org/x/sync/errgroup"
)

// SyncOptions configures Push and Pull. The zero value compares, sends
// what differs, and deletes nothing.
type SyncOptions struct {
	// Exclude and Include are extra ignore patterns (.gitignore syntax);
	// Include keeps what it matches against every other rule.
	Exclude, Include []string
	// NoIgnore turns off the automatic ignores and the .gitignore and
	// .flaxignore files (Exclude and Include still apply).
	NoIgnore bool
	// Force sends every file without comparing.
	Force bool
	// Delete removes, on the receiving side, files the sending side does
	// not have (also with Force).
	Delete bool
	// LimitDelete refuses the whole sync (nothing is changed) when it
	// needs more than MaxDelete deletions.
	LimitDelete bool
	MaxDelete   int
	// AllowDeleteAll lets Delete remove every file of the receiving side
	// when the sending side is empty or missing, which is refused
	// otherwise.
	AllowDeleteAll bool
	// DryRun plans and changes nothing.
	DryRun bool
	// CacheDir holds the local hash caches; empty means the user's cache
	// directory. NoCache turns the cache off.
	CacheDir string
	NoCache  bool
	// Warn, if not nil, is told of local entries skipped for a reason
	// other than an ignore rule.
	Warn func(rel, reason string)
	// Planned, if not nil, is given the plan once it is made, before
	// anything is changed (after the safety rules have passed).
	Planned func(SyncPlan)
	// Done, if not nil, is told of each file's outcome as it happens,
	// from one goroutine at a time.
	Done func(SyncFile, error)
}

// Sync actions. Plans say new, modified or delete; Done says send for a
// file sent (new or modified) and delete for a deletion.
const (
	ActionNew      = "new"
	ActionModified = "modified"
	ActionDelete   = "delete"
	ActionSend     = "send"
)

// SyncFile is one file a sync acts on.
type SyncFile struct {
	// Rel is the path below the synced directory, "/"-separated.
	Rel    string `json:"path"`
	Action string `json:"action"`
	Size   int64  `json:"size"`
}

// SyncPlan is what a sync found and means to do.
type SyncPlan struct {
	// Files to send (new and modified) and to delete: filled in for a
	// dry run only (a real run streams them, whatever their number).
	Files []SyncFile `json:"files"`
	// Counts by kind; Local and Remote count the files on each side.
	New, Modified, Unchanged, Delete int
	Local, Remote                    int
	// Bytes to send.
	Bytes int64
}

// SyncFailure is a file that could not be synced.
type SyncFailure struct {
	Rel string `json:"path"`
	Err string `json:"error"`
}

// SyncResult is what a sync did.
type SyncResult struct {
	Plan                  SyncPlan
	Sent, Deleted, Failed int
	// Bytes sent (or received, for Pull), resumed transfers counting only
	// what moved.
	Bytes    int64
	Duration time.Duration
	Failures []SyncFailure
}

// ErrRefused is a sync that its safety rules refused; nothing was
// changed.
var ErrRefused = errors.New("flaxfile: sync refused")

// errStopWalk ends a listing early.
var errStopWalk = errors.New("stop")

// remoteSeq lists the files under remote as syncplan entries in path
// order, streaming from a FlaxFile 2 server; a 1.2 listing comes whole and
// is sorted here. *errp receives a listing error.
func (c *Client) remoteSeq(ctx context.Context, remote string, errp *error) iter.Seq[syncplan.Entry] {
	prefix := remote + "/"
	toEntry := func(e Entry) (syncplan.Entry, bool) {
		if !strings.HasPrefix(e.Key, prefix) {
			return syncplan.Entry{}, false
		}
		h := e.Sum
		if h == "" {
			h = e.Hash
		}
		return syncplan.Entry{Rel: e.Key[len(prefix):], Size: e.Size, MTime: e.ModTime.UnixNano(), Hash: h}, true
	}
	if !c.v2 {
		return func(yield func(syncplan.Entry) bool) {
			es, err := c.List(ctx, remote, true)
			if err != nil {
				*errp = err
				return
			}
			var out []syncplan.Entry
			for _, e := range es {
				if se, ok := toEntry(e); ok {
					out = append(out, se)
				}
			}
			slices.SortFunc(out, func(a, b syncplan.Entry) int { return syncplan.Compare(a.Rel, b.Rel) })
			for _, e := range out {
				if !yield(e) {
					return
				}
			}
		}
	}
	return func(yield func(syncplan.Entry) bool) {
		err := c.Walk(ctx, remote, false, func(e Entry) error {
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
func localSeq(dir string, o *SyncOptions, errp *error) iter.Seq[syncplan.Entry] {
	return func(yield func(syncplan.Entry) bool) {
		err := tree.Walk(dir, tree.Options{NoIgnore: o.NoIgnore, Exclude: o.Exclude, Include: o.Include, Warn: o.Warn},
			func(f tree.File) error {
				if !yield(syncplan.Entry{Rel: f.Rel, Size: f.Size, MTime: f.MTime}) {
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
	plan   SyncPlan
	files  *spool
	checks []check // same size, other time: decided by hashes
	force  bool
	mtime  bool // the receiver keeps the sender's times
}

type check struct{ src, dst syncplan.Entry }

func (p *planner) add(src, dst *syncplan.Entry) error {
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
		return p.files.add(SyncFile{Rel: src.Rel, Action: ActionNew, Size: src.Size})
	case src == nil:
		p.plan.Delete++
		return p.files.add(SyncFile{Rel: dst.Rel, Action: ActionDelete, Size: dst.Size})
	case p.force:
		return p.modified(*src)
	default:
		switch syncplan.Classify(*src, *dst, p.mtime) {
		case syncplan.Modified:
			return p.modified(*src)
		case syncplan.Unchanged:
			p.plan.Unchanged++
		default:
			p.checks = append(p.checks, check{*src, *dst})
		}
	}
	return nil
}

func (p *planner) modified(src syncplan.Entry) error {
	p.plan.Modified++
	p.plan.Bytes += src.Size
	return p.files.add(SyncFile{Rel: src.Rel, Action: ActionModified, Size: src.Size})
}

// hashKind is the hash a server compares by: FlaxFile 2's file hash, or
// 1.2's XXH3-64.
func (c *Client) hashKind() string {
	if c.v2 {
		return "xxh3-128-blocks"
	}
	return "xxh3-64"
}

// hashLocal returns the hashes of the files rels below dir, in parallel,
// from the cache where it still holds.
func hashLocal(ctx context.Context, dir string, files []syncplan.Entry, kind string, cache *tree.Cache) ([]string, error) {
	out := make([]string, len(files))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	for i, f := range files {
		if cache != nil {
			if h, ok := cache.Get(f.Rel, kind, f.Size, f.MTime); ok {
				out[i] = h
				continue
			}
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			h, err := hashFile(filepath.Join(dir, filepath.FromSlash(f.Rel)), kind)
			if err != nil {
				return nil // unreadable: counted as modified, the transfer reports it
			}
			out[i] = h
			if cache != nil {
				cache.Put(f.Rel, kind, f.Size, f.MTime, h)
			}
			return nil
		})
	}
	return out, g.Wait()
}

// hashFile hashes one local file.
func hashFile(p, kind string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if kind == "xxh3-64" {
		h := xxh3.New()
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
		return fmt.Sprintf("%016x", h.Sum64()), nil
	}
	sum, _, err := digest.Reader(f, fi.Size(), nil)
	if err != nil {
		return "", err
	}
	return sum.String(), nil
}

// resolveChecks hashes both sides of the undecided files and moves each
// into unchanged or modified. localDir is the sender's tree for Push, the
// receiver's for Pull (src is then the remote side).
func (c *Client) resolveChecks(ctx context.Context, p *planner, remote, localDir string, localIsSrc bool, cache *tree.Cache) error {
	if len(p.checks) == 0 {
		return nil
	}
	kind := c.hashKind()
	locals := make([]syncplan.Entry, len(p.checks))
	for i, ch := range p.checks {
		locals[i] = ch.dst
		if localIsSrc {
			locals[i] = ch.src
		}
	}
	lh, err := hashLocal(ctx, localDir, locals, kind, cache)
	if err != nil {
		return err
	}
	rh := make([]string, len(p.checks))
	if c.v2 {
		keys := make([]string, len(p.checks))
		for i, ch := range p.checks {
			keys[i] = remote + "/" + ch.src.Rel
		}
		if rh, err = c.Hashes(ctx, keys); err != nil {
			return err
		}
	} else {
		for i, ch := range p.checks {
			rh[i] = ch.dst.Hash
			if !localIsSrc {
				rh[i] = ch.src.Hash
			}
		}
	}
	for i, ch := range p.checks {
		// A listing without hashes (never from a real 1.2 server, which
		// always sends them when asked) leaves only the sizes, as in 1.2.
		sizeOnly := !c.v2 && rh[i] == ""
		if sizeOnly || lh[i] != "" && lh[i] == rh[i] {
			p.plan.Unchanged++
		} else if err := p.modified(ch.src); err != nil {
			return err
		}
	}
	p.checks = nil
	return nil
}

// cleanRemote normalises a remote directory name; the root is refused.
func cleanRemote(remote string) (string, error) {
	r := path.Clean("/" + strings.ReplaceAll(remote, "\\", "/"))[1:]
	if r == "" {
		return "", fmt.Errorf("%w: the remote directory cannot be the root", ErrInvalidKey)
	}
	return r, nil
}

// refuse applies the deletion safety rules to a finished plan; srcFiles
// is how many files the sending side has, srcName what it is.
func refuse(plan *SyncPlan, o *SyncOptions, srcFiles int, srcName string) error {
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
func planned(res *SyncResult, o *SyncOptions, files *spool, start time.Time, srcFiles int, srcName string) (bool, error) {
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

// Push makes the directory remote on the server match the local
// directory dir: files missing or different there are sent (small ones
// batched, big ones over several connections, interrupted ones resumed),
// and with Delete the server's files that dir lacks are deleted after.
// Keys are remote + "/" + the path below dir with "/" separators.
func (c *Client) Push(ctx context.Context, dir, remote string, o *SyncOptions) (*SyncResult, error) {
	start := time.Now()
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("flaxfile: %s is not a directory", dir)
	}
	o, remote, files, p, err := c.plan(ctx, dir, remote, o, true)
	if files != nil {
		defer files.close()
	}
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Plan: p.plan}
	if done, err := planned(res, o, files, start, p.plan.Local, dir); done {
		return res, err
	}
	prefix := remote + "/"
	seq := func(yield func(FileSpec) bool) {
		_ = files.each("", func(f SyncFile) bool {
			return f.Action == ActionDelete || yield(FileSpec{Key: prefix + f.Rel, Path: filepath.Join(dir, filepath.FromSlash(f.Rel))})
		})
	}
	var mu sync.Mutex
	c.sendAll(ctx, seq, func(f FileSpec) string { return strings.TrimPrefix(f.Key, prefix) }, res, o, &mu, c.SetFileSeq)
	if o.Delete && ctx.Err() == nil {
		_ = files.each(ActionDelete, func(f SyncFile) bool {
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

// plan is what Push and Pull share: it merges the local tree at dir and
// the server's directory remote, the local side being the source when
// push is set, decides the undecided by hashes, and returns the options
// in force, the clean remote name, the spooled files and the planner
// (whose plan's Local and Remote count each side).
func (c *Client) plan(ctx context.Context, dir, remote string, o *SyncOptions, push bool) (*SyncOptions, string, *spool, *planner, error) {
	if o == nil {
		o = &SyncOptions{}
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
	p := &planner{files: files, force: o.Force, mtime: c.v2}
	var lerr, rerr error
	empty := func(func(syncplan.Entry) bool) {}
	var local, rem iter.Seq[syncplan.Entry] = localSeq(dir, o, &lerr), c.remoteSeq(ctx, remote, &rerr)
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
	if err := syncplan.Merge(syncplan.Prefetch(src, 8192), syncplan.Prefetch(dst, 8192), p.add); err != nil {
		return o, remote, files, nil, err
	}
	if err := errors.Join(lerr, rerr); err != nil {
		return o, remote, files, nil, err
	}
	if err := c.resolveChecks(ctx, p, remote, dir, push, cache); err != nil {
		return o, remote, files, nil, err
	}
	if !push { // the planner counted the source (remote) as Local
		p.plan.Local, p.plan.Remote = p.plan.Remote, p.plan.Local
	}
	return o, remote, files, p, nil
}

// notIgnored drops the entries that ig excludes.
func notIgnored(seq iter.Seq[syncplan.Entry], ig *tree.Ignorer) iter.Seq[syncplan.Entry] {
	return func(yield func(syncplan.Entry) bool) {
		for e := range seq {
			if !ig.Ignored(e.Rel) && !yield(e) {
				return
			}
		}
	}
}

// sortedFiles puts a dry run's files in path order (checked files were
// added after the others).
func sortedFiles(fs []SyncFile) []SyncFile {
	slices.SortFunc(fs, func(a, b SyncFile) int { return syncplan.Compare(a.Rel, b.Rel) })
	return fs
}

// sendAll runs a transfer of the files seq yields, then once more for
// those that failed (a retry resumes what the first attempt moved). rel
// names a file in the result. Only failures are kept in memory.
func (c *Client) sendAll(ctx context.Context, seq iter.Seq[FileSpec], rel func(FileSpec) string, res *SyncResult, o *SyncOptions, mu *sync.Mutex,
	run func(context.Context, iter.Seq[FileSpec], func(FileSpec, *Result, error)) error) {
	var failed []FileSpec
	attempt := func(files iter.Seq[FileSpec], final bool) {
		_ = run(ctx, files, func(f FileSpec, r *Result, err error) {
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
			res.note(SyncFile{Rel: rel(f), Action: ActionSend}, err, o)
		})
	}
	attempt(seq, false)
	if len(failed) > 0 && ctx.Err() == nil {
		attempt(slices.Values(failed), true)
	}
}

// note records one file's outcome.
func (r *SyncResult) note(f SyncFile, err error, o *SyncOptions) {
	if err != nil {
		r.Failed++
		r.Failures = append(r.Failures, SyncFailure{Rel: f.Rel, Err: err.Error()})
	}
	if o.Done != nil {
		o.Done(f, err)
	}
}

// Pull makes the local directory dir match the directory remote on the
// server: files missing or different locally are fetched (written aside
// and renamed into place, with the server's time and mode), and with
// Delete the local files the server lacks are removed after. The same
// ignore rules apply to the local side, so ignored local files are never
// touched.
func (c *Client) Pull(ctx context.Context, remote, dir string, o *SyncOptions) (*SyncResult, error) {
	start := time.Now()
	o, remote, files, p, err := c.plan(ctx, dir, remote, o, false)
	if files != nil {
		defer files.close()
	}
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Plan: p.plan}
	if done, err := planned(res, o, files, start, p.plan.Remote, remote+" on the server"); done {
		return res, err
	}
	prefix := remote + "/"
	var mu sync.Mutex
	seq := func(yield func(FileSpec) bool) {
		_ = files.each("", func(f SyncFile) bool {
			if f.Action == ActionDelete {
				return true
			}
			target, err := localTarget(dir, f.Rel)
			if err != nil {
				mu.Lock()
				res.note(SyncFile{Rel: f.Rel, Action: ActionSend}, err, o)
				mu.Unlock()
				return true
			}
			return yield(FileSpec{Key: prefix + f.Rel, Path: target, Dir: dir})
		})
	}
	c.sendAll(ctx, seq, func(f FileSpec) string { return strings.TrimPrefix(f.Key, prefix) }, res, o, &mu, c.GetFileSeq)
	if o.Delete && ctx.Err() == nil {
		_ = files.each(ActionDelete, func(f SyncFile) bool {
			target, err := localTarget(dir, f.Rel)
			if err == nil {
				err = os.Remove(target)
			}
			res.note(f, err, o)
			if err == nil {
				res.Deleted++
			}
			return true
		})
	}
	res.Duration = time.Since(start)
	return res, ctx.Err()
}

// localTarget is where rel goes below dir. A path that would leave dir
// (".." components, or through a symbolic link on the way) is refused:
// pulled files never land outside the tree.
func localTarget(dir, rel string) (string, error) {
	clean := path.Clean(rel)
	if clean != rel || rel == "" || strings.HasPrefix(rel, "/") || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%w: %q leaves the directory", ErrInvalidKey, rel)
	}
	parts := strings.Split(rel, "/")
	for _, part := range parts {
		// Whatever the flags: a file written there could be run by git.
		if strings.EqualFold(part, ".git") {
			return "", fmt.Errorf("%w: %s is inside a .git directory; not written", ErrInvalidKey, rel)
		}
	}
	p := dir
	for _, part := range parts[:len(parts)-1] {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			break // created below, as a directory
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
			return "", fmt.Errorf("%w: %s: %s is not a directory of the tree", ErrInvalidKey, rel, p)
		}
	}
	target := filepath.Join(dir, filepath.FromSlash(rel))
	if fi, err := os.Lstat(target); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("%w: %s is a symbolic link; not written through", ErrInvalidKey, rel)
	}
	return target, nil
}
