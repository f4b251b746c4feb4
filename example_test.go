package flaxfile_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store/mem"
)

// exampleServer runs a server in memory on a free loopback port for the
// examples, as `flaxfile serve --storage mem: --port 0` would.
func exampleServer() (addr string, stop func()) {
	addr, _, stop, err := servertest.Background(server.Config{Store: mem.New(0)})
	if err != nil {
		log.Fatal(err)
	}
	return addr, stop
}

// exampleClient dials a fresh in-memory server and writes a small file to
// upload; cleanup ends all three.
func exampleClient() (c *flaxfile.Client, path string, cleanup func()) {
	addr, stop := exampleServer()
	c, err := flaxfile.Dial(context.Background(), addr, nil)
	if err != nil {
		log.Fatal(err)
	}
	path = exampleFile("hello, world\n")
	return c, path, func() { c.Close(); stop(); os.RemoveAll(filepath.Dir(path)) }
}

// exampleFile writes a small file to upload.
func exampleFile(content string) string {
	dir, err := os.MkdirTemp("", "flaxfile-example")
	if err != nil {
		log.Fatal(err)
	}
	p := filepath.Join(dir, "hello.txt")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		log.Fatal(err)
	}
	return p
}

func ExampleDial() {
	addr, stop := exampleServer()
	defer stop()
	// A password, if the server has one, goes in Options.Password; a
	// FlaxFile 1.2 server is spoken to in 1.2.
	c, err := flaxfile.Dial(context.Background(), addr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("protocol", c.Protocol())
	// Output: protocol 2
}

func ExampleClient_SetFile() {
	c, path, cleanup := exampleClient()
	defer cleanup()
	ctx := context.Background()

	res, err := c.SetFile(ctx, "docs/hello.txt", path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Key, res.Size, "octets, checked:", res.Checksum != "")
	// Output: docs/hello.txt 13 octets, checked: true
}

func ExampleClient_GetFile() {
	c, path, cleanup := exampleClient()
	defer cleanup()
	ctx := context.Background()
	if _, err := c.SetFile(ctx, "docs/hello.txt", path); err != nil {
		log.Fatal(err)
	}

	// The download is written aside and renamed into place once whole.
	out := filepath.Join(filepath.Dir(path), "copy.txt")
	if _, err := c.GetFile(ctx, "docs/hello.txt", out); err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	fmt.Print(string(b))
	// Output: hello, world
}
