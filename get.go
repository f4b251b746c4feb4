package flaxfile

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// GetFile downloads key to path. Parent directories are created; the data
// goes to a temporary file beside path that is renamed over it only when
// every octet has arrived, so path is never left half-written.
func (c *Client) GetFile(ctx context.Context, key, path string) (*Result, error) {
	return c.metered(func() (*Result, error) { return c.getFile(ctx, FileSpec{Key: key, Path: path}) })
}

// getFile is GetFile of a FileSpec, written beneath its Dir.
func (c *Client) getFile(ctx context.Context, f FileSpec) (*Result, error) {
	key, path := f.Key, f.Path
	if c.v2 {
		failovers := 0
		for attempt := 1; ; attempt++ {
			res, err := c.download2(ctx, f)
			if err != nil && failovers < len(c.peers) && c.failover(ctx, err) {
				// Another server of the store goes on with it, from
				// the blocks the partial file holds.
				failovers++
				attempt--
				continue
			}
			if err == nil || attempt == maxReplacedGets || !replacedWhileRead(err) {
				return res, err
			}
			c.opts.Logger.Debug("the file was replaced while it was read; getting it again", "key", key)
		}
	}
	var res *Result
	err := writeAside(dirFor(f), path, 0o666&^c.umask, time.Time{}, func(tmp *os.File) error {
		var err error
		if res, err = c.get12(ctx, key, tmp); err != nil {
			return err
		}
		return tmp.Truncate(res.Size)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// maxReplacedGets bounds how often getFile starts again because the file
// was replaced while it was read.
const maxReplacedGets = 3

// replacedWhileRead reports whether err is a server's refusal to go on
// reading a file because it was replaced meanwhile (wire.Replaced).
func replacedWhileRead(err error) bool {
	se := (*ServerError)(nil)
	return errors.As(err, &se) && strings.Contains(se.Message, wire.Replaced)
}

// Get downloads key into dst, each chunk written at its offset as it
// arrives, over several connections with a window of requests each.
func (c *Client) Get(ctx context.Context, key string, dst io.WriterAt) (*Result, error) {
	return c.metered(func() (*Result, error) { return c.get12(ctx, key, dst) })
}
