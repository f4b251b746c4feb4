package flaxfile

import (
	"context"
	"fmt"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// ServerStatus is what a server says of itself (Status), as FlaxFile 2's
// STATUS carries it (the embedded fields: version, uptime, encryption,
// store, in flight, totals, partial uploads, free space, limits, and the
// open connections for an admin key), plus what the client measured.
// From a FlaxFile 1.2 server only the fields the client could learn
// itself are set (Protocol "1.2", Encryption, Address, RoundTrip), and
// Limited is true.
type ServerStatus struct {
	wire.ServerStatus
	Address   string        `json:"address"`
	RoundTrip time.Duration `json:"round_trip_ns"`
	Cipher    string        `json:"cipher,omitempty"`
	Limited   bool          `json:"limited,omitempty"` // a 1.2 server: it could tell nothing more
}

// Status asks the server what it is and does: its version, uptime,
// encryption, transfers in flight and since it started, partial uploads,
// free space and limits. A FlaxFile 1.2 server cannot say: what the
// client learnt itself comes back, with Limited set.
func (c *Client) Status(ctx context.Context) (*ServerStatus, error) {
	st := &ServerStatus{Address: c.home().addr, Cipher: c.cipher, RoundTrip: time.Duration(c.rtt.Load())}
	if !c.v2 {
		st.Protocol, st.Limited, st.Encryption = "1.2", true, "none"
		if c.cipher != "" {
			st.Encryption = "password"
		}
		return st, nil
	}
	t0 := time.Now()
	r, err := c.request(ctx, wire.Keys{Cmd: wire.CmdStatus})
	if err != nil {
		return nil, err
	}
	defer r.Release()
	c.noteRTT(time.Since(t0))
	if st.ServerStatus, err = wire.ParseStatusReply(r.frames); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	st.RoundTrip = time.Duration(c.rtt.Load())
	return st, nil
}
