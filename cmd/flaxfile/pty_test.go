//go:build unix

package main

import (
	"bytes"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"github.com/rogpeppe/go-internal/testscript"
)

func init() { scriptCmds["pty"] = cmdPty }

// cmdPty: pty [-code N] PROMPT ANSWER flaxfile ARGS... runs flaxfile on a
// real pseudo-terminal (its controlling terminal: stdin, stdout and
// stderr), waits for PROMPT to appear in what it prints, types ANSWER and
// Enter (^C types Ctrl-C, the terminal sending SIGINT), and checks that
// it exits with N (default 0) within 20 s. An empty PROMPT types nothing:
// the command must finish without asking. What it printed is the
// command's stdout for the checks that follow.
func cmdPty(ts *testscript.TestScript, neg bool, args []string) {
	want := 0
	if len(args) > 1 && args[0] == "-code" {
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		want, args = n, args[2:]
	}
	if neg || len(args) < 3 || args[2] != "flaxfile" {
		ts.Fatalf("usage: pty [-code N] PROMPT ANSWER flaxfile ARGS...")
	}
	prompt, answer := args[0], args[1]
	bin, err := exec.LookPath("flaxfile")
	ts.Check(err)
	cmd := exec.Command(bin, args[3:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = []string{"HOME=" + ts.Getenv("HOME"), "PATH=" + ts.Getenv("PATH"), "TERM=dumb"}
	if v := ts.Getenv("FLAXFILE_PASSWORD"); v != "" {
		cmd.Env = append(cmd.Env, "FLAXFILE_PASSWORD="+v)
	}
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	ts.Check(err)
	defer tty.Close()
	var mu sync.Mutex
	var out bytes.Buffer
	seen := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		buf := make([]byte, 4096)
		var once sync.Once
		for {
			n, err := tty.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			found := prompt != "" && strings.Contains(out.String(), prompt)
			mu.Unlock()
			if found {
				once.Do(func() { close(seen) })
			}
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(20 * time.Second)
	if prompt != "" {
		select {
		case <-seen:
		case err := <-exited:
			ts.Fatalf("exited (%v) before prompting %q; printed:\n%s", err, prompt, snapshot(&mu, &out))
		case <-deadline:
			_ = cmd.Process.Kill()
			ts.Fatalf("no prompt %q within 20 s; printed:\n%s", prompt, snapshot(&mu, &out))
		}
		if answer == "^C" {
			_, err = tty.Write([]byte{3})
		} else {
			_, err = tty.Write([]byte(answer + "\r"))
		}
		ts.Check(err)
	}
	var werr error
	select {
	case werr = <-exited:
	case <-deadline:
		_ = cmd.Process.Kill()
		ts.Fatalf("still running after 20 s; printed:\n%s", snapshot(&mu, &out))
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		code = ee.ExitCode()
	} else {
		ts.Check(werr)
	}
	select { // the terminal reports EIO once the last writer is gone
	case <-drained:
	case <-time.After(2 * time.Second):
	}
	printed := snapshot(&mu, &out)
	_, _ = ts.Stdout().Write([]byte(printed))
	if code != want {
		ts.Fatalf("exit code %d, want %d; printed:\n%s", code, want, printed)
	}
}

func snapshot(mu *sync.Mutex, b *bytes.Buffer) string {
	mu.Lock()
	defer mu.Unlock()
	return b.String()
}
