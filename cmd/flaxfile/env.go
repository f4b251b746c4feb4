package main

import (
	"bufio"
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

// interactive reports whether we may prompt: stdin and stdout are both
// terminals (1.2's rule).
func (e *env) interactive() bool { return e.ttyIn && e.ttyOut }

// readLine prompts on stderr and reads one line from stdin.
func (e *env) readLine(prompt string) (string, error) {
	io.WriteString(e.stderr, prompt)
	line, err := e.in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readSecret prompts for a password without echo when stdin is a terminal.
func (e *env) readSecret(prompt string) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		io.WriteString(e.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		io.WriteString(e.stderr, "\n")
		return string(b), err
	}
	return e.readLine(prompt)
}
