package flaxfile_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/store/mem"
)

// exampleServer runs a server in memory on a free loopback port for the
// examples, as `flaxfile serve --storage mem: --port 0` would.
func exampleServer() (addr string, stop func()) {
	srv, err := server.New(server.Config{Store: mem.New(0)})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, ln); close(done) }()
	return ln.Addr().String(), func() { cancel(); <-done }
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
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := flaxfile.Dial(ctx, addr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	path := exampleFile("hello, world\n")
	defer os.RemoveAll(filepath.Dir(path))

	res, err := c.SetFile(ctx, "docs/hello.txt", path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Key, res.Size, "octets, checked:", res.Checksum != "")
	// Output: docs/hello.txt 13 octets, checked: true
}

func ExampleClient_GetFile() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := flaxfile.Dial(ctx, addr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	path := exampleFile("hello, world\n")
	defer os.RemoveAll(filepath.Dir(path))
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
