package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
)

// Observer is told what a server does, for metrics (internal/metrics
// exports them to Prometheus). Its methods must be safe for concurrent
// use and quick: they run on the requests' own goroutines.
type Observer interface {
	// TransferStarted: a transfer of protocol ("1.2" or "2") and
	// direction ("upload" or "download") began.
	TransferStarted(protocol, direction string)
	// TransferEnded: it ended with result ("ok", or why not: "checksum",
	// "failed", "aborted", "interrupted", "expired") after d.
	TransferEnded(protocol, direction, result string, d time.Duration)
	// Refused: a request or connection was refused by limit
	// ("sessions", "space", "permission", "shutting_down",
	// "connections", "message_size").
	Refused(limit string)
	// StoreOp: a store operation ("open", "open_partial", "commit",
	// "list", "delete") took d and failed with err (nil: it did not).
	StoreOp(op string, d time.Duration, err error)
}

// The directions and results the server reports.
const (
	dirUp   = "upload"
	dirDown = "download"
)

// nopObserver observes nothing.
type nopObserver struct{}

func (nopObserver) TransferStarted(string, string)                      {}
func (nopObserver) TransferEnded(string, string, string, time.Duration) {}
func (nopObserver) Refused(string)                                      {}
func (nopObserver) StoreOp(string, time.Duration, error)                {}

// storeOp times f as store operation op.
func (s *Server) storeOp(op string, f func() error) error {
	t0 := time.Now()
	err := f()
	s.obs.StoreOp(op, time.Since(t0), err)
	return err
}

// openGets follows FlaxFile 2 download handles from GET to their end: a
// GET_END ends one "ok", anything else (expiry, shutdown) "expired".
type openGets struct{ m sync.Map } // store.Object → *getState

type getState struct {
	start time.Time
	done  atomic.Bool // GET_END came
}

func (g *openGets) opened(o store.Object) { g.m.Store(o, &getState{start: time.Now()}) }

// closed reports how the handle of o ended, once.
func (g *openGets) closed(o store.Object) (result string, d time.Duration, ok bool) {
	v, ok := g.m.LoadAndDelete(o)
	if !ok {
		return "", 0, false
	}
	st := v.(*getState)
	if st.done.Load() {
		return "ok", time.Since(st.start), true
	}
	return "expired", time.Since(st.start), true
}

// ended marks o's handle as ended by GET_END and says how long it was
// open.
func (g *openGets) ended(o store.Object) time.Duration {
	if v, ok := g.m.Load(o); ok {
		st := v.(*getState)
		st.done.Store(true)
		return time.Since(st.start)
	}
	return 0
}
