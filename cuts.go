package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/flaxfile/flaxfile/internal/cdc"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// Shifted data, both directions: whether building a block from the other
// version pays, cuts made while other work goes on, and asking the
// server for its file's cuts.

// buildPays reports whether building a block by steps saves enough to be
// worth it over sending it whole: it copies some octets and at most three
// quarters of it are new (changedRuns' rule).
func buildPays(steps []cdc.Op) bool {
	if len(steps) == 0 {
		return false
	}
	n := steps[len(steps)-1].Off + steps[len(steps)-1].N - steps[0].Off
	copied := cdc.Copied(steps)
	return copied > 0 && n-copied <= n/4*3
}

// cutsFuture is cuts being made while other work goes on: the server's
// (PUT_CUTS, GET_CUTS) while the client hashes, ours while it waits.
type cutsFuture struct {
	done   chan struct{}
	chunks []cdc.Chunk
	err    error
}

// later runs f on a goroutine of its own.
func later(f func() ([]cdc.Chunk, error)) *cutsFuture {
	cf := &cutsFuture{done: make(chan struct{})}
	go func() {
		defer close(cf.done)
		cf.chunks, cf.err = f()
	}()
	return cf
}

// wait returns what f made.
func (f *cutsFuture) wait() ([]cdc.Chunk, error) {
	<-f.done
	return f.chunks, f.err
}

// cutAll cuts [0, size) of r.
func cutAll(ctx context.Context, r io.ReaderAt, size int64) ([]cdc.Chunk, error) {
	var out []cdc.Chunk
	err := cdc.Cut(ctx, r, 0, size, func(ch cdc.Chunk) error { out = append(out, ch); return nil })
	return out, err
}

// cuts2 asks for the cuts of a file (PUT_CUTS or GET_CUTS); size, unless
// negative, is the size the file must have. A server that refuses (a file
// too large to cut) gives none.
func (c *Client) cuts2(ctx context.Context, req wire.Request, size int64) ([]cdc.Chunk, error) {
	r, err := c.request(ctx, req)
	if err != nil {
		if se := (*ServerError)(nil); errors.As(err, &se) {
			c.opts.Logger.Debug("no cuts", "err", err)
			return nil, nil
		}
		return nil, err
	}
	defer r.Release()
	rep, err := wire.ParseCutsReply(r.frames, req.Command())
	if err == nil && size >= 0 && rep.Size != size {
		err = fmt.Errorf("%s answered cuts of a %d-octet file, want %d", req.Command(), rep.Size, size)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	return rep.Chunks, nil
}
