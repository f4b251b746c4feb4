package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

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

// queue hands out chunk ids, each once; false means none is left.
type queue func() (int64, bool)

// newQueue hands out ids in order, to one connection or to any number at
// once.
func newQueue(ids []int64) queue {
	var next atomic.Int64
	return func() (int64, bool) {
		i := next.Add(1) - 1
		if i >= int64(len(ids)) {
			return 0, false
		}
		return ids[i], true
	}
}

// windowed runs one connection's share of a transfer: send(id) for each id
// it takes from q, taking the next whenever fewer than window requests are
// unanswered, while a receiver hands each reply to handle, which returns
// the chunk id it answers. Replies may come in any order; an id that was
// not asked for, or is answered twice, is a protocol error, and any error
// stops the connection's share.
func (c *Client) windowed(ctx context.Context, conn *zmtp.Conn, q queue, window int,
	send func(id int64) error, handle func(r *reply) (int64, error)) error {
	var mu sync.Mutex
	asked := make(map[int64]bool) // sent and not yet answered
	slots := make(chan struct{}, window)
	recvErr := make(chan error, 1)
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		for {
			r, err := c.recv(rctx, conn)
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
			mu.Lock()
			ok := asked[id]
			delete(asked, id)
			mu.Unlock()
			if !ok {
				recvErr <- fmt.Errorf("%w: unexpected reply for chunk %d", ErrProtocol, id)
				return
			}
			<-slots
		}
	}()
	take := func() error { // a slot in the window
		select {
		case slots <- struct{}{}:
			return nil
		case err := <-recvErr:
			return err
		}
	}
	for {
		if err := take(); err != nil {
			return err
		}
		id, ok := q()
		if !ok {
			<-slots
			break
		}
		mu.Lock()
		asked[id] = true
		mu.Unlock()
		if err := send(id); err != nil {
			return err
		}
	}
	// Every slot free again: every request answered and handled.
	for range window {
		if err := take(); err != nil {
			return err
		}
	}
	stop()
	// The receiver, stopped waiting for more; anything else it met (a
	// reply nobody asked for) is an error.
	if err := <-recvErr; !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// spread runs the chunks todo over up to conns pooled connections, each
// taking the next chunk whenever its window has room (so a connection that
// runs faster carries more, and all finish together), and returns the
// first error and how many connections it ran on. It starts on the first
// connection it gets and takes more one at a time while chunks remain to
// be sent: a short transfer ends on the few connections it needed, a long
// one grows to conns (connections dialled ahead, predial, join at once). A connection that cannot be had
// after the first leaves the transfer to those it has. A connection whose
// share ended cleanly goes back to the pool; the others, which may still
// have replies on their way, are closed.
func (c *Client) spread(ctx context.Context, conns int, todo []int64, share func(ctx context.Context, conn *zmtp.Conn, q queue) error) (int, error) {
	active := min(conns, len(todo))
	if active == 0 {
		return 0, nil
	}
	first, err := c.conns.take(ctx)
	if err != nil {
		return 0, err
	}
	g, gctx := errgroup.WithContext(ctx)
	// The queue, and a signal once it has handed out every chunk: no
	// connection joins after that.
	all := newQueue(todo)
	drained := make(chan struct{})
	var once sync.Once
	q := func() (int64, bool) {
		id, ok := all()
		if !ok {
			once.Do(func() { close(drained) })
		}
		return id, ok
	}
	var mu sync.Mutex
	var cs []*zmtp.Conn
	var clean []bool
	run := func(conn *zmtp.Conn) {
		mu.Lock()
		i := len(cs)
		cs, clean = append(cs, conn), append(clean, false)
		mu.Unlock()
		g.Go(func() error {
			err := share(gctx, conn, q)
			mu.Lock()
			clean[i] = err == nil
			mu.Unlock()
			return err
		})
	}
	run(first)
	if active > 1 {
		rctx, stop := context.WithCancel(gctx)
		go func() {
			select {
			case <-drained:
			case <-rctx.Done():
			}
			stop()
		}()
		g.Go(func() error {
			defer stop()
			for n := 1; n < active; n++ {
				conn, err := c.conns.take(rctx)
				if err != nil {
					return nil // the others carry on
				}
				if rctx.Err() != nil {
					c.conns.give(conn)
					return nil
				}
				run(conn)
			}
			return nil
		})
	}
	err = g.Wait()
	c.conns.giveAll(cs, clean)
	return len(cs), err
}
