package server

import (
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// A server told to stop with a ShutdownTimeout drains: it accepts no
// connection and starts no transfer, and waits for those in flight to
// finish (no request in progress and none for drainQuiet) or for the
// timeout, whichever comes first; then it closes every connection. An
// upload cut off then is kept for a resume, as one whose client went.

// drainQuiet is how long a draining server waits after the last request
// of a transfer before it takes the transfer to have finished: the gap
// between two chunks of one is far shorter.
const drainQuiet = time.Second

// ErrShuttingDown is the refusal of a request that would start a
// transfer on a server that is stopping.
const ErrShuttingDown = "the server is shutting down: try again later or elsewhere"

// startsTransfer reports whether cmd begins something a draining server
// refuses: a transfer, a small file, a delete.
func startsTransfer(cmd string) bool {
	switch cmd {
	case wire.CmdUploadStart, wire.CmdDownloadStart, wire.CmdPut, wire.CmdGet,
		wire.CmdPutSmall, wire.CmdGetSmall, wire.CmdDelete:
		return true
	}
	return false
}

// counted reports whether cmd belongs to a transfer, for drain to wait
// for: all but the questions a client asks of an idle server.
func counted(cmd string) bool {
	return cmd != wire.CmdPing && cmd != wire.CmdHello
}

// began notes a request of a transfer starting; ended, finishing.
func (s *Server) began() { s.busy.Add(1) }

func (s *Server) ended() {
	s.lastReq.Store(time.Now().UnixNano())
	s.busy.Add(-1)
}

// drain waits, once the server stops accepting, for the transfers in
// flight to finish, at most timeout; it reports whether they did.
func (s *Server) drain(timeout time.Duration) bool {
	s.draining.Store(true)
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		quiet := time.Since(time.Unix(0, s.lastReq.Load())) >= drainQuiet
		if s.busy.Load() == 0 && quiet {
			return true
		}
		if time.Now().After(deadline) || s.hurry.Load() {
			return false
		}
		<-tick.C
	}
}

// Hurry ends a drain under way (or to come) at once: the server stops
// as it would without a ShutdownTimeout (a second Ctrl-C).
func (s *Server) Hurry() { s.hurry.Store(true) }
