package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func newPartialsCmd(e *env, g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "partials",
		Short: "List or clear the interrupted uploads a server keeps for a resume",
		Args:  args(cobra.NoArgs),
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the interrupted uploads this client may see (its own keys', or all for an admin key)",
		Args:  args(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return runPartialsList(cmd.Context(), e, g) },
	})
	var all bool
	clear := &cobra.Command{
		Use:   "clear KEY... | --all",
		Short: "Remove the interrupted uploads of KEYs, or all this client may see",
		Args: args(func(cmd *cobra.Command, a []string) error {
			if all == (len(a) > 0) {
				return errors.New("name keys or --all, not both")
			}
			return nil
		}),
		RunE: func(cmd *cobra.Command, a []string) error { return runPartialsClear(cmd.Context(), e, g, a) },
	}
	clear.Flags().BoolVar(&all, "all", false, "every interrupted upload this client may see")
	cmd.AddCommand(clear)
	return cmd
}

func runPartialsList(ctx context.Context, e *env, g *globals) error {
	c, err := g.connect(ctx, e, nil)
	if err != nil {
		return interrupted(ctx, err)
	}
	defer c.Close()
	ps, err := c.Partials(ctx)
	if err != nil {
		return interrupted(ctx, err)
	}
	if g.json {
		for _, p := range ps {
			if err := printJSON(e.stdout, map[string]any{"key": p.Key, "id": p.ID, "size": p.Size, "held": p.Held, "modified": p.ModTime}); err != nil {
				return err
			}
		}
		return nil
	}
	if g.quiet {
		return nil
	}
	if len(ps) == 0 {
		fmt.Fprintln(e.stdout, e.msg("noPartials"))
		return nil
	}
	rows := [][]string{{e.msg("colKey"), e.msg("colHeld"), e.msg("colSize"), e.msg("colLastWritten")}}
	var held int64
	for _, p := range ps {
		rows = append(rows, []string{p.Key, formatSize(p.Held), formatSize(p.Size), p.ModTime.Local().Format(time.DateTime)})
		held = addSizes(held, p.Held)
	}
	table(e.stdout, safeRows(rows), []bool{false, true, true, false})
	fmt.Fprintln(e.stdout, e.msg("partialsTotal", len(ps), formatSize(held)))
	return nil
}

func runPartialsClear(ctx context.Context, e *env, g *globals, keys []string) error {
	c, err := g.connect(ctx, e, nil)
	if err != nil {
		return interrupted(ctx, err)
	}
	defer c.Close()
	n, err := c.ClearPartials(ctx, keys...)
	if err != nil {
		return interrupted(ctx, err)
	}
	switch {
	case g.json:
		return printJSON(e.stdout, map[string]any{"cleared": n})
	case !g.quiet:
		fmt.Fprintln(e.stdout, e.msg("partialsCleared", n))
	}
	return nil
}
