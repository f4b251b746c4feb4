package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// PartialUpload is an interrupted FlaxFile 2 upload a server keeps so
// that it can resume.
type PartialUpload struct {
	ID      string
	Key     string
	Size    int64     // the file's size
	Held    int64     // octets of it the server holds
	ModTime time.Time // when it was last written
}

// errNoPartials refuses the partial-upload commands to a 1.2 server.
var errNoPartials = errors.New("flaxfile: the server speaks FlaxFile 1.2, which keeps no partial uploads")

// Partials lists the partial uploads the server keeps that this client
// may see: of the keys it may write, or every one for an admin key or on
// a server without key files; oldest first.
func (c *Client) Partials(ctx context.Context) ([]PartialUpload, error) {
	if !c.v2 {
		return nil, errNoPartials
	}
	r, err := c.request(ctx, wire.Keys{Cmd: wire.CmdPartials})
	if err != nil {
		return nil, err
	}
	defer r.Release()
	list, err := wire.ParsePartialsReply(r.frames)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	out := make([]PartialUpload, len(list))
	for i, p := range list {
		out[i] = PartialUpload{ID: p.ID, Key: p.Key, Size: p.Size, Held: p.Held, ModTime: time.Unix(0, p.MTime)}
	}
	return out, nil
}

// ClearPartials removes the partial uploads of keys, or, naming none,
// every one the client may see (Partials), and reports how many went.
// An upload still running loses its session and fails.
func (c *Client) ClearPartials(ctx context.Context, keys ...string) (int, error) {
	if !c.v2 {
		return 0, errNoPartials
	}
	r, err := c.request(ctx, wire.Keys{Cmd: wire.CmdPartialsClear, Keys: keys})
	if err != nil {
		return 0, err
	}
	defer r.Release()
	n, err := wire.ParseCountReply(wire.CmdPartialsClear, r.frames)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	return int(n), nil
}
