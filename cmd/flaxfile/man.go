package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newManCmd writes a man page per command, generated from the commands
// themselves so that the pages never drift from --help. (Written here in
// plain roff: cobra's doc package would link a Markdown renderer and a
// YAML parser whose package initialisation every run of the tool would
// pay for.)
func newManCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write the man pages (section 1) to DIR",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := os.MkdirAll(a[0], 0o755); err != nil {
				return err
			}
			if err := writeManTree(cmd.Root(), a[0]); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, e.msg("manDone", a[0]))
			return nil
		},
	}
}

// writeManTree writes the page of c and of every command below it.
func writeManTree(c *cobra.Command, dir string) error {
	if c.Hidden || !c.IsAvailableCommand() && c.HasParent() {
		return nil
	}
	name := strings.ReplaceAll(c.CommandPath(), " ", "-")
	if err := os.WriteFile(filepath.Join(dir, name+".1"), []byte(manPage(c)), 0o644); err != nil {
		return err
	}
	for _, s := range c.Commands() {
		if err := writeManTree(s, dir); err != nil {
			return err
		}
	}
	return nil
}

// manPage is c's page in roff (man(7)).
func manPage(c *cobra.Command) string {
	var b strings.Builder
	name := strings.ReplaceAll(c.CommandPath(), " ", "-")
	fmt.Fprintf(&b, ".TH %s 1 \"\" \"FlaxFile\" \"FlaxFile Manual\"\n", strings.ToUpper(name))
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", roff(name), roff(c.Short))
	fmt.Fprintf(&b, ".SH SYNOPSIS\n.B %s\n", roff(c.UseLine()))
	long := c.Long
	if long == "" {
		long = c.Short
	}
	fmt.Fprintf(&b, ".SH DESCRIPTION\n%s\n", roffText(long))
	flags := func(title string, fs *pflag.FlagSet) {
		if !fs.HasAvailableFlags() {
			return
		}
		fmt.Fprintf(&b, ".SH %s\n", title)
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Deprecated != "" {
				return
			}
			head := "\\fB\\-\\-" + roff(f.Name) + "\\fR"
			if f.Shorthand != "" {
				head = "\\fB\\-" + roff(f.Shorthand) + "\\fR, " + head
			}
			if f.Value.Type() != "bool" {
				head += " \\fI" + roff(f.Value.Type()) + "\\fR"
			}
			fmt.Fprintf(&b, ".TP\n%s\n%s\n", head, roff(f.Usage))
		})
	}
	flags("OPTIONS", c.NonInheritedFlags())
	flags("GLOBAL OPTIONS", c.InheritedFlags())
	var see []string
	if c.HasParent() {
		see = append(see, strings.ReplaceAll(c.Parent().CommandPath(), " ", "-"))
	}
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() {
			see = append(see, strings.ReplaceAll(s.CommandPath(), " ", "-"))
		}
	}
	if len(see) > 0 {
		for i, s := range see {
			see[i] = "\\fB" + roff(s) + "\\fR(1)"
		}
		fmt.Fprintf(&b, ".SH SEE ALSO\n%s\n", strings.Join(see, ", "))
	}
	return b.String()
}

// roff escapes text for one roff line: backslashes and hyphens.
func roff(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\e")
	return strings.ReplaceAll(s, "-", "\\-")
}

// roffText is filled text: no line starting with a control character,
// blank lines as paragraph breaks.
func roffText(s string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		l = roff(l)
		switch {
		case strings.TrimSpace(l) == "":
			l = ".PP"
		case strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'"):
			l = "\\&" + l
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
