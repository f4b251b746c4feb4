package wire

import (
	"encoding/json"
	"fmt"
)

// CmdStatus: [STATUS] -> [OK, JSON: a ServerStatus]: what a server is and does
// (issue 19). Clients' details (ServerStatus.Clients) go only to an admin key,
// or to every client of a server without key files.
const CmdStatus = "FLAXFILE_STATUS"

// MaxStatusReply bounds a STATUS reply's octets; MaxStatusClients its
// clients.
const (
	MaxStatusReply   = 1 << 20
	MaxStatusClients = 4096
)

// ServerStatus is a STATUS reply.
type ServerStatus struct {
	Version    string         `json:"version"`
	Protocol   string         `json:"protocol"`
	Started    int64          `json:"started_ns"`
	Uptime     float64        `json:"uptime_s"`
	Encryption string         `json:"encryption"` // none, password or key-file
	Store      string         `json:"store"`      // disk, mem, s3…
	InFlight   StatusInFlight `json:"in_flight"`
	Totals     StatusTotals   `json:"totals"`
	Partials   *StatusCount   `json:"partials,omitempty"`   // nil: the store cannot tell
	FreeBytes  *int64         `json:"free_bytes,omitempty"` // nil: the store cannot tell
	Limits     StatusLimits   `json:"limits"`
	Draining   bool           `json:"draining,omitempty"`
	Clients    []StatusClient `json:"clients,omitempty"`
}

// StatusInFlight is what is open now.
type StatusInFlight struct {
	Connections int64 `json:"connections"`
	Uploads     int64 `json:"uploads"`
	Downloads   int64 `json:"downloads"`
}

// StatusTotals counts since the server started.
type StatusTotals struct {
	Uploads     int64 `json:"uploads"`
	Downloads   int64 `json:"downloads"`
	BytesIn     int64 `json:"bytes_in"`
	BytesOut    int64 `json:"bytes_out"`
	Connections int64 `json:"connections"`
}

// StatusCount is a number of things and the octets they hold.
type StatusCount struct {
	Count int64 `json:"count"`
	Bytes int64 `json:"bytes"`
}

// StatusLimits are the server's limits (0: none).
type StatusLimits struct {
	MemoryBytes      int64   `json:"memory_bytes"`
	MaxUploads       int64   `json:"max_uploads"`
	MaxConnections   int64   `json:"max_connections"`
	MaxMessageBytes  int64   `json:"max_message_bytes"`
	BandwidthLimit   int64   `json:"bwlimit"`
	BandwidthPerPeer int64   `json:"bwlimit_per_client"`
	SessionTimeout   float64 `json:"session_timeout_s"`
	PartialExpiry    float64 `json:"partial_expiry_s"`
}

// StatusClient is one open connection.
type StatusClient struct {
	Addr  string  `json:"addr"`
	Key   string  `json:"key,omitempty"` // its public key (Z85), key-file mode
	Since float64 `json:"connected_s"`
}

// ParseStatusReply reads a STATUS reply within its bounds.
func ParseStatusReply(frames [][]byte) (ServerStatus, error) {
	var s ServerStatus
	if len(frames) != 2 || status(frames) != ReplyOK {
		return s, fmt.Errorf("%s answered %q with %d frames", CmdStatus, status(frames), len(frames))
	}
	if len(frames[1]) > MaxStatusReply {
		return s, fmt.Errorf("%s reply of %d octets (at most %d)", CmdStatus, len(frames[1]), MaxStatusReply)
	}
	if err := json.Unmarshal(frames[1], &s); err != nil {
		return s, fmt.Errorf("%s reply: %v", CmdStatus, err)
	}
	if len(s.Clients) > MaxStatusClients {
		return s, fmt.Errorf("%s reply of %d clients (at most %d)", CmdStatus, len(s.Clients), MaxStatusClients)
	}
	return s, nil
}

// StatusReply is a STATUS reply's frames.
func StatusReply(s ServerStatus) [][]byte {
	b, _ := json.Marshal(s)
	return [][]byte{[]byte(ReplyOK), b}
}
