package server

import (
	"context"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// openConns follows the open connections, for STATUS.
type openConns struct{ m sync.Map } // *zmtp.Conn → time.Time (connected)

// status answers STATUS: [] -> [OK, JSON]. Other clients' details go to
// an admin key, or to everyone on a server without key files.
func (s *Server) status(r *request) {
	st := s.Stats()
	mode := "none"
	switch {
	case s.cfg.Access != nil || s.cfg.Keyed:
		mode = "key-file"
	case s.cfg.Mechanism != nil && s.cfg.Mechanism.Name() == "CURVE":
		mode = "password"
	}
	out := wire.ServerStatus{
		Version: s.cfg.Version, Protocol: wire.Version2, Started: s.started.UnixNano(), Uptime: time.Since(s.started).Seconds(),
		Encryption: mode, Store: s.cfg.StoreKind, Draining: st.Draining,
		InFlight: wire.StatusInFlight{Connections: st.OpenConnections, Uploads: st.OpenUploads, Downloads: st.OpenHandles + int64(s.downloads.handles.len())},
		Totals:   wire.StatusTotals{Uploads: st.Uploads, Downloads: st.Downloads, BytesIn: st.BytesUploaded, BytesOut: st.BytesDownloaded, Connections: st.Connections},
		Limits: wire.StatusLimits{MemoryBytes: s.cfg.MemoryLimit, MaxUploads: int64(s.cfg.MaxSessions), MaxConnections: int64(s.cfg.MaxConns),
			MaxMessageBytes: s.cfg.MaxMessageSize, BandwidthLimit: s.cfg.BandwidthLimit, BandwidthPerPeer: s.cfg.BandwidthLimitPerClient,
			SessionTimeout: s.timeouts.Load().session.Seconds(), PartialExpiry: s.timeouts.Load().partialExpiry.Seconds()},
	}
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	if pa, ok := s.cfg.Store.(store.PartialAdmin); ok {
		if n, octets, err := store.CountPartials(ctx, pa); err == nil {
			out.Partials = &wire.StatusCount{Count: int64(n), Bytes: octets}
		}
	}
	if sp, ok := s.cfg.Store.(store.Spacer); ok {
		if free, err := sp.Free(ctx); err == nil {
			out.FreeBytes = &free
		}
	}
	if s.seesAll(r) {
		s.openConns.m.Range(func(k, v any) bool {
			if len(out.Clients) == wire.MaxStatusClients {
				return false
			}
			c := k.(*zmtp.Conn)
			sc := wire.StatusClient{Addr: c.RemoteAddr().String(), Since: time.Since(v.(time.Time)).Seconds()}
			if s.cfg.Access != nil {
				sc.Key = curve.Key(c.PeerPublicKey()).String()
			}
			out.Clients = append(out.Clients, sc)
			return true
		})
	}
	r.reply(wire.StatusReply(out)...)
}

// seesAll reports whether r's client may see other clients' details: on
// a server without key files every client may; with them, an admin key.
func (s *Server) seesAll(r *request) bool {
	right, ok := s.rightOf(r)
	return ok && right.Admin
}
