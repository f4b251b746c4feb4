package flaxfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
// file's XXH3-64. At most Options.MaxListEntries entries are accepted.
func (c *Client) List(ctx context.Context, prefix string, withHash bool) ([]Entry, error) {
	var out []Entry
	err := c.list12(ctx, prefix, withHash, func(e Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// list12 is 1.2's LIST: the whole listing in one JSON reply, decoded one
// entry at a time, so that what it costs is the reply itself (bounded by
// the message limit) and the entries fn keeps.
func (c *Client) list12(ctx context.Context, prefix string, withHash bool, fn func(Entry) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.ListTimeout)
	defer cancel()
	r, err := c.request(ctx, wire.List{Prefix: prefix, WithHash: withHash})
	if err != nil {
		return listError(ctx, err)
	}
	defer r.Release()
	lr, err := wire.ParseListReply(r.frames)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	dec := json.NewDecoder(bytes.NewReader(lr.Entries))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return fmt.Errorf("%w: LIST reply is not a JSON array", ErrProtocol)
	}
	var n int64
	for dec.More() {
		var e wire.ListEntry
		if err := dec.Decode(&e); err != nil {
			return fmt.Errorf("%w: LIST reply: %v", ErrProtocol, err)
		}
		if n++; n > c.opts.MaxListEntries {
			return fmt.Errorf("%w: LIST holds more than %d entries (Options.MaxListEntries)", ErrProtocol, c.opts.MaxListEntries)
		}
		if err := c.checkEntry(wire.CmdList, e.Key, e.Size); err != nil {
			return err
		}
		sec, frac := math.Modf(e.Mtime)
		if err := fn(Entry{Key: e.Key, Size: e.Size, ModTime: time.Unix(int64(sec), int64(frac*1e9)), Hash: e.Hash}); err != nil {
			return err
		}
	}
	return nil
}

// checkEntry refuses a listing entry without a key or with a size beyond
// the client's limit.
func (c *Client) checkEntry(cmd, key string, size int64) error {
	if key == "" || len(key) > 4*wire.MaxFileKeyLen {
		return fmt.Errorf("%w: %s lists an entry with a key of %d octets", ErrProtocol, cmd, len(key))
	}
	return c.checkSize(cmd, size)
}

// listError reports a listing stopped by its own deadline as a timeout.
func listError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: the listing took longer than its limit (Options.ListTimeout)", ErrTimeout)
	}
	return err
}

// Delete removes the file or directory under key.
func (c *Client) Delete(ctx context.Context, key string) error {
	r, err := c.request(ctx, wire.Delete{Key: key})
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
// An error from fn stops the walk and is returned. A listing is bounded
// by Options.MaxListEntries and, all pages together, Options.ListTimeout.
//
// Given several servers of one store, a listing whose server stops
// answering before it has handed fn any entry starts again through the
// server that takes its place; one that has handed some fails.
func (c *Client) Walk(ctx context.Context, prefix string, withHash bool, fn func(Entry) error) error {
	if !c.v2 {
		return c.list12(ctx, prefix, withHash, fn)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.ListTimeout)
	defer cancel()
	handed := false
	counted := func(e Entry) error {
		handed = true
		return fn(e)
	}
	for tries := 0; ; tries++ {
		err := c.walk2(ctx, prefix, withHash, counted)
		if err == nil || handed || tries == len(c.peers) || !c.failover(ctx, err) {
			return err
		}
	}
}

// walk2 is one FlaxFile 2 listing, page by page, through the primary.
func (c *Client) walk2(ctx context.Context, prefix string, withHash bool, fn func(Entry) error) error {
	pool := c.pool() // the connections go back where they came from
	conn, err := pool.take(ctx)
	if err != nil {
		return listError(ctx, err)
	}
	var n, octets int64
	r, err := c.call(ctx, conn, wire.List2{Prefix: prefix, Hashes: withHash, Page: listPage})
	for {
		if err != nil {
			pool.settle(conn, err)
			return listError(ctx, err)
		}
		if octets += r.m.Size(); octets > c.opts.MaxListBytes {
			r.Release()
			pool.give(conn)
			return fmt.Errorf("%w: the listing is larger than %d octets (Options.MaxListBytes)", ErrProtocol, c.opts.MaxListBytes)
		}
		cursor, more, perr := c.page(r, &n, fn)
		r.Release()
		if perr != nil || !more {
			// A listing left open expires on the server.
			pool.give(conn)
			return perr
		}
		r, err = c.call(ctx, conn, wire.ListNext{Cursor: cursor})
	}
}

// page hands the entries of one listing page to fn; n counts the entries
// of the whole listing.
func (c *Client) page(r *reply, n *int64, fn func(Entry) error) (cursor string, more bool, err error) {
	pg, err := wire.ParseListPage(r.frames)
	if err != nil {
		return "", false, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	more = pg.More
	got := 0
	for _, line := range bytes.Split(pg.Entries, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		e, err := wire.ParseListEntry2(line)
		if err != nil {
			return "", false, fmt.Errorf("%w: listing entry: %v", ErrProtocol, err)
		}
		if *n++; *n > c.opts.MaxListEntries {
			return "", false, fmt.Errorf("%w: the listing holds more than %d entries (Options.MaxListEntries)", ErrProtocol, c.opts.MaxListEntries)
		}
		if err := c.checkEntry(wire.CmdList2, e.Key, e.Size); err != nil {
			return "", false, err
		}
		got++
		if err := fn(Entry{Key: e.Key, Size: e.Size, ModTime: time.Unix(0, e.MTime), Mode: os.FileMode(e.Mode), Sum: e.Hash}); err != nil {
			return "", false, err
		}
	}
	if more && got == 0 {
		return "", false, fmt.Errorf("%w: a listing page without entries says more follow", ErrProtocol)
	}
	return pg.Cursor, more, nil
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
		r, err := c.request(ctx, wire.Keys{Cmd: wire.CmdHashes, Keys: keys[:n]})
		if err != nil {
			return nil, err
		}
		hr, err := wire.ParseHashesReply(r.frames, n)
		r.Release()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		out = append(out, hr.Sums...)
		keys = keys[n:]
	}
	return out, nil
}
