// Command flaxfile moves files between machines: a server keeps files
// under keys on one TCP port, clients set, get, list and delete them.
// It speaks FlaxFile 1.2's protocol, plain and encrypted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes, decided here and nowhere else.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError marks errors in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := newEnv(stdin, stdout, stderr)
	root := newRootCmd(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ue usageError
	switch {
	case errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command "):
		code = exitUsage
	case ctx.Err() != nil || errors.Is(err, errInterrupted):
		code = exitInterrupted
	}
	if f := root.PersistentFlags().Lookup("json"); env.json || f != nil && f.Value.String() == "true" {
		// One object, as every other --json output (flags are read even
		// when the arguments are refused).
		_ = printJSON(stdout, map[string]any{"error": explain(err), "exit_code": code})
	}
	switch {
	case errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command "):
		fmt.Fprintf(stderr, "%s: %s\n%s\n", env.msg("error"), termSafe(err.Error()), env.msg("seeHelp"))
		return exitUsage
	case ctx.Err() != nil || errors.Is(err, errInterrupted):
		// Once a signal has come, whatever failed after it failed because
		// of it (a connection closed under a write, say): the one report
		// is that we were interrupted.
		fmt.Fprintf(stderr, "\n%s\n", env.msg("interrupted"))
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "%s: %s\n", env.msg("error"), termSafe(explain(err)))
	if env.verbose > 0 && explain(err) != err.Error() {
		fmt.Fprintf(stderr, "  detail: %s\n", termSafe(err.Error()))
	}
	return exitFailure
}

// errInterrupted reports work stopped by a signal.
var errInterrupted = errors.New("interrupted")
