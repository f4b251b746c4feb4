package zmtp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Router is the server side: it accepts DEALER connections on one
// listener, handshakes each in its own goroutine with a deadline, gives each
// a routing identity and hands it to Accept.
//
// The accept goroutine owns the listener; the peers map is guarded by mu;
// every other field is set by Listen and then only read.
type Router struct {
	ln       net.Listener
	opts     Options
	log      *slog.Logger
	accepted chan *Conn
	slots    chan struct{} // one per handshake in progress
	pmu      sync.Mutex
	pending  []pending     // handshakes in progress, oldest first
	conns    chan struct{} // one per open connection, when MaxConns > 0

	mu     sync.Mutex
	peers  map[string]*Conn
	nextID uint32

	base      context.Context // ends when the router closes
	cancel    context.CancelFunc
	closeOnce sync.Once
	done      chan struct{}
	stopping  atomic.Bool // StopAccepting closed the listener
}

// Listen binds addr ("host:port"; port 0 picks one) and starts accepting.
// logger receives one line per refused or failed connection; nil discards.
func Listen(addr string, opts *Options, logger *slog.Logger) (*Router, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return Serve(ln, opts, logger), nil
}

// Serve is Listen on a listener the caller made.
func Serve(ln net.Listener, opts *Options, logger *slog.Logger) *Router {
	o := opts.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var seed [4]byte
	_, _ = rand.Read(seed[:])
	r := &Router{
		ln:       ln,
		opts:     o,
		log:      logger,
		accepted: make(chan *Conn),
		slots:    make(chan struct{}, o.MaxHandshakes),
		peers:    make(map[string]*Conn),
		nextID:   binary.BigEndian.Uint32(seed[:]),
		done:     make(chan struct{}),
	}
	r.base, r.cancel = context.WithCancel(context.Background())
	if o.MaxConns > 0 {
		r.conns = make(chan struct{}, o.MaxConns)
	}
	go r.acceptLoop()
	return r
}

// Addr returns the address the router listens on.
func (r *Router) Addr() net.Addr { return r.ln.Addr() }

// Accept returns the next connection whose handshake succeeded.
func (r *Router) Accept(ctx context.Context) (*Conn, error) {
	select {
	case c := <-r.accepted:
		return c, nil
	case <-r.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Peer returns the open connection with routing identity id.
func (r *Router) Peer(id []byte) (*Conn, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.peers[string(id)]
	return c, ok
}

// Send sends a message to the peer with routing identity id, or returns
// ErrNoPeer if it has gone.
func (r *Router) Send(ctx context.Context, id []byte, frames ...[]byte) error {
	c, ok := r.Peer(id)
	if !ok {
		return ErrNoPeer
	}
	return c.Send(ctx, frames...)
}

// StopAccepting closes the listener: no connection is accepted after it
// (handshakes under way may still finish); those open stay open until
// Close.
func (r *Router) StopAccepting() {
	r.stopping.Store(true)
	_ = r.ln.Close()
}

// Close stops accepting and closes every connection.
func (r *Router) Close() error {
	r.closeOnce.Do(func() {
		close(r.done)
		r.cancel()
		_ = r.ln.Close()
		r.mu.Lock()
		peers := make([]*Conn, 0, len(r.peers))
		for _, c := range r.peers {
			peers = append(peers, c)
		}
		r.mu.Unlock()
		for _, c := range peers {
			c.Close()
		}
	})
	return nil
}

// acceptLoop is the accept goroutine.
func (r *Router) acceptLoop() {
	for {
		nc, err := r.ln.Accept()
		if err != nil {
			select {
			case <-r.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				if !r.stopping.Load() {
					r.Close()
				}
				return
			}
			r.log.Warn("accept failed", "err", err)
			continue
		}
		if !r.takeSlot() {
			_ = nc.Close()
			return
		}
		if r.conns != nil {
			select {
			case r.conns <- struct{}{}:
			default:
				<-r.slots
				r.log.Warn("refused connection: connection limit reached", "remote", nc.RemoteAddr().String())
				if r.opts.OnRefused != nil {
					r.opts.OnRefused("connections")
				}
				_ = nc.Close()
				continue
			}
		}
		go r.handshake(nc)
	}
}

// pending is a handshake in progress.
type pending struct {
	nc    net.Conn
	since time.Time
}

// takeSlot waits for a handshake slot; false means the router closed.
// While every slot is taken, the oldest handshake gives way once it has
// run for a tenth of the handshake time: connections that never finish
// theirs cannot keep real clients out for the whole handshake time, and
// a burst of real clients waits its turn instead of cutting each other.
func (r *Router) takeSlot() bool {
	giveWay := r.opts.HandshakeTimeout / 10
	for {
		select {
		case r.slots <- struct{}{}:
			return true
		default:
		}
		wait := giveWay
		r.pmu.Lock()
		if len(r.pending) > 0 {
			old := r.pending[0]
			if age := time.Since(old.since); age >= giveWay {
				r.pending = r.pending[1:]
				r.log.Warn("closed the oldest unfinished handshake: too many in progress", "remote", old.nc.RemoteAddr().String())
				_ = old.nc.Close()
				wait = 0
			} else {
				wait = giveWay - age
			}
		}
		r.pmu.Unlock()
		t := time.NewTimer(wait)
		select {
		case r.slots <- struct{}{}:
			t.Stop()
			return true
		case <-t.C:
		case <-r.done:
			t.Stop()
			return false
		}
	}
}

// handshake runs one connection's handshake and hands it to Accept.
func (r *Router) handshake(nc net.Conn) {
	stop := context.AfterFunc(r.base, func() { _ = nc.Close() })
	r.pmu.Lock()
	r.pending = append(r.pending, pending{nc, time.Now()})
	r.pmu.Unlock()
	br, codec, hs, err := handshake(countedConn(nc, r.opts.Traffic), &r.opts, TypeRouter)
	r.pmu.Lock()
	for i, p := range r.pending {
		if p.nc == nc {
			r.pending = append(r.pending[:i], r.pending[i+1:]...)
			break
		}
	}
	r.pmu.Unlock()
	<-r.slots
	if !stop() && err == nil {
		err = ErrClosed
	}
	if err != nil {
		r.releaseConn()
		r.log.Info("handshake failed", "remote", nc.RemoteAddr().String(), "err", err)
		_ = nc.Close()
		return
	}
	c := newConn(nc, br, codec, hs, &r.opts)
	// onClose is set before c becomes visible to Close through the peers
	// map; it reads c.id under r.mu, where register writes it.
	c.onClose = func() {
		r.mu.Lock()
		if r.peers[string(c.id)] == c {
			delete(r.peers, string(c.id))
		}
		r.mu.Unlock()
		r.releaseConn()
	}
	r.register(c, hs)
	c.start()
	select {
	case r.accepted <- c:
	case <-r.done:
		c.Close()
	}
}

// register gives c a routing identity and records it: the Identity the peer
// sent if it is usable and free (RFC 28 lets a peer choose one not starting
// with a zero octet), else %x00 and a 32-bit counter as libzmq assigns.
func (r *Router) register(c *Conn, hs *Handshake) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if want, _ := hs.peerMeta.Get(PropIdentity); len(want) > 0 && want[0] != 0 && len(want) <= 255 {
		if _, taken := r.peers[string(want)]; !taken {
			c.id = append([]byte(nil), want...)
			r.peers[string(c.id)] = c
			return
		}
	}
	for {
		r.nextID++
		id := binary.BigEndian.AppendUint32([]byte{0}, r.nextID)
		if _, taken := r.peers[string(id)]; !taken {
			c.id = id
			r.peers[string(id)] = c
			return
		}
	}
}

// releaseConn frees a connection slot when MaxConns is set.
func (r *Router) releaseConn() {
	if r.conns != nil {
		<-r.conns
	}
}
