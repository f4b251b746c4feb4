// Package server is the FlaxFile server: one ROUTER port, the commands of
// FlaxFile 1.2 with their exact replies, files kept in a store.Store.
//
// # Fixes over 1.2
//
// Uploads are written aside and published atomically only when every
// declared octet has arrived and the last socket of the session has sent
// UPLOAD_END; chunks are written at their offsets as they come, so memory
// does not grow with reordering; ACKs are sent after the write. Downloads
// read from the version opened at DOWNLOAD_START, in the chunk size it
// agreed. The root key is refused; idle sessions expire and leave nothing.
//
// # Memory
//
// Received messages are bounded by Config.MemoryLimit (a zmtp.Budget
// shared by every connection, counting every frame) plus one message that
// overdraws it and a few KiB per connection; encrypted downloads take
// their file buffers from the same budget. Chunks that arrive before their
// session's chunk size is known are held apart: at most two per session
// and MemoryLimit in all. Everything else a client sends waits in kernel
// socket buffers.
//
// # Files
//
// server.go (Config, Serve, one goroutine per connection), dispatch.go
// (a request, its reply, the command table), authorize.go (key-file
// rights), table.go (the one table of everything clients name by id:
// references, idle expiry, close), room.go (session and space limits),
// filehash.go and meta.go (the hashes recorded with a file), delete.go.
// FlaxFile 1.2's commands are in v12_*.go (upload sessions: table,
// chunks, finish, handlers; downloads; LIST), FlaxFile 2's in v2_*.go
// (HELLO and PUT, the put sessions and their table, GET, LIST, batches of
// small files).
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flaxfile/flaxfile/internal/auth"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// Defaults for Config fields left at zero.
const (
	DefaultSessionTimeout  = 300 * time.Second
	DefaultPartialExpiry   = 24 * time.Hour
	DefaultMaxConns        = 4096
	DefaultMaxSessions     = 1024
	DefaultMemoryLimit     = 64 << 20
	DefaultHandlersPerConn = 16
	// DefaultMessageIdleTimeout ends a connection silent for this long
	// in the middle of a request: what the request holds of the memory
	// budget is given back.
	DefaultMessageIdleTimeout = 30 * time.Second
	// DefaultMaxMessageSize admits 1.2's largest chunk (32 MiB) with room
	// to spare.
	DefaultMaxMessageSize = 64<<20 + 64<<10
)

// Config configures a Server. Zero fields take the documented defaults.
type Config struct {
	// Store keeps the files; required.
	Store store.Store
	// Mechanism secures connections: nil for NULL (plaintext), a
	// curve.Server for CURVE.
	Mechanism zmtp.Mechanism
	// Access, when not nil, gives each client key its rights (key-file
	// mode); Mechanism must then be a curve.Server whose Authorize
	// consults the same list, so that unknown keys cannot connect.
	Access *auth.List
	// Logger gets one line per event; nil discards.
	Logger *slog.Logger
	// SessionTimeout is how long an upload session may sit idle before it
	// is dropped with its partial file.
	SessionTimeout time.Duration
	// PartialExpiry is how long the partial file of an interrupted
	// FlaxFile 2 upload is kept for a resume.
	PartialExpiry time.Duration
	// MemoryLimit bounds received chunk data held at once.
	MemoryLimit int64
	// NoSync publishes uploads without fsync: faster, less safe.
	NoSync bool
	// MaxConns bounds open connections; zero means DefaultMaxConns.
	MaxConns int
	// MaxSessions bounds the uploads open at once (1.2 sessions and
	// FlaxFile 2 uploads together); zero means DefaultMaxSessions.
	MaxSessions int
	// HandshakeTimeout bounds each connection's handshake.
	HandshakeTimeout time.Duration
	// MaxMessageSize bounds one request.
	MaxMessageSize int64
	// MessageIdleTimeout ends a connection on which nothing arrives for
	// this long in the middle of a request; zero means
	// DefaultMessageIdleTimeout.
	MessageIdleTimeout time.Duration
	// HandlersPerConn bounds the requests of one connection handled at
	// once (1.2 runs every request as its own task, so replies may come
	// out of order; clients match them by chunk id).
	HandlersPerConn int
	// ShutdownTimeout is how long a server told to stop (Serve's context
	// ending) lets the transfers in flight finish, accepting no
	// connection and starting no transfer meanwhile; zero stops at once.
	// Either way, uploads not finished are kept for a resume.
	ShutdownTimeout time.Duration
	// BandwidthLimit, when positive, holds all transfers together to that
	// many payload octets a second; BandwidthLimitPerClient each client's
	// (its key in key-file mode, else its IP address).
	BandwidthLimit, BandwidthLimitPerClient int64
	// Observer, when not nil, is told of transfers, refusals and store
	// operations (metrics).
	Observer Observer
	// Version and StoreKind (disk, mem, s3…) are what STATUS says the
	// server and its store are; Keyed, that clients prove keys (key-file
	// mode) rather than a password.
	Version, StoreKind string
	Keyed              bool
	// AccessLog, when not nil, gets one line per finished transfer and
	// per refused request (SetAccessLog replaces it while the server
	// runs).
	AccessLog *slog.Logger
}

// Stats counts what a server did.
type Stats struct {
	Uploads, BytesUploaded     int64
	Downloads, BytesDownloaded int64
	Lists, Deletes             int64
	Connections                int64
	// OpenHandles counts the FlaxFile 2 download handles open now (GET
	// until GET_END, or until they expire); HandlesOpened all there were.
	OpenHandles, HandlesOpened int64
	// OpenConnections and OpenUploads count what is open now (uploads of
	// both protocols); BudgetInUse is the memory budget held, of
	// BudgetLimit; Draining, that the server is stopping.
	OpenConnections, OpenUploads int64
	BudgetInUse, BudgetLimit     int64
	Draining                     bool
	// MaxUploads is the limit of OpenUploads (Config.MaxSessions).
	MaxUploads int64
}

// Server serves FlaxFile clients.
type Server struct {
	cfg       Config
	flushes   *groupSync // syncfs shared by concurrent batches
	log       *slog.Logger
	budget    *zmtp.Budget
	pool      *zmtp.Pool
	uploads   *uploadTable
	puts      *putTable
	gets      *table[store.Object]
	listings  *table[*listing]
	downloads *downloadTable

	uploadsDone, bytesUp       atomic.Int64
	downloadsDone, bytesDown   atomic.Int64
	lists, deletes, connsTotal atomic.Int64

	draining  atomic.Bool  // stopping: no transfer starts (drain.go)
	busy      atomic.Int64 // requests of transfers in progress
	lastReq   atomic.Int64 // when the last of them ended, in Unix nanoseconds
	hurry     atomic.Bool  // Hurry was called
	paces     *paces       // bandwidth limits; nil: none
	obs       Observer     // Config.Observer, or one that observes nothing
	openGets  openGets     // FlaxFile 2 download handles, for obs
	conns     atomic.Int64 // connections open now
	openConns openConns    // the same, for STATUS
	started   time.Time

	accessLogger atomic.Pointer[slog.Logger] // Config.AccessLog, or what replaced it
	timeouts     atomic.Pointer[timeouts]    // SessionTimeout, PartialExpiry in force
}

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: no store")
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = DefaultSessionTimeout
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.PartialExpiry <= 0 {
		cfg.PartialExpiry = DefaultPartialExpiry
	}
	if cfg.MemoryLimit <= 0 {
		cfg.MemoryLimit = DefaultMemoryLimit
	}
	if cfg.HandlersPerConn <= 0 {
		cfg.HandlersPerConn = DefaultHandlersPerConn
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.MessageIdleTimeout <= 0 {
		cfg.MessageIdleTimeout = DefaultMessageIdleTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, budget: zmtp.NewBudget(cfg.MemoryLimit), pool: zmtp.NewBufferPool(poolRetain(cfg.MemoryLimit))}
	s.started = time.Now()
	s.accessLogger.Store(cfg.AccessLog)
	s.timeouts.Store(&timeouts{session: cfg.SessionTimeout, partialExpiry: cfg.PartialExpiry})
	s.obs = cfg.Observer
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	if cfg.BandwidthLimit > 0 || cfg.BandwidthLimitPerClient > 0 {
		s.paces = newPaces(cfg.BandwidthLimit, cfg.BandwidthLimitPerClient)
	}
	s.pool.AfterIdle = debug.FreeOSMemory // an idle server goes back to its base
	s.pool.AfterDrop = debug.FreeOSMemory // and one whose buffers change size
	s.uploads = newUploadTable(cfg.Store, log, zmtp.NewBudget(cfg.MemoryLimit))
	s.puts = newPutTable(cfg.Store, log)
	s.uploads.room = s.sessionRoom
	s.puts.room = s.sessionRoom
	s.puts.noSync = cfg.NoSync
	s.puts.obs, s.uploads.obs = s.obs, s.obs
	s.flushes = newGroupSync()
	s.gets = newTable(func(o store.Object) {
		o.Close()
		if result, d, ok := s.openGets.closed(o); ok {
			s.obs.TransferEnded("2", dirDown, result, d)
		}
	})
	s.listings = newTable(func(l *listing) { l.stop() })
	s.downloads = newDownloadTable(cfg.Store)
	return s, nil
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	return Stats{
		Uploads: s.uploadsDone.Load(), BytesUploaded: s.bytesUp.Load(),
		Downloads: s.downloadsDone.Load(), BytesDownloaded: s.bytesDown.Load(),
		Lists: s.lists.Load(), Deletes: s.deletes.Load(), Connections: s.connsTotal.Load(),
		OpenHandles: int64(s.gets.len()), HandlesOpened: s.gets.added.Load(),
		OpenConnections: s.conns.Load(), OpenUploads: int64(s.uploads.sessions.len() + s.puts.sessions.len()),
		BudgetInUse: s.budget.Used(), BudgetLimit: s.cfg.MemoryLimit, Draining: s.draining.Load(), MaxUploads: int64(s.cfg.MaxSessions),
	}
}

// Serve accepts connections on ln until ctx ends, then shuts down: it
// stops accepting, lets the transfers in flight finish for up to
// Config.ShutdownTimeout, closes every connection, waits for requests in
// progress and keeps unfinished uploads for a resume (FlaxFile 1.2's,
// which cannot resume, are dropped), never publishing them.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	r := zmtp.Serve(ln, &zmtp.Options{
		Mechanism:          s.cfg.Mechanism,
		MaxMessageSize:     s.cfg.MaxMessageSize,
		HandshakeTimeout:   s.cfg.HandshakeTimeout,
		MaxConns:           s.cfg.MaxConns,
		OnRefused:          s.obs.Refused,
		MessageIdleTimeout: s.cfg.MessageIdleTimeout,
		Budget:             s.budget,
		Buffers:            s.pool,
	}, s.log)
	s.log.Info("listening", "addr", ln.Addr().String(), "encrypted", s.cfg.Mechanism != nil && s.cfg.Mechanism.Name() != "NULL")
	if pa, ok := s.cfg.Store.(store.PartialAdmin); ok {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		n, octets, err := store.CountPartials(cctx, pa)
		cancel()
		if err != nil {
			s.log.Warn("counting partial uploads", "err", err)
		} else {
			s.log.Info("partial uploads found", "count", n, "bytes", octets, "expire_after", s.cfg.PartialExpiry)
		}
	}
	// Connections outlive ctx while the server drains.
	cctx, stopConns := context.WithCancel(context.WithoutCancel(ctx))
	defer stopConns()
	var wg sync.WaitGroup
	wg.Go(func() { s.sweep(cctx) })
	for {
		c, err := r.Accept(ctx)
		if err != nil {
			break
		}
		s.connsTotal.Add(1)
		wg.Go(func() { s.serveConn(cctx, c) })
	}
	if t := s.cfg.ShutdownTimeout; t > 0 {
		r.StopAccepting()
		s.log.Info("stopping: accepting no connection, letting transfers in flight finish", "timeout", t)
		if !s.drain(t) {
			s.log.Warn("stopping with transfers in flight; their uploads are kept for a resume", "timeout", t)
		}
	}
	stopConns()
	r.Close()
	wg.Wait()
	s.uploads.abortAll()
	s.puts.closeAll()
	s.gets.endAll()
	s.listings.endAll()
	s.downloads.closeAll()
	s.pool.Drain()
	return nil
}

// sweep expires idle upload sessions and download handles.
func (s *Server) sweep(ctx context.Context) {
	every := min(s.cfg.SessionTimeout/4, 15*time.Second)
	t := time.NewTicker(max(every, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			to := *s.timeouts.Load()
			s.uploads.expire(now, to.session)
			s.puts.expire(ctx, now, to.session, to.partialExpiry)
			s.downloads.expire(now, max(to.session, time.Minute))
			s.gets.expire(now, max(to.session, time.Minute), nil)
			s.listings.expire(now, max(to.session, time.Minute), nil)
			s.paces.sweep(now, time.Minute)
		}
	}
}

// contain stops a panic in a request's handler from taking the server,
// and every other client's transfers, down with it: it logs the panic and
// its stack as an error and closes that one connection, whose client sees
// the connection end. (A panic is a bug of ours; this only limits the harm.)
func (s *Server) contain(c io.Closer, log *slog.Logger) {
	if v := recover(); v != nil {
		log.Error("request handler panicked; connection closed", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		c.Close()
	}
}

// serveConn reads one connection's requests and runs each in its own
// goroutine, at most HandlersPerConn at once.
func (s *Server) serveConn(ctx context.Context, c *zmtp.Conn) {
	s.conns.Add(1)
	s.openConns.m.Store(c, time.Now())
	defer func() {
		s.openConns.m.Delete(c)
		s.conns.Add(-1)
	}()
	log := s.log.With("peer", c.RemoteAddr().String())
	log.Debug("connected")
	sem := make(chan struct{}, s.cfg.HandlersPerConn)
	// Ranges passing through memory (a store whose objects are not files)
	// that one connection holds budget for at once: its writer sends them
	// one after another, so more would only keep budget from the others.
	ranges := make(chan struct{}, 2)
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		s.uploads.leave(c)
		s.downloads.leave(c)
		c.Close()
		log.Debug("disconnected", "reason", c.Err())
	}()
	for {
		m, err := c.Recv(ctx)
		if err != nil {
			if !errors.Is(err, zmtp.ErrClosed) && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
				log.Info("connection ended", "err", err)
			}
			if errors.Is(err, zmtp.ErrMessageTooLarge) {
				s.obs.Refused("message_size")
			}
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			m.Release()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			defer m.Release()
			defer s.contain(c, log)
			s.handle(ctx, c, log, m, ranges)
		})
	}
}
