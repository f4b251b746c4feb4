package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/flaxfile/flaxfile/internal/pace"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/auth"
	"github.com/flaxfile/flaxfile/internal/config"
	"github.com/spf13/cobra"
)

// globals are the flags every command takes.
type globals struct {
	server     string
	password   string
	configPath string
	json       bool
	quiet      bool
	passSet    bool
	cpuProfile string
	protocol   string
	keyFile    string
	serverKey  string
	verbose    int
	noProgress bool
	noSync     bool // get and pull: no flush before the rename
	tune       tuning
}

// tuning overrides how set and get size a transfer; zero keeps the
// defaults (1.2's tables).
type tuning struct {
	connections int
	window      int
	chunkMiB    int
	delta       bool // --delta
	noDelta     bool // --no-delta
	compress    bool // --compress
	noCompress  bool // --no-compress
	bwlimit     string
}

// addDeltaFlags registers --delta and --no-delta, --compress and
// --no-compress on a transfer command.
func addDeltaFlags(cmd *cobra.Command, t *tuning) {
	f := cmd.Flags()
	f.BoolVar(&t.delta, "delta", false, "over an older copy on the other side, move only what differs, even where it shifted (default: on links with a round trip over 5 ms)")
	f.BoolVar(&t.noDelta, "no-delta", false, "always move whole files")
	cmd.MarkFlagsMutuallyExclusive("delta", "no-delta")
	f.BoolVar(&t.compress, "compress", false, "compress every chunk that shrinks (default: when the data shrinks and the link is slower than compressing it)")
	f.BoolVar(&t.noCompress, "no-compress", false, "never compress")
	cmd.MarkFlagsMutuallyExclusive("compress", "no-compress")
	f.StringVar(&t.bwlimit, "bwlimit", "", "hold the transfer to RATE octets a second, all connections together (e.g. 500K, 20M, 1G; powers of 1024)")
}

// compressMode is what --compress and --no-compress ask for.
func (t *tuning) compressMode() flaxfile.CompressMode {
	switch {
	case t.compress:
		return flaxfile.CompressAlways
	case t.noCompress:
		return flaxfile.CompressNever
	}
	return flaxfile.CompressAuto
}

// deltaMode is what --delta and --no-delta ask for.
func (t *tuning) deltaMode() flaxfile.DeltaMode {
	switch {
	case t.delta:
		return flaxfile.DeltaAlways
	case t.noDelta:
		return flaxfile.DeltaNever
	}
	return flaxfile.DeltaAuto
}

// addTuningFlags registers the tuning flags on a transfer command.
func addTuningFlags(cmd *cobra.Command, t *tuning) {
	f := cmd.Flags()
	f.IntVar(&t.connections, "connections", 0, "connections per file (default: by file size, as 1.2)")
	f.IntVar(&t.window, "window", 0, "chunks in flight per connection (default: as 1.2)")
	f.IntVar(&t.chunkMiB, "chunk-size", 0, "chunk size in MiB (default: as 1.2)")
}

const exitCodesHelp = `
Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted.`

func newRootCmd(e *env) *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "flaxfile",
		Short:         "Move files between machines, fast",
		Long:          "FlaxFile keeps files under keys on a server and moves them over several\nconnections at once. It speaks FlaxFile 1.2's protocol, plain and encrypted." + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			g.passSet = cmd.Flags().Changed("password")
			e.verbose, e.json = g.verbose, g.json
			if g.cpuProfile != "" {
				return startCPUProfile(g.cpuProfile)
			}
			return nil
		},
		PersistentPostRun: func(*cobra.Command, []string) {
			if g.cpuProfile != "" {
				stopCPUProfile()
			}
		},
	}
	root.Version = readBuildInfo().String()
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.server, "server", "", "server: a name from the config file, or HOST:PORT (several, comma-separated, for servers of one shared store)")
	pf.StringVar(&g.password, "password", "", "encryption password (default $FLAXFILE_PASSWORD; empty means none)")
	pf.StringVar(&g.configPath, "config", "", "config file (default: search ./flaxfile.toml, ~/flaxfile.toml, the XDG config dir)")
	pf.BoolVar(&g.json, "json", false, "print results as JSON, one object per line")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "print nothing but errors")
	pf.CountVarP(&g.verbose, "verbose", "v", "more detail: -v debug lines and the full errors, -vv the protocol exchange too")
	pf.BoolVar(&g.noProgress, "no-progress", false, "no progress bars, even on a terminal")
	pf.StringVarP(&g.keyFile, "identity", "i", "", "key-file mode: this side's secret key file (see 'flaxfile keygen')")
	pf.StringVar(&g.keyFile, "key", "", "the old name of --identity")
	_ = pf.MarkDeprecated("key", "use --identity (-i)")
	pf.StringVar(&g.serverKey, "server-key", "", "key-file mode: the server's public key (Z85), or its .pub file")
	pf.StringVar(&g.protocol, "protocol", "", "protocol: 2 or 1.2 (default: FlaxFile 2 when the server speaks it, else 1.2)")
	pf.StringVar(&g.cpuProfile, "cpu-profile", "", "write a CPU profile to this file (for development)")
	_ = pf.MarkHidden("cpu-profile")
	_ = root.RegisterFlagCompletionFunc("server", completeServers(e, g))
	root.AddCommand(
		newServeCmd(e, g),
		newSetCmd(e, g),
		newGetCmd(e, g),
		newListCmd(e, g),
		newDeleteCmd(e, g),
		newPartialsCmd(e, g),
		newStatusCmd(e, g),
		newPushCmd(e, g),
		newPullCmd(e, g),
		newConfigCmd(e, g),
		newVersionCmd(e, g),
		newKeygenCmd(e, g),
		newManCmd(e),
	)
	if e.zh {
		translateHelp(root)
	}
	for _, c := range root.Commands() {
		switch c.Name() {
		case "get", "delete", "list", "pull":
			c.ValidArgsFunction = completeKeys(e, g)
		}
	}
	return root
}

// args wraps a positional-argument check so that its failure is a usage
// error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// loadConfig reads --config, or the first config file found, over the
// defaults; warnings go to stderr.
func (g *globals) loadConfig(e *env) (*config.Config, string, error) {
	path := g.configPath
	if path == "" {
		path = config.Find()
	}
	if path == "" {
		return config.Default(), "", nil
	}
	c, warnings, err := config.Load(path)
	if err != nil {
		return nil, path, err
	}
	for _, w := range warnings {
		fmt.Fprintln(e.stderr, e.msg("configWarn", w))
	}
	return c, path, nil
}

// givenPassword is --password, else FLAXFILE_PASSWORD if it is set at all
// (empty meaning no encryption); ok is false when neither is given.
func (g *globals) givenPassword() (string, bool) {
	if g.passSet {
		return g.password, true
	}
	return os.LookupEnv("FLAXFILE_PASSWORD")
}

// clientPassword is the password given (givenPassword), else the one in
// the server's password_file; ok is false when there is none.
func (g *globals) clientPassword(file string) (string, bool, error) {
	if pw, ok := g.givenPassword(); ok {
		return pw, true, nil
	}
	if file == "" {
		return "", false, nil
	}
	pw, err := auth.ReadPasswordFile(file)
	return pw, err == nil, err
}

// connect resolves the server and password and dials.
func (g *globals) connect(ctx context.Context, e *env, progress flaxfile.Progress) (*flaxfile.Client, error) {
	cfg, _, err := g.loadConfig(e)
	if err != nil {
		return nil, err
	}
	addr, err := cfg.Resolve(g.server)
	if errors.Is(err, config.ErrUnknownServer) {
		return nil, usageError{errors.New(e.msg("unknownServer", g.server, err))}
	}
	if err != nil {
		return nil, err
	}
	ck, sk, keyMode, err := g.clientKeys(cfg.Keys(g.server))
	if err != nil {
		return nil, err
	}
	if p := g.protocol; p != "" && p != "2" && p != "1.2" {
		return nil, usageError{fmt.Errorf("--protocol %q: want 2 or 1.2", p)}
	}
	if g.tune.connections < 0 || g.tune.window < 0 || g.tune.chunkMiB < 0 || g.tune.chunkMiB > 64 {
		return nil, usageError{errors.New("--connections and --window must be positive, --chunk-size 1 to 64 MiB")}
	}
	bwlimit, err := pace.ParseRate(cmp.Or(g.tune.bwlimit, "0"))
	if err != nil {
		return nil, usageError{fmt.Errorf("--bwlimit: %v", err)}
	}
	opts := &flaxfile.Options{
		BandwidthLimit: bwlimit,
		Logger:         g.logger(e),
		NoSync:         g.noSync,
		ServerKey:      sk,
		ClientKey:      ck,
		Progress:       progress,
		Protocol:       g.protocol,
		Connections:    g.tune.connections,
		Window:         g.tune.window,
		ChunkSize:      int64(g.tune.chunkMiB) << 20,
		Delta:          g.tune.deltaMode(),
		Compress:       g.tune.compressMode(),
	}
	if keyMode {
		return flaxfile.Dial(ctx, addr, opts)
	}
	// A password is asked for only when the server turns out to need
	// one, and only where someone can answer.
	pw, given, err := g.clientPassword(cfg.PasswordFile(g.server))
	if err != nil {
		return nil, err
	}
	opts.Password = pw
	c, err := flaxfile.Dial(ctx, addr, opts)
	if given || !errors.Is(err, flaxfile.ErrEncryptionRequired) {
		return c, err
	}
	if !e.interactive() || g.json || g.quiet {
		return nil, errors.New(e.msg("needPassword", addr))
	}
	fmt.Fprintln(e.stderr, e.msg("passwordHint"))
	if opts.Password, err = e.readSecret(ctx, e.msg("passwordPrompt")); err != nil {
		return nil, err
	}
	return flaxfile.Dial(ctx, addr, opts)
}

// logger is the client library's logger for -v (debug) and -vv (every
// request and reply too), on standard error; nil without -v.
func (g *globals) logger(e *env) *slog.Logger {
	if g.verbose == 0 {
		return nil
	}
	level := slog.LevelDebug
	if g.verbose > 1 {
		level = flaxfile.LevelTrace
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.LevelKey && a.Value.Any() == flaxfile.LevelTrace {
				a.Value = slog.StringValue("TRACE")
			}
			return a
		}}))
}
