package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestHelpTranslated: every command's help and every flag's usage has its
// Chinese (cobra's own completion commands aside), so that a new flag
// cannot ship in English only under a zh locale; and every message has
// both languages.
func TestHelpTranslated(t *testing.T) {
	root := newRootCmd(newEnv(nil, &bytes.Buffer{}, &bytes.Buffer{}))
	root.InitDefaultHelpCmd()
	check := func(where, s string) {
		body, _ := strings.CutSuffix(s, exitCodesHelp)
		if s != "" && helpZH[body] == "" {
			t.Errorf("%s: no Chinese for %q", where, s)
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() == "completion" {
			return
		}
		check(c.CommandPath(), c.Short)
		check(c.CommandPath(), c.Long)
		for _, fs := range []*pflag.FlagSet{c.LocalFlags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if f.Name != "help" {
					check(c.CommandPath()+" --"+f.Name, f.Usage)
				}
			})
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	for key, m := range messages {
		if m[0] == "" || m[1] == "" {
			t.Errorf("message %s lacks a language", key)
		}
	}
}
