package dirsync_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/dirsync"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store/mem"
)

func ExamplePush() {
	// A server in memory on a free loopback port.
	addr, _, stop, err := servertest.Background(server.Config{Store: mem.New(0)})
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	ctx := context.Background()

	// A small tree to push.
	dir, err := os.MkdirTemp("", "flaxfile-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for name, content := range map[string]string{"a.txt": "alpha", "sub/b.txt": "beta"} {
		p := filepath.Join(dir, "proj", name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		_ = os.WriteFile(p, []byte(content), 0o644)
	}

	c, err := flaxfile.Dial(ctx, addr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	res, err := dirsync.Push(ctx, c, filepath.Join(dir, "proj"), "proj", &dirsync.Options{NoCache: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent", res.Sent, "files")
	// Pushing again finds nothing to send.
	res, err = dirsync.Push(ctx, c, filepath.Join(dir, "proj"), "proj", &dirsync.Options{NoCache: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent", res.Sent, "files, unchanged", res.Plan.Unchanged)
	// Output:
	// sent 2 files
	// sent 0 files, unchanged 2
}
