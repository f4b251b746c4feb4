package wire

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Partial uploads, for the clients that own them and for administrators
// (issue 19): FlaxFile 2 uploads interrupted and kept for a resume.
const (
	// CmdPartials: [PARTIALS] -> [OK, JSON: a list of PartialInfo]: the
	// partial uploads the client may see (of keys it may write; all of
	// them for an admin key, or on a server without key files), at most
	// MaxPartials, oldest first.
	CmdPartials = "FLAXFILE_PARTIALS"
	// CmdPartialsClear: [PARTIALS_CLEAR, key...] -> [OK, count]: removes
	// the partial uploads of those keys (naming none: every one the
	// client may see), ending their sessions, and says how many.
	CmdPartialsClear = "FLAXFILE_PARTIALS_CLEAR"
	// MaxPartials bounds the entries of a PARTIALS reply.
	MaxPartials = 10000
	// MaxPartialsReply bounds its octets.
	MaxPartialsReply = 4 << 20
)

// PartialInfo is one partial upload in a PARTIALS reply.
type PartialInfo struct {
	ID    string `json:"id"`
	Key   string `json:"key"`
	Size  int64  `json:"size"`     // the file's declared size
	Held  int64  `json:"held"`     // octets the server holds of it
	MTime int64  `json:"mtime_ns"` // when it was last written
}

// ParsePartialsReply reads a PARTIALS reply, refusing one over its
// bounds or with an entry that makes no sense.
func ParsePartialsReply(frames [][]byte) ([]PartialInfo, error) {
	if len(frames) != 2 || status(frames) != ReplyOK {
		return nil, fmt.Errorf("%s answered %q with %d frames", CmdPartials, status(frames), len(frames))
	}
	if len(frames[1]) > MaxPartialsReply {
		return nil, fmt.Errorf("%s reply of %d octets (at most %d)", CmdPartials, len(frames[1]), MaxPartialsReply)
	}
	var out []PartialInfo
	if err := json.Unmarshal(frames[1], &out); err != nil {
		return nil, fmt.Errorf("%s reply: %v", CmdPartials, err)
	}
	if len(out) > MaxPartials {
		return nil, fmt.Errorf("%s reply of %d entries (at most %d)", CmdPartials, len(out), MaxPartials)
	}
	for _, p := range out {
		if p.Key == "" || len(p.Key) > 4096 || len(p.ID) > 64 || p.Size < 0 || p.Held < 0 || p.Size > MaxFileSize {
			return nil, fmt.Errorf("%s reply: an entry that makes no sense (key of %d octets, size %d, held %d)", CmdPartials, len(p.Key), p.Size, p.Held)
		}
	}
	return out, nil
}

// PartialsReply is a PARTIALS reply's frames.
func PartialsReply(list []PartialInfo) [][]byte {
	if list == nil {
		list = []PartialInfo{}
	}
	b, _ := json.Marshal(list)
	return [][]byte{[]byte(ReplyOK), b}
}

// ParseCountReply reads [OK, count], the reply of PARTIALS_CLEAR.
func ParseCountReply(cmd string, frames [][]byte) (int64, error) {
	if len(frames) != 2 || status(frames) != ReplyOK {
		return 0, fmt.Errorf("%s answered %q with %d frames", cmd, status(frames), len(frames))
	}
	n, err := strconv.ParseInt(string(frames[1]), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s answered the count %q", cmd, frames[1])
	}
	return n, nil
}
