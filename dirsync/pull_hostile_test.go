package dirsync_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/dirsync"
	"github.com/flaxfile/flaxfile/internal/treetest"
)

// TestPullNeverWritesGitOrIgnored: a server holding .git/config, git
// hooks, node_modules and files the local .gitignore names cannot make
// pull write any of them, with or without the ignore rules (pull wrote
// DIR/.git/config and DIR/.git/hooks/* mode 0755, and over ignored files).
func TestPullNeverWritesGitOrIgnored(t *testing.T) {
	ctx := ctxFor(t)
	addr, storeDir := startServer(t)
	treetest.Write(t, filepath.Join(storeDir, "proj"), map[string]string{
		".git/config":              "[core]\n\tfsmonitor = touch /tmp/pwned\n",
		".git/hooks/post-checkout": "#!/bin/sh\ntouch /tmp/pwned\n",
		"sub/.GIT/config":          "x",
		"node_modules/x.js":        "server",
		"app.log":                  "server",
		"ok.txt":                   "fine",
	})
	c, err := flaxfile.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, noIgnore := range []bool{false, true} {
		dir := t.TempDir()
		treetest.Write(t, dir, map[string]string{".gitignore": "*.log\n", "app.log": "mine"})
		res, err := dirsync.Pull(ctx, c, "proj", dir, &dirsync.Options{NoIgnore: noIgnore, Delete: true})
		if err != nil {
			t.Fatal(err)
		}
		// Without the ignore rules the .git files are planned, refused and
		// reported as failures.
		if noIgnore && res.Failed < 3 {
			t.Fatalf("NoIgnore: %d failures reported, want the 3 .git files: %+v", res.Failed, res.Failures)
		}
		got := treetest.Read(t, dir)
		if got["ok.txt"] != "fine" {
			t.Fatalf("NoIgnore=%v: ok.txt not pulled: %v", noIgnore, got)
		}
		for _, rel := range []string{".git/config", ".git/hooks/post-checkout", "sub/.GIT/config"} {
			if _, err := os.Lstat(filepath.Join(dir, rel)); err == nil {
				t.Fatalf("NoIgnore=%v: pull wrote %s", noIgnore, rel)
			}
		}
		if !noIgnore {
			if got["app.log"] != "mine" {
				t.Fatalf("an ignored local file was overwritten: %q", got["app.log"])
			}
			if _, ok := got["node_modules/x.js"]; ok {
				t.Fatal("pull wrote into node_modules, which is ignored")
			}
		}
	}
}
