package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// The access log (Config.AccessLog): one line per finished transfer and
// per refused request, with the time, the peer, the client (its key in
// key-file mode, else "password" or "none"), the command, the key, the
// octets, the duration and the result.

// clientName names r's client for the access log.
func (s *Server) clientName(r *request) string {
	switch {
	case s.cfg.Access != nil || s.cfg.Keyed:
		return curve.Key(r.c.PeerPublicKey()).String()
	case s.cfg.Mechanism != nil && s.cfg.Mechanism.Name() == "CURVE":
		return "password"
	}
	return "none"
}

// access logs one line for r: cmd on key moved octets in d with result.
func (s *Server) access(r *request, cmd, key string, octets int64, d time.Duration, result string) {
	l := s.accessLog()
	if l == nil {
		return
	}
	l.LogAttrs(context.Background(), slog.LevelInfo, "access",
		slog.String("peer", r.c.RemoteAddr().String()), slog.String("client", s.clientName(r)),
		slog.String("command", cmd), slog.String("key", key), slog.Int64("bytes", octets),
		slog.Float64("duration_s", d.Seconds()), slog.String("result", result))
}

// refusedAccess logs a refused request: its first key, if it names one.
func (s *Server) refusedAccess(r *request, msg string) {
	if s.accessLog() == nil {
		return
	}
	key := ""
	if keys, _, _ := wire.Named(r.cmd, r.args); len(keys) > 0 {
		key = string(keys[0])
	}
	s.access(r, r.cmd, key, 0, time.Since(r.start), "refused: "+msg)
}

// accessLog is the access log now (SetAccessLog may replace it), or nil.
func (s *Server) accessLog() *slog.Logger { return s.accessLogger.Load() }

// SetAccessLog replaces the access log (nil: none), as after a SIGHUP
// reopened its file.
func (s *Server) SetAccessLog(l *slog.Logger) { s.accessLogger.Store(l) }

// SetTimeouts changes the session timeout and the partial expiry of a
// running server (a SIGHUP rereading the config); zero keeps one as it
// is.
func (s *Server) SetTimeouts(session, partialExpiry time.Duration) {
	t := *s.timeouts.Load()
	if session > 0 {
		t.session = session
	}
	if partialExpiry > 0 {
		t.partialExpiry = partialExpiry
	}
	s.timeouts.Store(&t)
}

// timeouts are the session timeout and partial expiry in force.
type timeouts struct{ session, partialExpiry time.Duration }
