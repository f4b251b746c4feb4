package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/access"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
	"github.com/spf13/cobra"
)

type serveOptions struct {
	host, storageDir, logFormat   string
	port                          int
	sessionTimeout, partialExpiry time.Duration
	memoryMiB                     int64
	noSync                        bool
	authorizedKeys                string
	maxConns, maxSessions         int
	maxMessageMiB                 int64
	handshakeTimeout              time.Duration
}

func newServeCmd(e *env, g *globals) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a server",
		Long: "Run a server on one TCP port. Without --password it uses FLAXFILE_PASSWORD if set\n" +
			"(empty: no encryption), else asks on a terminal, else runs without encryption.\n" +
			"SIGINT or SIGTERM stops it cleanly; unfinished uploads are dropped, never published." + exitCodesHelp,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, e, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "", "address to listen on (config [server] host, default 0.0.0.0)")
	f.IntVar(&o.port, "port", -1, "port (config [server] port, default 25555; 0 picks a free one)")
	f.StringVar(&o.storageDir, "storage-dir", "", "where files are kept (config [server] storage_dir, default ./zmq_streaming_storage)")
	f.DurationVar(&o.sessionTimeout, "session-timeout", 0, "how long an unfinished upload may sit idle (config [server] session_timeout, default 300s)")
	f.DurationVar(&o.partialExpiry, "partial-expiry", 0, "how long an interrupted upload is kept for a resume (config [server] partial_expiry_hours, default 24h)")
	f.StringVar(&o.authorizedKeys, "authorized-keys", "", "key-file mode (with --key): a file of '<client public key> <ro|rw> [prefix]' lines, reread when it changes")
	f.IntVar(&o.maxConns, "max-connections", server.DefaultMaxConns, "connections kept open at once; more are closed at once")
	f.IntVar(&o.maxSessions, "max-uploads", server.DefaultMaxSessions, "uploads open at once; more are refused until one ends")
	f.Int64Var(&o.maxMessageMiB, "max-message", server.DefaultMaxMessageSize>>20, "MiB one request may hold")
	f.DurationVar(&o.handshakeTimeout, "handshake-timeout", 10*time.Second, "time a new connection has to finish its handshake")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
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
	timeout := time.Duration(cfg.Server.SessionTimeout) * time.Second
	if o.sessionTimeout > 0 {
		timeout = o.sessionTimeout
	}
	expiry := time.Duration(cfg.Server.PartialExpiryHours) * time.Hour
	if o.partialExpiry > 0 {
		expiry = o.partialExpiry
	}
	var h slog.Handler
	switch o.logFormat {
	case "text":
		h = slog.NewTextHandler(e.stderr, nil)
	case "json":
		h = slog.NewJSONHandler(e.stderr, nil)
	default:
		return usageError{fmt.Errorf("--log-format must be text or json, not %q", o.logFormat)}
	}
	log := slog.New(h)
	if o.authorizedKeys != "" && g.keyFile == "" {
		return usageError{errors.New("--authorized-keys needs --key (the server's own key file)")}
	}
	var password string
	var keyMode *keyModeServer
	if g.keyFile != "" {
		if keyMode, err = loadKeyMode(g.keyFile, o.authorizedKeys); err != nil {
			return err
		}
	} else if password, err = serverPassword(e, g); err != nil {
		return err
	}
	st, err := store.OpenDisk(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	scfg := server.Config{Store: st, Logger: log, SessionTimeout: timeout, PartialExpiry: expiry, MemoryLimit: o.memoryMiB << 20, NoSync: o.noSync,
		MaxConns: o.maxConns, MaxSessions: o.maxSessions, MaxMessageSize: o.maxMessageMiB<<20 + 64<<10, HandshakeTimeout: o.handshakeTimeout}
	var fingerprint string
	if keyMode != nil {
		scfg.Mechanism, scfg.Access = keyMode.mech, keyMode.list
	}
	if password != "" {
		pub, sec, err := flaxfile.ServerKeysFromPassword(password)
		if err != nil {
			return err
		}
		if scfg.Mechanism, err = curve.NewServer(curve.Key(sec), nil); err != nil {
			return err
		}
		fingerprint = flaxfile.Fingerprint(pub)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		// Keep the garbage collector close to the chunk budget, so that
		// freed buffers do not pile up; GOMEMLIMIT overrides.
		debug.SetMemoryLimit(scfg.MemoryLimit + 48<<20)
	}
	srv, err := server.New(scfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	banner(e.stderr, e, st.Dir(), ln.Addr().String(), host, fingerprint, keyMode)
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	s := srv.Stats()
	fmt.Fprintln(e.stderr, e.msg("stopped", s.Uploads, formatSize(s.BytesUploaded), s.Downloads, formatSize(s.BytesDownloaded)))
	return nil
}

func banner(w io.Writer, e *env, dir, addr, host, fingerprint string, km *keyModeServer) {
	fmt.Fprintln(w, e.msg("banner"))
	fmt.Fprintln(w, e.msg("storageDir", dir))
	fmt.Fprintln(w, e.msg("serviceAddr", addr))
	if host == "0.0.0.0" || host == "" || host == "::" {
		fmt.Fprintln(w, e.msg("anyAddr"))
	}
	switch {
	case km != nil:
		fmt.Fprintln(w, e.msg("keyMode", km.public))
		if km.list != nil {
			fmt.Fprintln(w, e.msg("keyModeClients", km.list.Len(), km.listPath))
		} else {
			fmt.Fprintln(w, e.msg("keyModeAny"))
		}
	case fingerprint != "":
		fmt.Fprintln(w, e.msg("encOn"))
		fmt.Fprintln(w, e.msg("fingerprint", fingerprint))
		fmt.Fprintln(w, e.msg("fixedSalt"))
	default:
		fmt.Fprintln(w, e.msg("encOff"))
		fmt.Fprintln(w, e.msg("encOffHint"))
	}
	fmt.Fprintln(w, e.msg("started", addr))
}

// keyModeServer is a server in key-file mode: its own key pair, and the
// authorized client keys if a file names them.
type keyModeServer struct {
	mech     *curve.Server
	list     *access.List
	listPath string
	public   string
}

func loadKeyMode(keyFile, authorized string) (*keyModeServer, error) {
	sec, err := readSecretKey(keyFile)
	if err != nil {
		return nil, err
	}
	km := &keyModeServer{listPath: authorized}
	var authorize func(curve.Key) error
	if authorized != "" {
		if km.list, err = access.Load(authorized); err != nil {
			return nil, err
		}
		authorize = func(k curve.Key) error { _, err := km.list.Lookup(k); return err }
	}
	if km.mech, err = curve.NewServer(curve.Key(sec), authorize); err != nil {
		return nil, err
	}
	km.public = km.mech.PublicKeyOf().String()
	return km, nil
}

// serverPassword applies 1.2's server rules: --password; FLAXFILE_PASSWORD
// if set (empty: none); on a terminal, ask whether to encrypt and for the
// password, warning when it is short; else none.
func serverPassword(e *env, g *globals) (string, error) {
	if pw, ok := g.givenPassword(); ok {
		return pw, nil
	}
	if !e.interactive() {
		return "", nil
	}
	answer, err := e.readLine(e.msg("enableEnc"))
	if err != nil {
		return "", err
	}
	if a := strings.ToLower(strings.TrimSpace(answer)); a == "n" || a == "no" {
		return "", nil
	}
	pw, err := e.readSecret(e.msg("serverPassword"))
	if err != nil {
		return "", err
	}
	if pw != "" && len([]rune(pw)) < 8 {
		fmt.Fprintln(e.stderr, e.msg("weakPassword"))
	}
	return pw, nil
}
