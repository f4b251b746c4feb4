package flaxfile

import (
	"context"
	"fmt"

	"github.com/flaxfile/flaxfile/internal/zmtp"
	"golang.org/x/sync/errgroup"
)

// stripe returns the chunk ids connection i of n owns: i, i+n, i+2n, …
// below total, as 1.2 stripes them.
func stripe(i, n int, total int64) []int64 {
	var ids []int64
	for id := int64(i); id < total; id += int64(n) {
		ids = append(ids, id)
	}
	return ids
}

// windowed runs one connection's share of a transfer: send(id) for each of
// ids with at most window requests unanswered, while a receiver hands each
// reply to handle, which returns the chunk id it answers. Replies may come
// in any order; an id that was not asked for, or is answered twice, is a
// protocol error, and any error stops the connection's share.
func (c *Client) windowed(ctx context.Context, conn *zmtp.Conn, ids []int64, window int,
	send func(id int64) error, handle func(r *reply) (int64, error)) error {
	if len(ids) == 0 {
		return nil
	}
	index := make(map[int64]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	slots := make(chan struct{}, window)
	recvErr := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		answered := make([]bool, len(ids))
		for n := 0; n < len(ids); n++ {
			r, err := c.recv(ctx, conn)
			if err != nil {
				recvErr <- err
				return
			}
			id, err := handle(r)
			r.Release()
			if err != nil {
				recvErr <- err
				return
			}
			i, ok := index[id]
			if !ok || answered[i] {
				recvErr <- fmt.Errorf("%w: unexpected reply for chunk %d", ErrProtocol, id)
				return
			}
			answered[i] = true
			<-slots
		}
		recvErr <- nil
	}()
	for _, id := range ids {
		select {
		case slots <- struct{}{}:
		case err := <-recvErr:
			if err == nil {
				err = fmt.Errorf("%w: replies ended early", ErrProtocol)
			}
			return err
		}
		if err := send(id); err != nil {
			return err
		}
	}
	return <-recvErr
}

// spread runs the chunks todo over up to conns pooled connections, each
// taking every conns-th one, and returns the first error. A connection
// whose share ended cleanly goes back to the pool; the others, which may
// still have replies on their way, are closed.
func (c *Client) spread(ctx context.Context, conns int, todo []int64, share func(ctx context.Context, conn *zmtp.Conn, ids []int64) error) error {
	active := min(conns, len(todo))
	cs, err := c.getN(ctx, active)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	clean := make([]bool, active)
	for i, conn := range cs {
		var mine []int64
		for k := i; k < len(todo); k += active {
			mine = append(mine, todo[k])
		}
		g.Go(func() error {
			err := share(gctx, conn, mine)
			clean[i] = err == nil
			return err
		})
	}
	err = g.Wait()
	for i, conn := range cs {
		if clean[i] {
			c.put(conn)
		} else {
			conn.Close()
		}
	}
	return err
}
