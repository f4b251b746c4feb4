package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/flaxfile/flaxfile/internal/config"
	"github.com/spf13/cobra"
)

func newConfigCmd(e *env, g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show or edit the configuration (alone: edit it with prompts)",
		Args:  args(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return runConfigInteractive(cmd.Context(), e, g) },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "init [PATH]",
		Short: "Write a commented config file (default ./flaxfile.toml)",
		Args:  args(cobra.MaximumNArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			path := filepath.Join(".", config.FileName)
			if len(a) > 0 {
				path = a[0]
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return errors.New(e.msg("configExists", path))
			}
			if err != nil {
				return err
			}
			if _, err := f.WriteString(config.Template); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, e.msg("configCreated", path))
			fmt.Fprintln(e.stdout, e.msg("configEdit"))
			return nil
		},
	}, &cobra.Command{
		Use:   "show",
		Short: "Show the configuration in use",
		Args:  args(cobra.NoArgs),
		RunE:  func(*cobra.Command, []string) error { return runConfigShow(e, g) },
	}, &cobra.Command{
		Use:   "path",
		Short: "Show where config files are looked for",
		Args:  args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			printSearchPaths(e, g)
			return nil
		},
	})
	return cmd
}

// printSearchPaths lists the search paths, marking those that exist and the
// one in use.
func printSearchPaths(e *env, g *globals) {
	inUse := g.configPath
	if inUse == "" {
		inUse = config.Find()
	}
	for _, p := range config.SearchPaths() {
		mark := "✗"
		if _, err := os.Stat(p); err == nil {
			mark = "✓"
		}
		line := fmt.Sprintf("  %s %s", mark, p)
		if p == inUse {
			line += "  " + e.msg("configInUse")
		}
		fmt.Fprintln(e.stdout, line)
	}
}

func runConfigShow(e *env, g *globals) error {
	c, path, err := g.loadConfig(e)
	if err != nil {
		return err
	}
	if g.json {
		m, err := c.Map()
		if err != nil {
			return err
		}
		return printJSON(e.stdout, map[string]any{"path": path, "config": m})
	}
	w := e.stdout
	rule := strings.Repeat("=", 60)
	fmt.Fprintf(w, "%s\n%s\n%s\n", rule, e.msg("configTitle"), rule)
	if path != "" {
		fmt.Fprintln(w, e.msg("configFile", path))
	} else {
		fmt.Fprintln(w, e.msg("configNone"))
	}
	printSearchPaths(e, g)
	fmt.Fprintf(w, "\n%s\n  host: %s\n  port: %d\n  storage_dir: %s\n  session_timeout: %ds\n",
		e.msg("configServer"), c.Server.Host, c.Server.Port, c.Server.StorageDir, c.Server.SessionTimeout)
	fmt.Fprintf(w, "\n%s\n  %s: %s\n", e.msg("configClient"), e.msg("configDefault"), c.Client.DefaultServer)
	fmt.Fprintf(w, "\n%s\n", e.msg("configRemotes"))
	for _, name := range c.Names() {
		s := c.Servers[name]
		mark := ""
		if name == c.Client.DefaultServer {
			mark = " [" + e.msg("configDefault") + "]"
		}
		fmt.Fprintf(w, "  %s%s: %s:%d\n", name, mark, s.Host, s.Port)
	}
	return nil
}

// runConfigInteractive edits the file in use (or ./flaxfile.toml) with
// plain prompts: press Enter to keep a value.
func runConfigInteractive(ctx context.Context, e *env, g *globals) error {
	c, path, err := g.loadConfig(e)
	if err != nil {
		return err
	}
	if path == "" {
		path = filepath.Join(".", config.FileName)
	}
	ask := func(label, current string) (string, error) {
		v, err := e.readLine(ctx, fmt.Sprintf("%s [%s]: ", label, current))
		if err != nil {
			return "", err
		}
		if v = strings.TrimSpace(v); v == "" {
			return current, nil
		}
		return v, nil
	}
	askInt := func(label string, current int) (int, error) {
		v, err := ask(label, strconv.Itoa(current))
		if err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, usageError{fmt.Errorf("%s: %q is not a number", label, v)}
		}
		return n, nil
	}
	var changes []config.Change
	set := func(table, key string, value any) {
		changes = append(changes, config.Change{Table: table, Key: key, Value: value})
	}
	if c.Server.Host, err = ask("server host", c.Server.Host); err != nil {
		return err
	}
	set("server", "host", c.Server.Host)
	if c.Server.Port, err = askInt("server port", c.Server.Port); err != nil {
		return err
	}
	set("server", "port", c.Server.Port)
	if c.Server.StorageDir, err = ask("server storage_dir", c.Server.StorageDir); err != nil {
		return err
	}
	set("server", "storage_dir", c.Server.StorageDir)
	for {
		name, err := ask("add or edit a remote server (name, empty to finish)", "")
		if err != nil {
			return err
		}
		if name == "" {
			break
		}
		s := c.Servers[name]
		if s.Port == 0 {
			s.Port = 25555
		}
		if s.Host, err = ask("  host", s.Host); err != nil {
			return err
		}
		if s.Port, err = askInt("  port", s.Port); err != nil {
			return err
		}
		if c.Servers == nil {
			c.Servers = map[string]config.Remote{}
		}
		c.Servers[name] = s
		set("servers."+name, "host", s.Host)
		set("servers."+name, "port", s.Port)
	}
	if c.Client.DefaultServer, err = ask("default server", c.Client.DefaultServer); err != nil {
		return err
	}
	set("client", "default_server", c.Client.DefaultServer)
	if err := c.Validate(); err != nil {
		return err
	}
	if _, ok := c.Servers[c.Client.DefaultServer]; !ok {
		return usageError{fmt.Errorf("default server %q is not one of %v", c.Client.DefaultServer, c.Names())}
	}
	// The file is edited in place: its comments, order and any key this
	// editor does not know stay as they were.
	text := config.Template
	if b, err := os.ReadFile(path); err == nil {
		text = string(b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	out, err := config.Edit(text, changes)
	if err != nil {
		return err
	}
	if err := writeReplacing(path, out); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, e.msg("configSaved", path))
	return nil
}

// writeReplacing writes text to path through a temporary file renamed
// over it, keeping its mode: a crash leaves the old file or the new one.
func writeReplacing(path, text string) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".flaxfile-config-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
