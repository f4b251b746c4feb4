package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/flaxfile/flaxfile/internal/liar"
)

// clientCap is the peak memory the client may reach under any attack of
// a server.
const clientCap = 128 << 20

// TestHostileServerCLI runs the real binary against each lie of a server:
// it exits 1 with a clear error, its peak memory (the kernel's maxrss)
// stays under clientCap, nothing is left in its output directory, and no
// control character the server sent reaches the terminal.
func TestHostileServerCLI(t *testing.T) {
	evil := "evil\x1b]0;pwned\x07\x1b[2J\rfake line\u202etxt"
	cases := []struct {
		name string
		lies liar.Lies
		args []string // OUT stands for a path in a fresh directory
		want string   // in stderr
	}{
		{"v2 GET of 2^62 octets", liar.Lies{V2: true, Key: "k", Data: []byte("x"), Size: 1 << 62}, []string{"get", "k", "OUT"}, "limit"},
		{"1.2 2^40 octets in 1-octet chunks", liar.Lies{Key: "k", Data: []byte("x"), Size: 1 << 40, Chunk: 1}, []string{"get", "k", "OUT"}, "chunks"},
		{"2,000,000 empty frames", liar.Lies{Key: "k", EmptyFrames: 2_000_000}, []string{"list"}, "too large"},
		{"60 MB 1.2 listing of empty entries", liar.Lies{Key: "k", ListEntries: 20_000_000}, []string{"list"}, "a key of 0 octets"},
		{"endless v2 listing", liar.Lies{V2: true, Key: "k", EndlessPages: true, PageEntries: 5000}, []string{"pull", "k", "OUT"}, "entries"},
		{"escape sequences in keys", liar.Lies{Key: "k", Text: evil}, []string{"list", "--detailed"}, ""}, // shown escaped: checked below
		{"escape sequences in an error", liar.Lies{V2: true, Key: "k", Text: evil}, []string{"get", "k", "OUT"}, `evil\x1b]0;pwned\x07`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := liar.Start(tc.lies)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			dir := t.TempDir()
			args := []string{"--server", srv.Addr()}
			for _, a := range tc.args {
				if a == "OUT" {
					a = filepath.Join(dir, "out")
				}
				args = append(args, a)
			}
			peakFile := filepath.Join(t.TempDir(), "peak")
			cmd := flaxfileCmd(t, args...)
			peakBin, err := exec.LookPath("flaxfile-peak")
			if err != nil {
				t.Fatal(err)
			}
			cmd.Args = append([]string{peakBin, cmd.Path}, cmd.Args[1:]...)
			cmd.Path = peakBin
			cmd.Env = append(cmd.Env, "FLAXFILE_PEAK_FILE="+peakFile)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err = cmd.Run()
			var ee *exec.ExitError
			failed := err != nil
			if failed && !bytes.Contains(stderr.Bytes(), []byte("error")) {
				t.Fatalf("%v; stderr %q", err, stderr.String())
			}
			if tc.want != "" && (!failed || !strings.Contains(stderr.String(), tc.want)) {
				t.Fatalf("exit %v, stderr %q, want an error with %q", err, stderr.String(), tc.want)
			}
			if failed && !(errorAs(err, &ee) && ee.ExitCode() == exitFailure) {
				t.Fatalf("exit %v, want %d", err, exitFailure)
			}
			for _, out := range [][]byte{stdout.Bytes(), stderr.Bytes()} {
				if i := bytes.IndexFunc(out, func(r rune) bool { return r == 0x1b || r == 0x07 || r == '\r' || r == 0x202e }); i >= 0 {
					t.Fatalf("a control character reached the terminal at %d: %q", i, out)
				}
			}
			if tc.want == "" && !strings.Contains(stdout.String(), `evil\x1b]0;pwned\x07\x1b[2J\x0dfake line\u202etxt`) {
				t.Fatalf("the key is not shown escaped: %q", stdout.String())
			}
			if runtime.GOOS == "linux" {
				b, err := os.ReadFile(peakFile)
				if err != nil {
					t.Fatal(err)
				}
				peak, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
				t.Logf("peak memory %d MiB; stderr %q", peak>>20, strings.TrimSpace(stderr.String()))
				if peak > clientCap && !raceBuild {
					t.Fatalf("client peak memory %d MiB, cap %d", peak>>20, clientCap>>20)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 {
				t.Fatalf("left behind: %v", left)
			}
		})
	}
}

// peakMain is the flaxfile-peak command of the tests: it runs its
// arguments as a command and writes the command's peak memory in octets
// to $FLAXFILE_PEAK_FILE, exiting as the command did. The command is
// started from this small process, because on Linux a child's maxrss
// counts the peak of the process that spawned it (vfork shares its
// memory until exec): measured from the test process, the peak of every
// earlier test would show.
func peakMain() {
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "flaxfile-peak:", err)
		os.Exit(2)
	}
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	if err := os.WriteFile(os.Getenv("FLAXFILE_PEAK_FILE"), []byte(strconv.FormatInt(peak, 10)), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "flaxfile-peak:", err)
		os.Exit(2)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}

func errorAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*target = e
	return ok
}
