// Package config reads and writes FlaxFile's TOML configuration, in the
// format FlaxFile 1.2 uses, so 1.2 files load unchanged.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// FileName is the configuration file's name in every search directory.
const FileName = "flaxfile.toml"

// Config is the whole file. Missing keys take Default's values.
type Config struct {
	Client  Client            `toml:"client"`
	Server  Server            `toml:"server"`
	Servers map[string]Remote `toml:"servers"`
}

// Client is the [client] table.
type Client struct {
	DefaultServer string `toml:"default_server"`
}

// Server is the [server] table: what `flaxfile serve` uses.
type Server struct {
	Host       string `toml:"host"`
	Port       int    `toml:"port"`
	StorageDir string `toml:"storage_dir"`
	// Storage names the store as dir:PATH or mem:[SIZE]; when set it
	// wins over StorageDir.
	Storage string `toml:"storage,omitempty"`
	// SessionTimeout is how many seconds an upload may sit idle.
	SessionTimeout int `toml:"session_timeout,omitempty"`
	// PartialExpiryHours is how many hours the partial file of an
	// interrupted FlaxFile 2 upload is kept for a resume.
	PartialExpiryHours int `toml:"partial_expiry_hours,omitempty"`
}

// Remote is one [servers.NAME] table. KeyFile and ServerKey are for key
// mode; PasswordFile holds the server's password (mode 0600 or stricter);
// 1.2's leftover download_port and control_port are accepted and ignored.
// Addresses names more servers of the same shared store (an object
// store's bucket) as HOST[:PORT]: a client spreads its transfers over
// them all and goes on through the others when one stops; with
// Addresses, Host and Port may be left out.
type Remote struct {
	Host         string   `toml:"host,omitempty"`
	Port         int      `toml:"port,omitzero"`
	Addresses    []string `toml:"addresses,omitempty"`
	KeyFile      string   `toml:"key_file,omitempty"`
	PasswordFile string   `toml:"password_file,omitempty"`
	ServerKey    string   `toml:"server_key,omitempty"`
	DownloadPort int      `toml:"download_port,omitzero"`
	ControlPort  int      `toml:"control_port,omitzero"`
}

// Default returns the built-in configuration.
func Default() *Config {
	return &Config{
		Client:  Client{DefaultServer: "local"},
		Server:  Server{Host: "0.0.0.0", Port: 25555, StorageDir: "./zmq_streaming_storage", SessionTimeout: 300, PartialExpiryHours: 24},
		Servers: map[string]Remote{"local": {Host: "127.0.0.1", Port: 25555}},
	}
}

// SearchPaths lists where the file is looked for, in order: the working
// directory, the home directory (1.2's two), then the XDG config
// directory.
func SearchPaths() []string {
	paths := []string{filepath.Join(".", FileName)}
	if home, err := os.UserHomeDir(); err == nil {
		paths = append(paths, filepath.Join(home, FileName))
	}
	if dir, err := os.UserConfigDir(); err == nil {
		paths = append(paths, filepath.Join(dir, "flaxfile", FileName))
	}
	return paths
}

// Find returns the first search path that exists, or "".
func Find() string {
	for _, p := range SearchPaths() {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// ParseError is a file that is not valid TOML or has a value of the wrong
// type.
type ParseError struct {
	Path         string
	Line, Column int
	Msg          string
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Msg)
}

// Load reads path over the defaults. Keys it does not know come back as
// warnings.
func Load(path string) (*Config, []string, error) {
	c := Default()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	c.Servers = nil // a file that lists servers lists all of them, as in 1.2
	md, err := toml.Decode(string(data), c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, nil, &ParseError{Path: path, Line: pe.Position.Line, Column: pe.Position.Col, Msg: pe.Message}
		}
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if !md.IsDefined("servers") {
		c.Servers = Default().Servers
	}
	var warnings []string
	undecoded := md.Undecoded()
	for _, k := range undecoded {
		table := false // a table is reported through its keys
		for _, other := range undecoded {
			table = table || strings.HasPrefix(other.String(), k.String()+".")
		}
		if !table {
			warnings = append(warnings, fmt.Sprintf("%s: unknown key %q ignored", path, k.String()))
		}
	}
	return c, warnings, c.Validate()
}

// Validate checks ports and names.
func (c *Config) Validate() error {
	if c.Server.Port < 0 || c.Server.Port > 65535 {
		return fmt.Errorf("config: [server] port %d out of range", c.Server.Port)
	}
	for name, s := range c.Servers {
		if _, err := s.addrs(); err != nil {
			return fmt.Errorf("config: [servers.%s] %v", name, err)
		}
	}
	return nil
}

// addrs lists the addresses of a [servers.NAME] table: host and port
// first, if given, then addresses.
func (r Remote) addrs() ([]string, error) {
	var out []string
	if r.Host != "" || len(r.Addresses) == 0 {
		if r.Host == "" {
			return nil, errors.New("has no host")
		}
		if r.Port <= 0 || r.Port > 65535 {
			return nil, fmt.Errorf("port %d out of range", r.Port)
		}
		out = append(out, net.JoinHostPort(r.Host, strconv.Itoa(r.Port)))
	}
	for _, a := range r.Addresses {
		addr, err := ParseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("addresses: %v", err)
		}
		out = append(out, addr)
	}
	return out, nil
}

// ErrUnknownServer is returned by Resolve for a name not in [servers].
var ErrUnknownServer = errors.New("unknown server")

// DefaultPort is the port an address without one gets.
const DefaultPort = 25555

// Resolve turns a --server value into an address: a name in [servers],
// or an address (ParseAddress), or several separated by commas, or
// (empty) default_server, which must name an entry. Several addresses
// come back separated by commas, as flaxfile.Dial takes them.
func (c *Config) Resolve(server string) (string, error) {
	if server == "" {
		server = c.Client.DefaultServer
		if _, ok := c.Servers[server]; !ok {
			return "", fmt.Errorf("%w: default_server %q is not in [servers]", ErrUnknownServer, server)
		}
	}
	if s, ok := c.Servers[server]; ok {
		addrs, err := s.addrs()
		if err != nil {
			return "", fmt.Errorf("config: [servers.%s] %v", server, err)
		}
		return strings.Join(addrs, ","), nil
	}
	var addrs []string
	for part := range strings.SplitSeq(server, ",") {
		addr, err := ParseAddress(strings.TrimSpace(part))
		if err != nil {
			return "", fmt.Errorf("%w: not a name in the config, and %v", ErrUnknownServer, err)
		}
		addrs = append(addrs, addr)
	}
	return strings.Join(addrs, ","), nil
}

// ParseAddress reads HOST, HOST:PORT, [IPv6]:PORT, [IPv6], a bare IPv6
// address, or any of them after tcp:// (as ZeroMQ writes endpoints), and
// returns HOST:PORT, the port DefaultPort when none is given.
func ParseAddress(s string) (string, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "tcp://"), "/")
	host, port := s, strconv.Itoa(DefaultPort)
	switch h, p, err := net.SplitHostPort(s); {
	case err == nil:
		host, port = h, p
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
		host = s[1 : len(s)-1]
	case strings.Count(s, ":") >= 2: // a bare IPv6 address
	case strings.Contains(s, ":"):
		return "", fmt.Errorf("%q is not HOST:PORT", s)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return "", fmt.Errorf("port %q is not 1 to 65535", port)
	}
	if host == "" || strings.ContainsAny(host, " /[]") {
		return "", fmt.Errorf("%q is not a host name or address", host)
	}
	return net.JoinHostPort(host, port), nil
}

// Keys returns the key-file settings of a server named in the config
// (the default one for ""), or empty strings.
func (c *Config) Keys(server string) (keyFile, serverKey string) {
	return c.remote(server).KeyFile, c.remote(server).ServerKey
}

// PasswordFile returns the password_file of a server named in the config
// (the default one for ""), or "".
func (c *Config) PasswordFile(server string) string { return c.remote(server).PasswordFile }

// remote is the entry of a server named in the config (the default one
// for ""), or the zero Remote.
func (c *Config) remote(server string) Remote {
	if server == "" {
		server = c.Client.DefaultServer
	}
	return c.Servers[server]
}

// Names returns the server names, sorted.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Servers))
	for n := range c.Servers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Map is c as the file names it: tables and keys by their TOML names.
func (c *Config) Map() (map[string]any, error) {
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return nil, err
	}
	m := map[string]any{}
	_, err := toml.Decode(b.String(), &m)
	return m, err
}

// Template is the commented file `flaxfile config init` writes.
const Template = `# FlaxFile configuration.
# Searched for in ./flaxfile.toml, then ~/flaxfile.toml, then
# $XDG_CONFIG_HOME/flaxfile/flaxfile.toml; the first one found is used.

[client]
# The server used when --server is not given.
default_server = "local"

[server]
# What 'flaxfile serve' listens on and where it keeps files.
host = "0.0.0.0"
port = 25555
storage_dir = "./zmq_streaming_storage"
# Seconds an unfinished upload may sit idle before it is dropped.
session_timeout = 300
# Hours an interrupted upload is kept on the server so that it can resume.
partial_expiry_hours = 24

# Named servers for --server NAME.
[servers.local]
host = "127.0.0.1"
port = 25555

# [servers.prod]
# host = "192.168.1.100"
# port = 25555
# key_file = "~/.config/flaxfile/client.key"   # key-file mode (flaxfile keygen)
# server_key = "<the server's public key, Z85>"

# Several servers in front of one shared object store (docs/SCALING.md):
# transfers spread over all of them and go on when one stops.
# [servers.team]
# addresses = ["10.0.0.1:25555", "10.0.0.2:25555", "10.0.0.3:25555"]
`
