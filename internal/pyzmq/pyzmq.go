// Package pyzmq finds a Python interpreter with pyzmq (libzmq) for interop
// tests. Tests skip when there is none, except under CI (CI=true), where a
// missing pyzmq is a failure: .ci/run installs it.
package pyzmq

import (
	"bufio"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Python returns the path of a Python interpreter that can import zmq. The
// environment variable FLAXFILE_PYTHON overrides the search.
func Python(t testing.TB) string {
	t.Helper()
	// Debian's python3-zmq installs into the system interpreter, which may
	// not be the first python3 on PATH.
	list := []string{"/usr/bin/python3", "python3"}
	if p := os.Getenv("FLAXFILE_PYTHON"); p != "" {
		list = []string{p}
	}
	for _, p := range list {
		if exec.Command(p, "-c", "import zmq").Run() == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Python with pyzmq; install python3-zmq (.ci/run does)")
	}
	t.Skip("no Python with pyzmq (apt-get install python3-zmq)")
	return ""
}

// Peer is a running Python script.
type Peer struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
	out   *bufio.Scanner
}

// Start runs script with args under Python and returns once it is running;
// the test's cleanup closes its stdin and waits for it.
func Start(t testing.TB, script string, args ...string) *Peer {
	t.Helper()
	cmd := exec.Command(Python(t), append([]string{script}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Peer{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	t.Cleanup(func() {
		_ = stdin.Close()
		timer := time.AfterFunc(10*time.Second, func() { _ = cmd.Process.Kill() })
		defer timer.Stop()
		_ = cmd.Wait()
	})
	return p
}

// Line returns the next line the script printed; it fails the test if the
// script ended first.
func (p *Peer) Line(t testing.TB) string {
	t.Helper()
	if !p.out.Scan() {
		t.Fatalf("python peer printed nothing more (err %v)", p.out.Err())
	}
	return p.out.Text()
}

// Wait closes the script's stdin and returns its exit error.
func (p *Peer) Wait() error {
	_ = p.stdin.Close()
	for p.out.Scan() {
	}
	return p.cmd.Wait()
}
