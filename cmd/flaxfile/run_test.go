package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
