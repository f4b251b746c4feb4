package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newManCmd writes a man page per command, generated from the commands
// themselves, so that the pages never drift from --help.
func newManCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write the man pages (section 1) to DIR",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := os.MkdirAll(a[0], 0o755); err != nil {
				return err
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true // the same pages from the same source
			if err := doc.GenManTree(root, &doc.GenManHeader{Title: "FLAXFILE", Section: "1", Source: "FlaxFile"}, a[0]); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, e.msg("manDone", a[0]))
			return nil
		},
	}
}
