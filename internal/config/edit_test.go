package config

import (
	"strings"
	"testing"
)

// TestEditKeepsTheFile: values change in place; comments, order and keys
// the editor does not know stay; missing keys and tables are added; the
// result loads with the new values.
func TestEditKeepsTheFile(t *testing.T) {
	in := `# my servers, do not reorder
[client]
default_server = "local"   # the usual one

[server]
port = 25555
custom_thing = "kept"  # not ours

[servers.local]
host = "127.0.0.1"
port = 25555
`
	out, err := Edit(in, []Change{
		{"server", "port", 26000},
		{"client", "default_server", "prod"},
		{"servers.prod", "host", "10.0.0.5"},
		{"servers.prod", "port", 27000},
		{"server", "host", "0.0.0.0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# my servers, do not reorder\n[client]\ndefault_server = \"prod\"   # the usual one\n",
		"port = 26000\ncustom_thing = \"kept\"  # not ours\nhost = \"0.0.0.0\"\n\n[servers.local]",
		"[servers.prod]\nhost = \"10.0.0.5\"\nport = 27000\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	c, warn, err := Load(write(t, out))
	if err != nil || c.Server.Port != 26000 || c.Servers["prod"].Port != 27000 || c.Client.DefaultServer != "prod" {
		t.Fatalf("%+v %v", c, err)
	}
	if len(warn) != 1 || !strings.Contains(warn[0], "custom_thing") {
		t.Fatalf("warnings %v", warn)
	}
}
