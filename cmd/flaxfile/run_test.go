package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
)

// An interrupted command (its context cancelled, as SIGINT does) exits 130
// and says so; a finished one exits 0.
func TestRunExitCodes(t *testing.T) {
	addr, _ := servertest.Start(t, server.Config{}, nil)
	t.Setenv("FLAXFILE_PASSWORD", "")
	src := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(src, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"--server", addr, "set", src}, strings.NewReader(""), &out, &errs); code != exitOK {
		t.Fatalf("set: exit %d, stderr %q", code, errs.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs.Reset()
	if code := run(ctx, []string{"--server", addr, "get", "f", filepath.Join(t.TempDir(), "g")}, strings.NewReader(""), &out, &errs); code != exitInterrupted {
		t.Fatalf("interrupted get: exit %d, stderr %q", code, errs.String())
	}
	if !strings.Contains(errs.String(), "interrupted") {
		t.Fatalf("stderr %q", errs.String())
	}
	if code := run(context.Background(), []string{"set"}, strings.NewReader(""), &out, &errs); code != exitUsage {
		t.Fatalf("usage: exit %d", code)
	}
}

// TestInterruptMidSet: cancelling a set at many points while it runs
// always exits 130 with "interrupted" (it said "use of closed network
// connection" and exited 1 in 12 of 30 tries).
func TestInterruptMidSet(t *testing.T) {
	addr, _ := servertest.Start(t, server.Config{}, nil)
	t.Setenv("FLAXFILE_PASSWORD", "")
	src := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(src, bytes.Repeat([]byte("0123456789abcdef"), 8<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errs bytes.Buffer
		done := make(chan int)
		go func() {
			done <- run(ctx, []string{"-q", "--server", addr, "set", src, "k" + strconv.Itoa(i)}, strings.NewReader(""), &out, &errs)
		}()
		// Cancel at a different point of each run (the signal's moment,
		// not a wait for anything).
		stop := time.AfterFunc(time.Duration(i)*3*time.Millisecond, cancel)
		code := <-done
		stop.Stop()
		cancel()
		if code == exitOK {
			continue // it finished first
		}
		if code != exitInterrupted || !strings.Contains(errs.String(), "interrupted") {
			t.Fatalf("try %d: exit %d, stderr %q", i, code, errs.String())
		}
	}
}
