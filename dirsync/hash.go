package dirsync

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/tree"
	"github.com/zeebo/xxh3"
	"golang.org/x/sync/errgroup"
)

// hashKind is the hash a server compares by: FlaxFile 2's file hash, or
// 1.2's XXH3-64.
func hashKind(c *flaxfile.Client) string {
	if isV2(c) {
		return "xxh3-128-blocks"
	}
	return "xxh3-64"
}

// hashLocal returns the hashes of the files rels below dir, in parallel,
// from the cache where it still holds.
func hashLocal(ctx context.Context, dir string, files []entry, kind string, cache *tree.Cache) ([]string, error) {
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
func resolveChecks(ctx context.Context, c *flaxfile.Client, p *planner, remote, localDir string, localIsSrc bool, cache *tree.Cache) error {
	if len(p.checks) == 0 {
		return nil
	}
	kind := hashKind(c)
	locals := make([]entry, len(p.checks))
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
	if isV2(c) {
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
		sizeOnly := !isV2(c) && rh[i] == ""
		if sizeOnly || lh[i] != "" && lh[i] == rh[i] {
			p.plan.Unchanged++
		} else if err := p.modified(ch.src); err != nil {
			return err
		}
	}
	p.checks = nil
	return nil
}

// isV2 reports that c speaks FlaxFile 2, whose server keeps a file's
// time and hashes by blocks.
func isV2(c *flaxfile.Client) bool { return c.Protocol() != "1.2" }
