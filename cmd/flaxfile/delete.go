package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newDeleteCmd(e *env, g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "delete KEY",
		Short: "Delete a file, or a directory with everything under it",
		Args:  args(cobra.ExactArgs(1)),
		RunE:  func(cmd *cobra.Command, a []string) error { return runDelete(cmd.Context(), e, g, a[0]) },
	}
}

func runDelete(ctx context.Context, e *env, g *globals, key string) error {
	c, err := g.connect(ctx, e, nil)
	if err != nil {
		return interrupted(ctx, err)
	}
	defer c.Close()
	if err := c.Delete(ctx, key); err != nil {
		if g.json {
			_ = printJSON(e.stdout, map[string]any{"key": key, "deleted": false, "error": err.Error()})
		}
		return fmt.Errorf("%s", e.msg("deleteFailed", key, reason(err)))
	}
	switch {
	case g.json:
		return printJSON(e.stdout, map[string]any{"key": key, "deleted": true})
	case !g.quiet:
		fmt.Fprintln(e.stdout, e.msg("deleted", key))
	}
	return nil
}
