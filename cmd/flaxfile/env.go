package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// env is what a command talks to: its streams, whether they are
// terminals, and the language of its messages.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	in             *bufio.Reader
	zh             bool // messages in Chinese, with 1.2's wording
	ttyOut, ttyIn  bool
	verbose        int  // -v: 1 debug detail, 2 the protocol exchange too
	json           bool // --json: errors too come as a JSON object
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer) *env {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, in: bufio.NewReader(stdin)}
	e.ttyOut = isTerminal(stdout)
	e.ttyIn = isTerminal(stdin)
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			e.zh = strings.HasPrefix(strings.ToLower(l), "zh")
			break
		}
	}
	return e
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// keyWidth is how many columns a key may take in a table beside others
// taking the rest: the terminal's width less rest, at least 20; 0 (no
// limit) when standard output is not a terminal.
func (e *env) keyWidth(rest int) int {
	f, ok := e.stdout.(*os.File)
	if !ok || !e.ttyOut {
		return 0
	}
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return max(w-rest, 20)
}

// interactive reports whether we may prompt: stdin and stdout are both
// terminals (1.2's rule).
func (e *env) interactive() bool { return e.ttyIn && e.ttyOut }

// readLine prompts on stderr and reads one line from stdin. Ctrl-C (ctx
// ending) gives up at once with errInterrupted.
func (e *env) readLine(ctx context.Context, prompt string) (string, error) {
	io.WriteString(e.stderr, prompt)
	return interruptible(ctx, func() (string, error) {
		line, err := e.in.ReadString('\n')
		if err != nil && line == "" {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	})
}

// readSecret prompts for a password without echo when stdin is a
// terminal; Ctrl-C gives up at once, the terminal's echo restored.
func (e *env) readSecret(ctx context.Context, prompt string) (string, error) {
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return e.readLine(ctx, prompt)
	}
	fd := int(f.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	io.WriteString(e.stderr, prompt)
	pw, err := interruptible(ctx, func() (string, error) {
		b, err := term.ReadPassword(fd)
		return string(b), err
	})
	if errors.Is(err, errInterrupted) {
		_ = term.Restore(fd, state)
	}
	io.WriteString(e.stderr, "\n")
	return pw, err
}

// interruptible runs read, a blocking read of the terminal, and returns
// errInterrupted as soon as ctx ends (the read is left behind: the
// process is about to exit).
func interruptible(ctx context.Context, read func() (string, error)) (string, error) {
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := read()
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-ctx.Done():
		return "", errInterrupted
	}
}
