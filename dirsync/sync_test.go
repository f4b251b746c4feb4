package dirsync_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/dirsync"
	"github.com/flaxfile/flaxfile/internal/treetest"
)

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestPushPull: a tree goes up, comes back equal (times and modes kept),
// and syncing again moves nothing; changes are found by size, time and
// hash; ignored files stay home.
func TestPushPull(t *testing.T) {
	for _, proto := range []string{"2", "1.2"} {
		t.Run(proto, func(t *testing.T) {
			ctx := ctxFor(t)
			addr, store := startServer(t)
			c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: proto})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			src := filepath.Join(t.TempDir(), "proj")
			big := string(bytes.Repeat([]byte("0123456789abcdef"), 300_000)) // 4.8 MB: sent on its own
			treetest.Write(t, src, map[string]string{
				"a.txt": "alpha", "dir/b.txt": "beta", "dir/sub/c.txt": "gamma", "empty": "", "big.bin": big,
				".gitignore": "*.log\n", "debug.log": "noise", "node_modules/x/y.js": "dep", ".git/HEAD": "ref",
			})
			cache := t.TempDir()
			opts := &dirsync.Options{CacheDir: cache}
			res, err := dirsync.Push(ctx, c, src, "proj", opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Plan.New != 6 || res.Sent != 6 || res.Failed != 0 {
				t.Fatalf("first push: %+v", res)
			}
			if got := keys(treetest.Read(t, filepath.Join(store, "proj"))); len(got) != 6 {
				t.Fatalf("server has %q", got)
			}
			// Nothing changed: nothing moves.
			res, err = dirsync.Push(ctx, c, src, "proj", opts)
			if err != nil || res.Sent != 0 || res.Plan.Unchanged != 6 {
				t.Fatalf("no-change push: %+v, %v", res, err)
			}
			// Same size, new content and time: found by hash.
			treetest.Write(t, src, map[string]string{"a.txt": "ALPHA"})
			later := time.Now().Add(time.Hour)
			os.Chtimes(filepath.Join(src, "dir/b.txt"), later, later) // time only
			dry := *opts
			dry.DryRun = true
			res, err = dirsync.Push(ctx, c, src, "proj", &dry)
			if err != nil || len(res.Plan.Files) != 1 || res.Plan.Files[0].Rel != "a.txt" || res.Plan.Files[0].Action != dirsync.ActionModified {
				t.Fatalf("dry run after edits: %+v, %v", res, err)
			}
			var sent []string
			opts.Done = func(f dirsync.File, err error) { sent = append(sent, f.Rel) }
			res, err = dirsync.Push(ctx, c, src, "proj", opts)
			opts.Done = nil
			if err != nil || res.Sent != 1 || res.Plan.Modified != 1 || len(sent) != 1 || sent[0] != "a.txt" {
				t.Fatalf("push after edits: %+v, %v, sent %q", res, err, sent)
			}
			// Pull into an empty directory.
			dst := filepath.Join(t.TempDir(), "copy")
			res, err = dirsync.Pull(ctx, c, "proj", dst, opts)
			if err != nil || res.Sent != 6 || res.Failed != 0 {
				t.Fatalf("pull: %+v, %v", res, err)
			}
			want := treetest.Read(t, src)
			for _, ignored := range []string{"debug.log", "node_modules/x/y.js", ".git/HEAD"} {
				delete(want, ignored)
			}
			got := treetest.Read(t, dst)
			if len(got) != len(want) {
				t.Fatalf("pulled %q, want %q", keys(got), keys(want))
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("%s differs", k)
				}
			}
			if proto == "2" {
				fs, _ := os.Stat(filepath.Join(src, "dir/sub/c.txt"))
				fd, _ := os.Stat(filepath.Join(dst, "dir/sub/c.txt"))
				if !fs.ModTime().Equal(fd.ModTime()) || fd.Mode().Perm() != 0o640 {
					t.Errorf("time %v / %v, mode %v", fs.ModTime(), fd.ModTime(), fd.Mode())
				}
			}
			res, err = dirsync.Pull(ctx, c, "proj", dst, opts)
			if err != nil || res.Sent != 0 {
				t.Fatalf("no-change pull: %+v, %v", res, err)
			}
			// --delete on both sides; ignored files are never deleted.
			os.Remove(filepath.Join(src, "dir/sub/c.txt"))
			res, err = dirsync.Push(ctx, c, src, "proj", &dirsync.Options{Delete: true, CacheDir: cache})
			if err != nil || res.Deleted != 1 {
				t.Fatalf("push --delete: %+v, %v", res, err)
			}
			treetest.Write(t, dst, map[string]string{"local.log": "mine"})
			res, err = dirsync.Pull(ctx, c, "proj", dst, &dirsync.Options{Delete: true, CacheDir: cache})
			if err != nil || res.Deleted != 1 {
				t.Fatalf("pull --delete: %+v, %v", res, err)
			}
			if _, err := os.Stat(filepath.Join(dst, "dir/sub/c.txt")); !os.IsNotExist(err) {
				t.Error("pull --delete kept a file the server lacks")
			}
			if _, err := os.Stat(filepath.Join(dst, "local.log")); err != nil {
				t.Error("pull --delete removed an ignored file")
			}
		})
	}
}

// TestSyncSafety: deleting everything because the source is empty, or
// more than --max-delete, is refused and changes nothing; --dry-run
// changes nothing.
func TestSyncSafety(t *testing.T) {
	ctx := ctxFor(t)
	addr, store := startServer(t)
	c, err := flaxfile.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src := filepath.Join(t.TempDir(), "p")
	treetest.Write(t, src, map[string]string{"a": "1", "b": "2", "c": "3"})
	if _, err := dirsync.Push(ctx, c, src, "p", nil); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "nothing")
	if _, err := dirsync.Push(ctx, c, empty, "p", &dirsync.Options{Delete: true}); !errors.Is(err, dirsync.ErrRefused) {
		t.Fatalf("push of a missing dir with --delete: %v", err)
	}
	os.Remove(filepath.Join(src, "a"))
	os.Remove(filepath.Join(src, "b"))
	if _, err := dirsync.Push(ctx, c, src, "p", &dirsync.Options{Delete: true, LimitDelete: true, MaxDelete: 1}); !errors.Is(err, dirsync.ErrRefused) {
		t.Fatalf("push over --max-delete: %v", err)
	}
	res, err := dirsync.Push(ctx, c, src, "p", &dirsync.Options{Delete: true, DryRun: true})
	if err != nil || res.Plan.Delete != 2 || res.Deleted != 0 {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if got := treetest.Read(t, filepath.Join(store, "p")); len(got) != 3 {
		t.Fatalf("server changed: %q", keys(got))
	}
	// Pull of a missing remote with --delete must not wipe the tree.
	if _, err := dirsync.Pull(ctx, c, "nothing-here", src, &dirsync.Options{Delete: true}); !errors.Is(err, dirsync.ErrRefused) {
		t.Fatalf("pull of an empty remote with --delete: %v", err)
	}
	if _, err := os.Stat(filepath.Join(src, "c")); err != nil {
		t.Fatal("local file lost")
	}
	// A pulled file never goes through a symlink out of the tree.
	out := t.TempDir()
	dst := filepath.Join(t.TempDir(), "d")
	os.MkdirAll(dst, 0o755)
	treetest.Write(t, src, map[string]string{"sub/x": "x"})
	if _, err := dirsync.Push(ctx, c, src, "p", nil); err != nil {
		t.Fatal(err)
	}
	os.Symlink(out, filepath.Join(dst, "sub"))
	res, err = dirsync.Pull(ctx, c, "p", dst, nil)
	if err != nil || res.Failed != 1 {
		t.Fatalf("pull through a link: %+v, %v", res, err)
	}
	if es, _ := os.ReadDir(out); len(es) != 0 {
		t.Fatal("a pulled file landed outside the tree")
	}
}
