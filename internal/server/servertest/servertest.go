// Package servertest runs a real FlaxFile server on 127.0.0.1:0 for tests.
package servertest

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/flaxfile/flaxfile/internal/auth"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/store/disk"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// Start runs a server with cfg over a fresh disk store in a temporary
// directory (cfg.Store is replaced, cfg.NoSync set) and returns its address
// and store. mech, if not nil, secures it. The test's cleanup stops it.
func Start(t testing.TB, cfg server.Config, mech zmtp.Mechanism) (string, *disk.Store) {
	t.Helper()
	addr, st, stop := StartIn(t, filepath.Join(t.TempDir(), "storage"), cfg, mech)
	t.Cleanup(stop)
	return addr, st
}

// StartIn is Start over the store in dir, which may hold files from an
// earlier server; stop shuts the server down and closes the store (it is
// safe to call twice), so that another can start over the same dir.
func StartIn(t testing.TB, dir string, cfg server.Config, mech zmtp.Mechanism) (addr string, st *disk.Store, stop func()) {
	t.Helper()
	addr, _, st, stop = startServer(t, dir, cfg, mech)
	return addr, st, stop
}

// StartServer is Start that also returns the server, for its Stats.
func StartServer(t testing.TB, cfg server.Config, mech zmtp.Mechanism) (string, *server.Server) {
	t.Helper()
	addr, srv, _, stop := startServer(t, filepath.Join(t.TempDir(), "storage"), cfg, mech)
	t.Cleanup(stop)
	return addr, srv
}

func startServer(t testing.TB, dir string, cfg server.Config, mech zmtp.Mechanism) (addr string, srv *server.Server, st *disk.Store, stop func()) {
	t.Helper()
	if cfg.Store != nil {
		// These run on a disk store of their own: a test with a store of
		// its own runs Background.
		t.Fatal("servertest: Start* keep files on a disk store in dir; use Background for cfg.Store")
	}
	st, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = st
	cfg.NoSync = true
	cfg.Mechanism = mech
	addr, srv, stopServer, err := Background(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { stopServer(); st.Close() }) }
	return addr, srv, st, stop
}

// Background runs a server of cfg on a free loopback port until stop is
// called (which waits for it to end); for tests and examples alike.
func Background(cfg server.Config) (addr string, srv *server.Server, stop func(), err error) {
	if srv, err = server.New(cfg); err != nil {
		return "", nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, ln); close(done) }()
	return ln.Addr().String(), srv, func() { cancel(); <-done }, nil
}

// Password returns the CURVE server mechanism for a FlaxFile 1.2 password.
func Password(t testing.TB, password string) zmtp.Mechanism {
	t.Helper()
	s, err := auth.PasswordServer(password)
	if err != nil {
		t.Fatal(err)
	}
	return s.Mechanism
}
