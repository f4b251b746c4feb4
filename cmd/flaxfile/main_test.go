package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"flaxfile": main, "flaxfile-peak": peakMain})
}

// TestScripts runs the end-to-end tests in testdata/script: the real
// binary against real servers on 127.0.0.1:0.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Values[procsKey{}] = &procList{}
			return nil
		},
		Cmds: scriptCmds,
	})
}

// scriptCmds are the commands the scripts have beyond testscript's own.
var scriptCmds = map[string]func(*testscript.TestScript, bool, []string){
	"serve":    cmdServe,
	"stop":     cmdStop,
	"hup":      cmdHup,
	"status":   cmdStatus,
	"randfile": cmdRandFile,
	"flip":     cmdFlip,
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// serverProc is a server started by a script.
type serverProc struct {
	cmd  *exec.Cmd
	done chan error
}

// cmdServe: serve NAME [FLAGS...] starts `flaxfile serve` on 127.0.0.1:0 in
// the background with the script's environment, waits for its
// "listening" log line and sets $NAME to its address. Its log goes to
// $WORK/NAME.log, written as it runs.
func cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: serve NAME [FLAGS...]")
	}
	name := args[0]
	bin, err := exec.LookPath("flaxfile")
	ts.Check(err)
	cmd := exec.Command(bin, append([]string{"serve", "--host", "127.0.0.1", "--port", "0"}, args[1:]...)...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = append(os.Environ(), "HOME="+ts.Getenv("HOME"), "LANG="+ts.Getenv("LANG"),
		"FLAXFILE_PASSWORD="+ts.Getenv("FLAXFILE_PASSWORD"))
	logFile, err := os.Create(ts.MkAbs(name + ".log"))
	ts.Check(err)
	stderr, err := cmd.StderrPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	p := &serverProc{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logFile.WriteString(line + "\n")
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		logFile.Close()
		p.done <- cmd.Wait()
	}()
	ts.Defer(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	select {
	case a := <-addr:
		ts.Setenv(name, a)
		pl := ts.Value(procsKey{}).(*procList)
		pl.procs = append(pl.procs, namedProc{name, p})
	case err := <-p.done:
		ts.Fatalf("server %s exited before listening: %v", name, err)
	case <-time.After(20 * time.Second):
		ts.Fatalf("server %s did not start listening", name)
	}
}

type namedProc struct {
	name string
	p    *serverProc
}

// procList is one script's servers, kept in its Values; a script's
// commands run one at a time.
type procList struct{ procs []namedProc }

type procsKey struct{}

// cmdStop: stop NAME sends SIGINT to server NAME and waits for it to exit
// (its log is then complete in $WORK/NAME.log).
func cmdStop(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: stop NAME")
	}
	for _, np := range ts.Value(procsKey{}).(*procList).procs {
		if np.name == args[0] {
			ts.Check(np.p.cmd.Process.Signal(os.Interrupt))
			select {
			case err := <-np.p.done:
				if err != nil && !neg {
					ts.Fatalf("server %s: %v", args[0], err)
				}
			case <-time.After(20 * time.Second):
				ts.Fatalf("server %s did not stop", args[0])
			}
			return
		}
	}
	ts.Fatalf("no server %s", args[0])
}

// cmdStatus: status CODE PROGRAM ARGS... runs a program and checks its exit
// code exactly.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// cmdHup: hup NAME sends SIGHUP to server NAME and waits for its log to
// say it reloaded (a "SIGHUP:" line more than before).
func cmdHup(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hup NAME")
	}
	logPath := ts.MkAbs(args[0] + ".log")
	count := func() int {
		b, _ := os.ReadFile(logPath)
		return strings.Count(string(b), "SIGHUP:")
	}
	for _, np := range ts.Value(procsKey{}).(*procList).procs {
		if np.name != args[0] {
			continue
		}
		before := count()
		ts.Check(np.p.cmd.Process.Signal(syscall.SIGHUP))
		deadline := time.Now().Add(10 * time.Second)
		for count() == before {
			if time.Now().After(deadline) {
				ts.Fatalf("server %s did not log its reload", args[0])
			}
			time.Sleep(10 * time.Millisecond) // polling its log for the line
		}
		return
	}
	ts.Fatalf("no server %s", args[0])
}
