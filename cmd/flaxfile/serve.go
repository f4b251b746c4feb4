package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/flaxfile/flaxfile/internal/pace"

	"github.com/flaxfile/flaxfile/internal/auth"
	"github.com/flaxfile/flaxfile/internal/metrics"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/store/storeurl"
	"github.com/spf13/cobra"
)

type serveOptions struct {
	host, storageDir, logFormat   string
	logLevel                      string
	storage                       string
	port                          int
	sessionTimeout, partialExpiry time.Duration
	memoryMiB                     int64
	noSync                        bool
	authorizedKeys                string
	maxConns, maxSessions         int
	maxMessageMiB                 int64
	handshakeTimeout              time.Duration
	shutdownTimeout               time.Duration
	bwlimit, bwlimitClient        string
	metricsAddr                   string
	accessLog, accessLogFormat    string
}

func newServeCmd(e *env, g *globals) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a server",
		Long: "Run a server on one TCP port. Without --password it uses FLAXFILE_PASSWORD if set\n" +
			"(empty: no encryption), else asks on a terminal, else runs without encryption.\n" +
			"SIGINT or SIGTERM stops it: it accepts no connection and starts no transfer, lets those\n" +
			"in flight finish for up to --shutdown-timeout, then stops; a second signal stops it at once.\n" +
			"Unfinished uploads are never published (FlaxFile 2 ones are kept for a resume)." + exitCodesHelp,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, e, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "", "address to listen on (config [server] host, default 0.0.0.0)")
	f.IntVar(&o.port, "port", -1, "port (config [server] port, default 25555; 0 picks a free one)")
	f.StringVar(&o.storageDir, "storage-dir", "", "where files are kept (config [server] storage_dir, default ./zmq_streaming_storage)")
	f.StringVar(&o.storage, "storage", "", "the store, as dir:PATH, mem:[SIZE] or s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT (config [server] storage; overrides --storage-dir)")
	f.DurationVar(&o.sessionTimeout, "session-timeout", 0, "how long an unfinished upload may sit idle (config [server] session_timeout, default 300s)")
	f.DurationVar(&o.partialExpiry, "partial-expiry", 0, "how long an interrupted upload is kept for a resume (config [server] partial_expiry_hours, default 24h)")
	f.StringVar(&o.authorizedKeys, "authorized-keys", "", "key-file mode (with --identity): a file of '<client public key> <ro|rw> [prefix]' lines, reread when it changes")
	f.IntVar(&o.maxConns, "max-connections", server.DefaultMaxConns, "connections kept open at once; more are closed at once")
	f.IntVar(&o.maxSessions, "max-uploads", server.DefaultMaxSessions, "uploads open at once; more are refused until one ends")
	f.Int64Var(&o.maxMessageMiB, "max-message", server.DefaultMaxMessageSize>>20, "MiB one request may hold")
	f.DurationVar(&o.handshakeTimeout, "handshake-timeout", 10*time.Second, "time a new connection has to finish its handshake")
	f.StringVar(&o.bwlimit, "bwlimit", "", "hold all transfers together to RATE octets a second (e.g. 100M, 1G; powers of 1024)")
	f.StringVar(&o.bwlimitClient, "bwlimit-per-client", "", "hold each client's transfers to RATE octets a second (a client: its key in key-file mode, else its IP address)")
	f.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics, /healthz and /readyz over HTTP on HOST:PORT (off by default; never the data port)")
	f.StringVar(&o.accessLog, "access-log", "", "write one line per finished transfer and refused request to FILE ('-': standard error); SIGHUP reopens it")
	f.StringVar(&o.accessLogFormat, "access-log-format", "", "access log format: text or json (default: --log-format)")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGINT or SIGTERM, how long transfers in flight may take to finish (0: stop at once)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error (-q: error, and no banner)")
	f.Int64Var(&o.memoryMiB, "memory-limit", server.DefaultMemoryLimit>>20, "MiB of received chunk data held at once")
	f.BoolVar(&o.noSync, "no-fsync", false, "publish uploads without fsync (faster; a crash may lose them)")
	return cmd
}

func runServe(cmd *cobra.Command, e *env, g *globals, o *serveOptions) error {
	ctx := cmd.Context()
	cfg, _, err := g.loadConfig(e)
	if err != nil {
		return err
	}
	host, port, dir := cfg.Server.Host, cfg.Server.Port, cfg.Server.StorageDir
	if cmd.Flags().Changed("host") {
		host = o.host
	}
	if o.port >= 0 {
		port = o.port
	}
	if o.storageDir != "" {
		dir = o.storageDir
	}
	spec := "dir:" + dir
	switch {
	case o.storage != "":
		spec = o.storage
	case o.storageDir == "" && cfg.Server.Storage != "":
		spec = cfg.Server.Storage
	}
	timeout := time.Duration(cfg.Server.SessionTimeout) * time.Second
	if o.sessionTimeout > 0 {
		timeout = o.sessionTimeout
	}
	expiry := time.Duration(cfg.Server.PartialExpiryHours) * time.Hour
	if o.partialExpiry > 0 {
		expiry = o.partialExpiry
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level must be debug, info, warn or error, not %q", o.logLevel)}
	}
	if g.quiet && !cmd.Flags().Changed("log-level") {
		level = slog.LevelError
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch o.logFormat {
	case "text":
		h = slog.NewTextHandler(e.stderr, hopts)
	case "json":
		h = slog.NewJSONHandler(e.stderr, hopts)
	default:
		return usageError{fmt.Errorf("--log-format must be text or json, not %q", o.logFormat)}
	}
	log := slog.New(h)
	if o.authorizedKeys != "" && g.keyFile == "" {
		return usageError{errors.New("--authorized-keys needs --identity (the server's own key file)")}
	}
	var sec *auth.Server // nil: in the clear
	if g.keyFile != "" {
		if sec, err = auth.KeyFileServer(g.keyFile, o.authorizedKeys); err != nil {
			return err
		}
	} else if password, err := serverPassword(ctx, e, g); err != nil {
		return err
	} else if password != "" {
		if sec, err = auth.PasswordServer(password); err != nil {
			return err
		}
	}
	bwAll, err := pace.ParseRate(cmp.Or(o.bwlimit, "0"))
	if err != nil {
		return usageError{fmt.Errorf("--bwlimit: %v", err)}
	}
	bwClient, err := pace.ParseRate(cmp.Or(o.bwlimitClient, "0"))
	if err != nil {
		return usageError{fmt.Errorf("--bwlimit-per-client: %v", err)}
	}
	st, err := storeurl.Open(spec)
	if err != nil {
		return err
	}
	defer st.Close()
	scfg := server.Config{Store: st.Store, Logger: log, SessionTimeout: timeout, PartialExpiry: expiry, MemoryLimit: o.memoryMiB << 20, NoSync: o.noSync,
		MaxConns: o.maxConns, MaxSessions: o.maxSessions, MaxMessageSize: o.maxMessageMiB<<20 + 64<<10, HandshakeTimeout: o.handshakeTimeout,
		ShutdownTimeout: o.shutdownTimeout, BandwidthLimit: bwAll, BandwidthLimitPerClient: bwClient,
		Version: readBuildInfo().Version, StoreKind: storeKind(spec), Keyed: g.keyFile != ""}
	if sec != nil {
		scfg.Mechanism, scfg.Access = sec.Mechanism, sec.Access
	}
	access, err := openAccessLog(e, o)
	if err != nil {
		return err
	}
	defer access.Close()
	scfg.AccessLog = access.logger()
	var mx *metrics.Metrics
	if o.metricsAddr != "" {
		mx = metrics.New()
		scfg.Observer = mx
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		// Keep the garbage collector close to the chunk budget, so that
		// freed buffers do not pile up (server.HeapFor). GOMEMLIMIT
		// overrides.
		debug.SetMemoryLimit(server.HeapFor(scfg.MemoryLimit))
	}
	srv, err := server.New(scfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	if mx != nil {
		mln, err := net.Listen("tcp", o.metricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		mx.Watch(srv.Stats, metrics.StoreReady(st.Store), st.Store)
		mctx, stopMetrics := context.WithCancel(context.WithoutCancel(ctx))
		defer stopMetrics()
		go func() {
			if err := mx.Serve(mctx, mln); err != nil {
				log.Error("metrics server", "err", err)
			}
		}()
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	if !g.quiet {
		banner(e.stderr, e, st.Where, ln.Addr().String(), host, sec, o.authorizedKeys)
	}
	served := make(chan struct{})
	defer close(served)
	go hurryOnSecondSignal(ctx, served, srv)
	go onHangup(served, func() { reload(e, g, cmd, log, srv, access, sec) })
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	if s := srv.Stats(); !g.quiet {
		fmt.Fprintln(e.stderr, e.msg("stopped", s.Uploads, formatSize(s.BytesUploaded), s.Downloads, formatSize(s.BytesDownloaded)))
	}
	return nil
}

func banner(w io.Writer, e *env, dir, addr, host string, sec *auth.Server, authorized string) {
	fmt.Fprintln(w, e.msg("banner"))
	fmt.Fprintln(w, e.msg("storageDir", dir))
	fmt.Fprintln(w, e.msg("serviceAddr", addr))
	if host == "0.0.0.0" || host == "" || host == "::" {
		fmt.Fprintln(w, e.msg("anyAddr"))
	}
	switch {
	case sec != nil && sec.Fingerprint == "":
		fmt.Fprintln(w, e.msg("keyMode", sec.Public))
		if sec.Access != nil {
			fmt.Fprintln(w, e.msg("keyModeClients", sec.Access.Len(), authorized))
		} else {
			fmt.Fprintln(w, e.msg("keyModeAny"))
		}
	case sec != nil:
		fmt.Fprintln(w, e.msg("encOn"))
		fmt.Fprintln(w, e.msg("fingerprint", sec.Fingerprint))
		fmt.Fprintln(w, e.msg("fixedSalt"))
	default:
		fmt.Fprintln(w, e.msg("encOff"))
		fmt.Fprintln(w, e.msg("encOffHint"))
	}
	fmt.Fprintln(w, e.msg("started", addr))
}

// serverPassword applies 1.2's server rules: --password; FLAXFILE_PASSWORD
// if set (empty: none); on a terminal, ask whether to encrypt and for the
// password, warning when it is short; else none.
func serverPassword(ctx context.Context, e *env, g *globals) (string, error) {
	if pw, ok := g.givenPassword(); ok {
		return pw, nil
	}
	if !e.interactive() {
		return "", nil
	}
	answer, err := e.readLine(ctx, e.msg("enableEnc"))
	if err != nil {
		return "", err
	}
	if a := strings.ToLower(strings.TrimSpace(answer)); a == "n" || a == "no" {
		return "", nil
	}
	pw, err := e.readSecret(ctx, e.msg("serverPassword"))
	if err != nil {
		return "", err
	}
	if pw != "" && len([]rune(pw)) < 8 {
		fmt.Fprintln(e.stderr, e.msg("weakPassword"))
	}
	return pw, nil
}

// hurryOnSecondSignal waits for the signal that ends ctx, then for
// another, which stops the server without waiting for its transfers.
func hurryOnSecondSignal(ctx context.Context, served <-chan struct{}, srv *server.Server) {
	select {
	case <-ctx.Done():
	case <-served:
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(ch)
	select {
	case <-ch:
		srv.Hurry()
	case <-served:
	}
}

// storeKind names the kind of store spec opens, for STATUS: disk, mem or
// s3 (never its path).
func storeKind(spec string) string {
	kind, _, _ := strings.Cut(spec, ":")
	if kind == "dir" {
		return "disk"
	}
	return kind
}
