package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newStatusCmd(e *env, g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show what a server is and does: version, uptime, transfers, partial uploads, space, limits",
		Args:  args(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return runStatus(cmd.Context(), e, g) },
	}
}

func runStatus(ctx context.Context, e *env, g *globals) error {
	c, err := g.connect(ctx, e, nil)
	if err != nil {
		return interrupted(ctx, err)
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return interrupted(ctx, err)
	}
	if g.json {
		return printJSON(e.stdout, st)
	}
	if g.quiet {
		return nil
	}
	proto := "FlaxFile " + st.Protocol
	if st.Version != "" {
		proto += ", " + st.Version
	}
	rows := [][]string{{e.msg("stServer"), st.Address + " (" + proto + ")"}}
	enc := st.Encryption
	if st.Cipher != "" {
		enc += " (" + st.Cipher + ")"
	}
	rows = append(rows, []string{e.msg("stEncryption"), enc})
	rows = append(rows, []string{e.msg("stRoundTrip"), fmt.Sprintf("%.2f ms", float64(st.RoundTrip)/1e6)})
	if st.Limited {
		table(e.stdout, safeRows(rows), []bool{false, false})
		fmt.Fprintln(e.stdout, e.msg("stLimited"))
		return nil
	}
	up := (time.Duration(st.Uptime) * time.Second).Round(time.Second)
	rows = append(rows, []string{e.msg("stUp"), fmt.Sprintf("%s (%s)", up, time.Unix(0, st.Started).Local().Format(time.DateTime))})
	store := st.Store
	if st.FreeBytes != nil {
		store += ", " + e.msg("stFree", formatSize(*st.FreeBytes))
	}
	rows = append(rows, []string{e.msg("stStore"), store})
	rows = append(rows, []string{e.msg("stInFlight"), e.msg("stInFlightV", st.InFlight.Connections, st.InFlight.Uploads, st.InFlight.Downloads)})
	rows = append(rows, []string{e.msg("stTotals"), e.msg("stTotalsV", st.Totals.Uploads, formatSize(st.Totals.BytesIn), st.Totals.Downloads, formatSize(st.Totals.BytesOut), st.Totals.Connections)})
	if st.Partials != nil {
		rows = append(rows, []string{e.msg("stPartials"), fmt.Sprintf("%d (%s)", st.Partials.Count, formatSize(st.Partials.Bytes))})
	}
	l := st.Limits
	bw := func(n int64) string {
		if n <= 0 {
			return e.msg("stNone")
		}
		return formatSize(n) + "/s"
	}
	rows = append(rows, []string{e.msg("stLimits"), e.msg("stLimitsV", formatSize(l.MemoryBytes), l.MaxUploads, l.MaxConnections, bw(l.BandwidthLimit), bw(l.BandwidthPerPeer))})
	if st.Draining {
		rows = append(rows, []string{"", e.msg("stDraining")})
	}
	var clients []string
	for _, cl := range st.Clients {
		s := cl.Addr
		if cl.Key != "" {
			s += " " + cl.Key
		}
		clients = append(clients, s)
	}
	if len(clients) > 0 {
		rows = append(rows, []string{e.msg("stClients"), strings.Join(clients, ", ")})
	}
	table(e.stdout, safeRows(rows), []bool{false, false})
	return nil
}
