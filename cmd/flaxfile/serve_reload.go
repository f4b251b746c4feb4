package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/flaxfile/flaxfile/internal/auth"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/spf13/cobra"
)

// accessLog is serve's access log: standard error or a file, reopened on
// SIGHUP (logrotate moves the file, then signals).
type accessLog struct {
	path, format string
	stderr       io.Writer
	mu           sync.Mutex
	f            *os.File // nil for standard error, or no log
	l            *slog.Logger
}

// openAccessLog opens the access log --access-log names; with none, its
// logger is nil.
func openAccessLog(e *env, o *serveOptions) (*accessLog, error) {
	a := &accessLog{path: o.accessLog, format: o.accessLogFormat, stderr: e.stderr}
	if a.format == "" {
		a.format = o.logFormat
	}
	if a.format != "text" && a.format != "json" {
		return nil, usageError{fmt.Errorf("--access-log-format must be text or json, not %q", a.format)}
	}
	if a.path == "" {
		return a, nil
	}
	return a, a.reopen()
}

// reopen opens the file (again) and makes a logger on it; the previous
// file is closed.
func (a *accessLog) reopen() error {
	if a.path == "" {
		return nil
	}
	w := a.stderr
	var f *os.File
	if a.path != "-" {
		var err error
		if f, err = os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640); err != nil {
			return fmt.Errorf("--access-log: %w", err)
		}
		w = f
	}
	var h slog.Handler = slog.NewTextHandler(w, nil)
	if a.format == "json" {
		h = slog.NewJSONHandler(w, nil)
	}
	a.mu.Lock()
	old := a.f
	a.f, a.l = f, slog.New(h)
	a.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// logger is the access log's logger, nil without one.
func (a *accessLog) logger() *slog.Logger {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.l
}

// Close closes the file.
func (a *accessLog) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f != nil {
		return a.f.Close()
	}
	return nil
}

// onHangup runs f on each SIGHUP until served is closed.
func onHangup(served <-chan struct{}, f func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	defer signal.Stop(ch)
	for {
		select {
		case <-ch:
			f()
		case <-served:
			return
		}
	}
}

// reload is serve's SIGHUP: the access log is reopened, the authorized
// keys read again, and the config file's session timeout and partial
// expiry applied (unless flags set them); the rest of [server] (address,
// store) takes a restart.
func reload(e *env, g *globals, cmd *cobra.Command, log *slog.Logger, srv *server.Server, access *accessLog, sec *auth.Server) {
	var errs []error
	if err := access.reopen(); err != nil {
		errs = append(errs, err)
	} else {
		srv.SetAccessLog(access.logger())
	}
	if sec != nil && sec.Access != nil {
		if err := sec.Access.Reload(); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg, _, err := g.loadConfig(e); err != nil {
		errs = append(errs, err)
	} else {
		var session, expiry time.Duration
		if !cmd.Flags().Changed("session-timeout") {
			session = time.Duration(cfg.Server.SessionTimeout) * time.Second
		}
		if !cmd.Flags().Changed("partial-expiry") {
			expiry = time.Duration(cfg.Server.PartialExpiryHours) * time.Hour
		}
		srv.SetTimeouts(session, expiry)
	}
	if err := errors.Join(errs...); err != nil {
		log.Error("SIGHUP: reload incomplete", "err", err)
		return
	}
	log.Info("SIGHUP: access log reopened, authorized keys and config read again")
}
