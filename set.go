package flaxfile

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// Result describes a finished transfer.
type Result struct {
	// Key and Size of the file.
	Key  string
	Size int64
	// Duration of the transfer, connections included.
	Duration time.Duration
	// Connections and Window used.
	Connections, Window int
	// Checksum of what the server stored: "xxh3-128-blocks:HEX", the file
	// hash both ends computed (FlaxFile 2, and the 1.2 commands with a
	// FlaxFile for Go server when chunks are whole 4 MiB blocks), else
	// "xxh3-128:HEX" when a FlaxFile for Go server verified it against
	// ours, or "sha256:HEX" as a 1.2 server reports it.
	Checksum string
	// Moved is the payload octets that travelled in this call: less than
	// Size when a transfer resumed.
	Moved int64
	// Protocol is the protocol used: "2" or "1.2".
	Protocol string
	// WireSent and WireReceived are the octets the client's connections
	// sent and received on the network while the call ran: payload,
	// requests, replies, framing, encryption and handshakes (other calls
	// on the same Client at the same time count too).
	WireSent, WireReceived int64
}

// SetFile uploads the file at path under key.
func (c *Client) SetFile(ctx context.Context, key, path string) (*Result, error) {
	return c.metered(func() (*Result, error) { return c.setFile(ctx, key, path) })
}

// setFile is SetFile without the traffic count.
func (c *Client) setFile(ctx context.Context, key, path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("flaxfile: %s is not a regular file", path)
	}
	switch {
	case c.v2 && fi.Size() <= wire.MaxSmallFile:
		return c.setSmall(ctx, key, path, fi.Size())
	case c.v2:
		return c.upload2(ctx, key, f, f, fi.Size(), fi.ModTime(), fi.Mode())
	}
	return c.set(ctx, key, f, fi.Size())
}

// setSmall uploads a file of at most wire.MaxSmallFile octets with one
// PUT_SMALL: checked by hash and published in one round trip, where PUT,
// PUT_CHUNK and PUT_END take three (on a long link most of the time a
// small file takes).
func (c *Client) setSmall(ctx context.Context, key, path string, size int64) (*Result, error) {
	if c.opts.Progress != nil {
		c.opts.Progress.Start(key, size)
	}
	var res *Result
	var rerr error
	err := c.putSmall(ctx, []FileSpec{{Key: key, Path: path}}, func(_ FileSpec, r *Result, err error) { res, rerr = r, err })
	switch {
	case err != nil:
		return nil, err
	case rerr != nil:
		return nil, fmt.Errorf("flaxfile: %s: %w", key, rerr)
	case res == nil:
		return nil, fmt.Errorf("%w: no result for %s", ErrProtocol, key)
	}
	return res, nil
}

// Set uploads size octets from src under key. The server publishes the
// file only once every octet has arrived; an error leaves whatever was
// there before. When src is an *os.File, plaintext connections send it
// with sendfile.
func (c *Client) Set(ctx context.Context, key string, src io.ReaderAt, size int64) (*Result, error) {
	return c.metered(func() (*Result, error) { return c.set(ctx, key, src, size) })
}

// set is Set without the traffic count.
func (c *Client) set(ctx context.Context, key string, src io.ReaderAt, size int64) (*Result, error) {
	if c.v2 {
		file, _ := src.(*os.File)
		return c.upload2(ctx, key, src, file, size, time.Time{}, 0)
	}
	return c.set12(ctx, key, src, size)
}
