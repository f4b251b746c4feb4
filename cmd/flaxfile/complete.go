package main

import (
	"context"
	"path"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// completeServers completes --server with the names in the config.
func completeServers(e *env, g *globals) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, _, err := g.loadConfig(e)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return cfg.Names(), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeKeys completes a key on the server (the first argument of get,
// delete, list and pull): the entries of the directory being typed, a
// directory shown with its slash so that completion goes on into it. It
// gives up quietly within two seconds, and never asks for a password.
func completeKeys(e *env, g *globals) cobra.CompletionFunc {
	return func(cmd *cobra.Command, a []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(a) > 0 {
			return nil, cobra.ShellCompDirectiveDefault // then a local path
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Second)
		defer cancel()
		quiet := *g
		quiet.quiet, quiet.json = true, true // no prompt
		c, err := quiet.connect(ctx, e, nil)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer c.Close()
		dir := ""
		if i := strings.LastIndexByte(toComplete, '/'); i >= 0 {
			dir = toComplete[:i]
		}
		entries, err := c.List(ctx, dir, false)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		seen := map[string]bool{}
		var out []cobra.Completion
		for _, en := range entries {
			name := en.Key
			if rest := strings.TrimPrefix(en.Key, dir+"/"); dir != "" {
				name = path.Join(dir, strings.SplitN(rest, "/", 2)[0])
				if strings.Contains(rest, "/") {
					name += "/"
				}
			} else if first, _, isDir := strings.Cut(en.Key, "/"); isDir {
				name = first + "/"
			}
			// A key the shell would see as more than one word, or whose
			// control characters would reach the terminal, is not offered.
			if termSafe(name) != name || strings.ContainsAny(name, " \t") {
				continue
			}
			if strings.HasPrefix(name, toComplete) && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}
