package flaxfile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// Entry is one file on the server.
type Entry struct {
	Key     string
	Size    int64
	ModTime time.Time
	// Hash is XXH3-64 in 16 hex digits, when asked for (1.2's LIST).
	Hash string
	// Mode is the file's permission bits (FlaxFile 2 servers).
	Mode os.FileMode
	// Sum is the FlaxFile 2 file hash (digest: XXH3-128 of the 4 MiB
	// block hashes) in 32 hex digits, when asked for from Walk.
	Sum string
}

// List returns the files under the directory prefix ("" for all): "dir"
// lists dir/…, never a file named dir. withHash asks the server for each
// file's XXH3-64.
func (c *Client) List(ctx context.Context, prefix string, withHash bool) ([]Entry, error) {
	flag := "false"
	if withHash {
		flag = "true"
	}
	r, err := c.request(ctx, wire.CmdList, []byte(prefix), []byte(flag))
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
	r, err := c.request(ctx, wire.CmdDelete, []byte(key))
	if err != nil {
		return err
	}
	defer r.Release()
	if r.cmd() != wire.ReplyOK {
		return fmt.Errorf("%w: DELETE answered %q", ErrProtocol, r.cmd())
	}
	return nil
}

// listPage is the page size the client asks FlaxFile 2 servers for.
const listPage = 5000

// Walk calls fn for every file under the directory prefix ("" for all),
// in path order, streaming pages from a FlaxFile 2 server so that any
// number of files takes constant memory on both sides; withHash fills in
// each entry's Sum from the server's metadata. Against a 1.2 server it
// lists everything at once (1.2 has no pages) and fills in Hash instead.
// An error from fn stops the walk and is returned.
func (c *Client) Walk(ctx context.Context, prefix string, withHash bool, fn func(Entry) error) error {
	if !c.v2 {
		es, err := c.List(ctx, prefix, withHash)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	}
	conn, err := c.get(ctx)
	if err != nil {
		return err
	}
	hashes := "0"
	if withHash {
		hashes = "1"
	}
	r, err := c.call(ctx, conn, wire.CmdList2, []byte(prefix), []byte(hashes), wire.Itoa(listPage))
	for {
		if err != nil {
			c.release(conn, err)
			return err
		}
		cursor, more, perr := c.page(r, fn)
		r.Release()
		if perr != nil || !more {
			// A listing left open expires on the server.
			c.put(conn)
			return perr
		}
		r, err = c.call(ctx, conn, wire.CmdListNext, []byte(cursor))
	}
}

// page hands the entries of one listing page to fn.
func (c *Client) page(r *reply, fn func(Entry) error) (cursor string, more bool, err error) {
	if r.cmd() != wire.ReplyOK || len(r.frames) < 4 {
		return "", false, fmt.Errorf("%w: %s answered %q", ErrProtocol, wire.CmdList2, r.cmd())
	}
	for _, line := range bytes.Split(r.frames[3], []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var e wire.ListEntry2
		if err := json.Unmarshal(line, &e); err != nil {
			return "", false, fmt.Errorf("%w: listing entry: %v", ErrProtocol, err)
		}
		if err := fn(Entry{Key: e.Key, Size: e.Size, ModTime: time.Unix(0, e.MTime), Mode: os.FileMode(e.Mode), Sum: e.Hash}); err != nil {
			return "", false, err
		}
	}
	return string(r.frames[1]), string(r.frames[2]) == "1", nil
}

// Hashes returns the FlaxFile 2 file hash of each key ("" for a key that
// is missing), from the server's metadata; it needs a FlaxFile 2 server.
func (c *Client) Hashes(ctx context.Context, keys []string) ([]string, error) {
	if !c.v2 {
		return nil, fmt.Errorf("%w: file hashes need a FlaxFile 2 server", ErrProtocol)
	}
	out := make([]string, 0, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), wire.MaxSmallBatch)
		frames := make([][]byte, n)
		for i, k := range keys[:n] {
			frames[i] = []byte(k)
		}
		r, err := c.request(ctx, wire.CmdHashes, frames...)
		if err != nil {
			return nil, err
		}
		if r.cmd() != wire.ReplyOK || len(r.frames) != 1+n {
			r.Release()
			return nil, fmt.Errorf("%w: %s answered %q", ErrProtocol, wire.CmdHashes, r.cmd())
		}
		for _, h := range r.frames[1:] {
			out = append(out, string(h))
		}
		r.Release()
		keys = keys[n:]
	}
	return out, nil
}
