package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// connPool holds a client's connections between requests: the idle ones,
// those being dialled in the background, and those lent to an answer
// nobody waits for. Transfers take connections from it and give them
// back; it knows nothing of what they carry.
type connPool struct {
	addr string
	dial func(context.Context) (*zmtp.Conn, error) // a new, checked connection

	mu      sync.Mutex
	idle    []*zmtp.Conn
	dialing int                     // dials under way in the background
	changed chan struct{}           // closed (and replaced) when a dial ends or a connection comes back
	lent    map[*zmtp.Conn]struct{} // awaiting answers nobody waits for
	closed  bool
}

// predial starts dialling, in the background, the connections beyond the
// idle ones that a transfer over n connections will take, so that their
// handshakes overlap the request that opens the transfer instead of
// following it. Connections dialled join the pool; a failed dial is left
// for the transfer's own dial to meet and report.
func (p *connPool) predial(ctx context.Context, n int) {
	p.mu.Lock()
	k := n - len(p.idle) - p.dialing - len(p.lent)
	if p.closed || k <= 0 {
		p.mu.Unlock()
		return
	}
	p.dialing += k
	p.mu.Unlock()
	for range k {
		go func() {
			conn, err := p.dial(ctx)
			p.mu.Lock()
			defer p.mu.Unlock()
			p.dialing--
			switch {
			case err != nil:
			case p.closed:
				conn.Close()
			default:
				p.idle = append(p.idle, conn)
			}
			p.changedLocked()
		}()
	}
}

// take takes an idle connection, waits for one being dialled in the
// background or lent (soon back), or dials a new one.
func (p *connPool) take(ctx context.Context) (*zmtp.Conn, error) {
	p.mu.Lock()
	for {
		if p.closed {
			p.mu.Unlock()
			return nil, errors.New("flaxfile: client closed")
		}
		for len(p.idle) > 0 {
			conn := p.idle[len(p.idle)-1]
			p.idle = p.idle[:len(p.idle)-1]
			if conn.Err() == nil {
				p.mu.Unlock()
				return conn, nil
			}
		}
		if p.dialing == 0 && len(p.lent) == 0 {
			break
		}
		if p.changed == nil {
			p.changed = make(chan struct{})
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("flaxfile: connecting to %s: %w", p.addr, ctx.Err())
		}
		p.mu.Lock()
	}
	p.mu.Unlock()
	return p.dial(ctx)
}

// takeN takes n connections, dialling the missing ones in parallel.
func (p *connPool) takeN(ctx context.Context, n int) ([]*zmtp.Conn, error) {
	conns := make([]*zmtp.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { conns[i], errs[i] = p.take(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		if err == nil {
			continue
		}
		for _, conn := range conns {
			if conn != nil {
				p.give(conn)
			}
		}
		return nil, err
	}
	return conns, nil
}

// lend records conn as busy with an answer nobody waits for, so that
// close closes it; it reports false, having closed conn, when the pool is
// closed already.
func (p *connPool) lend(conn *zmtp.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		conn.Close()
		return false
	}
	if p.lent == nil {
		p.lent = make(map[*zmtp.Conn]struct{})
	}
	p.lent[conn] = struct{}{}
	return true
}

// unlend ends what lend recorded: conn comes back after a request that
// ended with err, or is closed.
func (p *connPool) unlend(conn *zmtp.Conn, err error) {
	p.mu.Lock()
	delete(p.lent, conn)
	keep := reusable(err) && !p.closed && conn.Err() == nil
	if keep {
		p.idle = append(p.idle, conn) // before waiters wake
	}
	p.changedLocked()
	p.mu.Unlock()
	if !keep {
		conn.Close()
	}
}

// give returns a connection with no request outstanding.
func (p *connPool) give(conn *zmtp.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || conn.Err() != nil {
		conn.Close()
		return
	}
	p.idle = append(p.idle, conn)
	p.changedLocked()
}

// changedLocked wakes those waiting in take for a dial under way.
func (p *connPool) changedLocked() {
	if p.changed != nil {
		close(p.changed)
		p.changed = nil
	}
}

// giveAll returns the connections of a transfer whose share ended cleanly
// (clean[i]) and closes the others, whose replies may still be on their
// way.
func (p *connPool) giveAll(conns []*zmtp.Conn, clean []bool) {
	for i, conn := range conns {
		if clean[i] {
			p.give(conn)
		} else {
			conn.Close()
		}
	}
}

// settle returns conn after a request that ended with err, or closes it
// when a reply may still be on its way.
func (p *connPool) settle(conn *zmtp.Conn, err error) {
	if reusable(err) {
		p.give(conn)
		return
	}
	conn.Close()
}

// close closes every connection the pool holds or has lent; those taken
// close with their transfers.
func (p *connPool) close() {
	p.mu.Lock()
	idle := p.idle
	for conn := range p.lent {
		idle = append(idle, conn)
	}
	p.idle, p.lent, p.closed = nil, nil, true
	p.mu.Unlock()
	for _, conn := range idle {
		conn.Close()
	}
}

// reusable reports whether a connection whose request ended with err has
// nothing more on its way: it succeeded, or the server answered ERROR.
func reusable(err error) bool {
	var se *ServerError
	return err == nil || errors.As(err, &se)
}
