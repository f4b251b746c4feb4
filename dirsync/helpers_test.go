package dirsync_test

import (
	"context"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
)

// startServer runs a server over a fresh store and returns its address
// and the store's directory.
func startServer(t testing.TB) (addr, dir string) {
	t.Helper()
	addr, st := servertest.Start(t, server.Config{}, nil)
	return addr, st.Dir()
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
