package flaxfile

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// Entry is one file on the server.
type Entry struct {
	Key     string
	Size    int64
	ModTime time.Time
	// Hash is XXH3-64 in 16 hex digits, when asked for.
	Hash string
}

// List returns the files under the directory prefix ("" for all): "dir"
// lists dir/…, never a file named dir. withHash asks the server for each
// file's XXH3-64.
func (c *Client) List(ctx context.Context, prefix string, withHash bool) ([]Entry, error) {
	conn, err := c.get(ctx)
	if err != nil {
		return nil, err
	}
	flag := "false"
	if withHash {
		flag = "true"
	}
	r, err := c.call(ctx, conn, wire.CmdList, []byte(prefix), []byte(flag))
	c.release(conn, err)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	if r.cmd() != wire.ReplyOK || len(r.frames) < 2 {
		return nil, fmt.Errorf("%w: LIST answered %q", ErrProtocol, r.cmd())
	}
	var raw []wire.ListEntry
	if err := json.Unmarshal(r.frames[1], &raw); err != nil {
		return nil, fmt.Errorf("%w: LIST reply: %v", ErrProtocol, err)
	}
	out := make([]Entry, len(raw))
	for i, e := range raw {
		sec, frac := math.Modf(e.Mtime)
		out[i] = Entry{Key: e.Key, Size: e.Size, ModTime: time.Unix(int64(sec), int64(frac*1e9)), Hash: e.Hash}
	}
	return out, nil
}

// Delete removes the file or directory under key.
func (c *Client) Delete(ctx context.Context, key string) error {
	conn, err := c.get(ctx)
	if err != nil {
		return err
	}
	r, err := c.call(ctx, conn, wire.CmdDelete, []byte(key))
	c.release(conn, err)
	if err != nil {
		return err
	}
	defer r.Release()
	if r.cmd() != wire.ReplyOK {
		return fmt.Errorf("%w: DELETE answered %q", ErrProtocol, r.cmd())
	}
	return nil
}
