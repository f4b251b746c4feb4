package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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
// stops the connection's share; it comes back as a *lostChunks naming
// the chunks left unanswered.
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
	lost := func(err error) error { // with the chunks left unanswered
		stop()
		mu.Lock()
		defer mu.Unlock()
		return &lostChunks{ids: slices.Sorted(maps.Keys(asked)), err: err}
	}
	for {
		if err := take(); err != nil {
			return lost(err)
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
			return lost(err)
		}
	}
	// Every slot free again: every request answered and handled.
	for range window {
		if err := take(); err != nil {
			return lost(err)
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

// lostChunks is the error of a connection's share that ended with chunks
// unanswered: when the server stopped answering, they may go to another
// connection.
type lostChunks struct {
	ids []int64
	err error
}

func (e *lostChunks) Error() string { return e.err.Error() }
func (e *lostChunks) Unwrap() error { return e.err }

// errSkipPeer ends a connection's share before it took any chunk: the
// server it goes to cannot take part in this transfer (it refused to
// join it), and the others carry on.
var errSkipPeer = errors.New("flaxfile: server left out of the transfer")

// shareFunc runs one connection's share of a transfer: conn goes to
// server via; q hands out its chunks.
type shareFunc func(ctx context.Context, conn *zmtp.Conn, via *peer, q queue) error

// spread runs the chunks todo over up to conns pooled connections, each
// taking the next chunk of its server's run (runs) whenever its window has
// room (so a connection that
// runs faster carries more, and all finish together), and returns the
// first error and how many connections it ran on. It starts on the first
// connection it gets and takes more one at a time while chunks remain to
// be sent: a short transfer ends on the few connections it needed, a long
// one grows to conns (connections dialled ahead, predial, join at once).
// A connection that cannot be had after the first leaves the transfer to
// those it has. A connection whose share ended cleanly goes back to its
// pool; the others, which may still have replies on their way, are
// closed.
//
// Given several servers of one store (spreadPeers), connections are taken
// from each in turn; when one stops answering, it is left alone and the
// chunks its connections had not had answered go to the others (another
// pass, if need be).
func (c *Client) spread(ctx context.Context, conns int, todo []int64, share shareFunc) (int, error) {
	used := 0
	for pass := 0; ; pass++ {
		n, back, err := c.spreadOnce(ctx, conns, todo, share)
		used = max(used, n)
		if err != nil || len(back) == 0 {
			return used, err
		}
		if pass == len(c.peers) {
			return used, fmt.Errorf("%w: %d chunks left after every server was tried", ErrIncomplete, len(back))
		}
		todo = back
	}
}

// spreadOnce is one pass of spread: it returns the chunks that went back
// from servers that stopped answering, for another pass.
func (c *Client) spreadOnce(ctx context.Context, conns int, todo []int64, share shareFunc) (int, []int64, error) {
	active := min(conns, len(todo))
	if active == 0 {
		return 0, nil, nil
	}
	peers := c.spreadPeers()
	if peers[0].down() && len(peers) > 1 {
		peers = peers[1:]
	}
	first, err := c.takeFrom(ctx, peers[0])
	if err != nil {
		return 0, nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	// The chunks, dealt out to each server in runs; chunks given back;
	// and a signal once every chunk is handed out: no connection joins
	// after that.
	all := newRuns(todo, len(peers))
	drained := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var back []int64
	queueOf := func(via *peer) queue {
		return func() (int64, bool) {
			mu.Lock()
			if n := len(back); n > 0 {
				id := back[n-1]
				back = back[:n-1]
				mu.Unlock()
				return id, true
			}
			mu.Unlock()
			id, ok := all.take(via)
			if !ok {
				once.Do(func() { close(drained) })
			}
			return id, ok
		}
	}
	var cs []*zmtp.Conn
	var pools []*connPool
	var clean []bool
	run := func(conn *zmtp.Conn, via *peer) {
		mu.Lock()
		i := len(cs)
		cs, pools, clean = append(cs, conn), append(pools, via.conns), append(clean, false)
		mu.Unlock()
		g.Go(func() error {
			err := share(gctx, conn, via, queueOf(via))
			mu.Lock()
			clean[i] = err == nil
			mu.Unlock()
			if err == nil || !c.canLeave(via, err) {
				return err
			}
			var lc *lostChunks
			if errors.As(err, &lc) {
				mu.Lock()
				back = append(back, lc.ids...)
				mu.Unlock()
			}
			c.opts.Logger.Debug("connection left the transfer", "addr", via.addr, "err", err)
			return nil
		})
	}
	run(first, peers[0])
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
				via := peers[n%len(peers)]
				if via.down() {
					via = peers[0]
				}
				conn, err := c.takeFrom(rctx, via)
				if err != nil && via != peers[0] && rctx.Err() == nil {
					via = peers[0]
					conn, err = c.takeFrom(rctx, via)
				}
				if err != nil {
					return nil // the others carry on
				}
				if rctx.Err() != nil {
					via.conns.give(conn)
					return nil
				}
				run(conn, via)
			}
			return nil
		})
	}
	err = g.Wait()
	// Chunks no connection took, all having left: for the next pass too.
	if err == nil {
		back = append(back, all.rest()...)
	}
	for i, conn := range cs {
		if clean[i] {
			pools[i].give(conn)
		} else {
			conn.Close()
		}
	}
	return len(cs), back, err
}

// takeFrom takes a connection to server via: from a server other than
// the primary, only once it has named the primary's namespace (a server
// that does not answer is marked down).
func (c *Client) takeFrom(ctx context.Context, via *peer) (*zmtp.Conn, error) {
	conn, err := via.conns.take(ctx)
	if err != nil {
		if via != c.home() && transportFailure(err) {
			via.markDown()
		}
		return nil, err
	}
	if via != c.home() && !c.sameStore(ctx, via, conn) {
		via.conns.give(conn)
		return nil, fmt.Errorf("%w: %s does not share the store of %s", errSkipPeer, via.addr, c.home().addr)
	}
	return conn, nil
}

// canLeave reports whether a share on server via that ended with err may
// leave the transfer to the others: via refused to join it, or stopped
// answering while other servers of its store are there to go on (via is
// then left alone for a while).
func (c *Client) canLeave(via *peer, err error) bool {
	if errors.Is(err, errSkipPeer) {
		return true
	}
	if len(c.peers) < 2 || c.namespace == "" || !transportFailure(err) {
		return false
	}
	via.markDown()
	for _, p := range c.peers {
		if !p.down() {
			return true
		}
	}
	return false
}
