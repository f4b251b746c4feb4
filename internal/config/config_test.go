package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, text string) string {
	p := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A FlaxFile 1.2 file, with its leftover keys, loads unchanged.
func TestLoad12File(t *testing.T) {
	c, warn, err := Load(write(t, `
[client]
default_server = "prod"

[server]
host = "0.0.0.0"
port = 25555
storage_dir = "./zmq_streaming_storage"

[servers.local]
host = "127.0.0.1"
port = 25555

[servers.prod]
host = "192.168.1.100"
port = 25555
# download_port = 25556
`))
	if err != nil || len(warn) != 0 {
		t.Fatalf("%v %v", err, warn)
	}
	addr, err := c.Resolve("")
	if err != nil || addr != "192.168.1.100:25555" {
		t.Fatalf("default server %s %v", addr, err)
	}
	if a, _ := c.Resolve("local"); a != "127.0.0.1:25555" {
		t.Fatalf("local %s", a)
	}
	if a, _ := c.Resolve("10.1.2.3:9"); a != "10.1.2.3:9" {
		t.Fatalf("address %s", a)
	}
	// A name the config lacks is a host, port 25555, as ssh does.
	if a, err := c.Resolve("nope"); err != nil || a != "nope:25555" {
		t.Fatalf("host name: %s %v", a, err)
	}
	if _, err := c.Resolve("host:port"); !errors.Is(err, ErrUnknownServer) {
		t.Fatalf("a bad port: %v", err)
	}
	c.Client.DefaultServer = "gone"
	if _, err := c.Resolve(""); !errors.Is(err, ErrUnknownServer) || !strings.Contains(err.Error(), "default_server") {
		t.Fatalf("default_server naming no entry: %v", err)
	}
}

func TestParseAddress(t *testing.T) {
	for in, want := range map[string]string{
		"example.org":          "example.org:25555",
		"example.org:9":        "example.org:9",
		"10.0.0.1":             "10.0.0.1:25555",
		"[::1]:7":              "[::1]:7",
		"[::1]":                "[::1]:25555",
		"::1":                  "[::1]:25555",
		"tcp://127.0.0.1:8000": "127.0.0.1:8000",
		"tcp://host":           "host:25555",
	} {
		if got, err := ParseAddress(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "host:", "host:0", "host:70000", "host:x", "a b", "tcp://"} {
		if got, err := ParseAddress(bad); err == nil {
			t.Errorf("%q accepted as %q", bad, got)
		}
	}
}

func TestTemplateLoads(t *testing.T) {
	c, warn, err := Load(write(t, Template))
	if err != nil || len(warn) != 0 || c.Server.SessionTimeout != 300 {
		t.Fatalf("%+v %v %v", c, warn, err)
	}
}

func TestParseErrorPosition(t *testing.T) {
	_, _, err := Load(write(t, "[server]\nport = \n"))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || pe.Column == 0 {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), FileName+":2:") {
		t.Fatalf("message %q does not name file and line", err)
	}
}

func TestUnknownKeysWarn(t *testing.T) {
	_, warn, err := Load(write(t, "[server]\nprot = 1\n[extra]\nx = 2\n"))
	if err != nil || len(warn) != 2 {
		t.Fatalf("%v %v", err, warn)
	}
}

func TestDefaultsWithoutFile(t *testing.T) {
	a, err := Default().Resolve("")
	if err != nil || a != "127.0.0.1:25555" {
		t.Fatalf("%s %v", a, err)
	}
}

// A server entry may name several servers of one store: host and port
// first, then addresses; --server takes several addresses too.
func TestSeveralAddresses(t *testing.T) {
	c, _, err := Load(write(t, `[client]
default_server = "cluster"
[servers.cluster]
host = "a"
port = 1
addresses = ["b", "c:3", "[::1]:4"]
[servers.bare]
addresses = ["d"]
`))
	if err != nil {
		t.Fatal(err)
	}
	for server, want := range map[string]string{
		"":               "a:1,b:25555,c:3,[::1]:4",
		"bare":           "d:25555",
		"x:9, y":         "x:9,y:25555",
		"tcp://z:7,w:8/": "z:7,w:8",
	} {
		if got, err := c.Resolve(server); err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", server, got, err, want)
		}
	}
	if _, err := c.Resolve("x,y:z"); !errors.Is(err, ErrUnknownServer) {
		t.Errorf("a bad address among several: %v", err)
	}
	for _, bad := range []string{
		"[servers.s]\naddresses = [\"a b\"]\n",
		"[servers.s]\nport = 1\n",
		"[servers.s]\nhost = \"a\"\nport = 0\naddresses = [\"b\"]\n",
	} {
		if _, _, err := Load(write(t, bad)); err == nil {
			t.Errorf("loaded %q", bad)
		}
	}
}
