package flaxfile

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// ServerStatus is what a server says of itself (Status), as FlaxFile 2's
// STATUS carries it, plus what the client measured. From a FlaxFile 1.2
// server only the fields the client could learn itself are set
// (Protocol "1.2", Encryption, Address, RoundTrip), and Limited is true.
type ServerStatus struct {
	Version    string  `json:"version,omitempty"`
	Protocol   string  `json:"protocol"`
	StartedNs  int64   `json:"started_ns,omitempty"`
	Uptime     float64 `json:"uptime_s,omitempty"`
	Encryption string  `json:"encryption"` // none, password or key-file
	Store      string  `json:"store,omitempty"`
	InFlight   struct {
		Connections int64 `json:"connections"`
		Uploads     int64 `json:"uploads"`
		Downloads   int64 `json:"downloads"`
	} `json:"in_flight"`
	Totals struct {
		Uploads     int64 `json:"uploads"`
		Downloads   int64 `json:"downloads"`
		BytesIn     int64 `json:"bytes_in"`
		BytesOut    int64 `json:"bytes_out"`
		Connections int64 `json:"connections"`
	} `json:"totals"`
	// Partials counts the partial uploads kept, nil when the server
	// cannot tell; FreeBytes likewise.
	Partials *struct {
		Count int64 `json:"count"`
		Bytes int64 `json:"bytes"`
	} `json:"partials,omitempty"`
	FreeBytes *int64 `json:"free_bytes,omitempty"`
	Limits    struct {
		MemoryBytes      int64   `json:"memory_bytes"`
		MaxUploads       int64   `json:"max_uploads"`
		MaxConnections   int64   `json:"max_connections"`
		MaxMessageBytes  int64   `json:"max_message_bytes"`
		BandwidthLimit   int64   `json:"bwlimit"`
		BandwidthPerPeer int64   `json:"bwlimit_per_client"`
		SessionTimeout   float64 `json:"session_timeout_s"`
		PartialExpiry    float64 `json:"partial_expiry_s"`
	} `json:"limits"`
	Draining bool `json:"draining,omitempty"`
	// Clients lists the open connections; only for an admin key, or on
	// a server without key files.
	Clients []struct {
		Addr  string  `json:"addr"`
		Key   string  `json:"key,omitempty"`
		Since float64 `json:"connected_s"`
	} `json:"clients,omitempty"`

	// Measured by the client.
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
	if _, err := wire.ParseStatusReply(r.frames); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if err := json.Unmarshal(r.frames[1], st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	st.RoundTrip = time.Duration(c.rtt.Load())
	return st, nil
}
