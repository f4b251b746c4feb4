package server

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// closeCounter counts Close calls.
type closeCounter int

func (c *closeCounter) Close() error { *c++; return nil }

// A panic in a request handler is logged with its stack and closes that
// connection; it does not reach the goroutine's top and end the process.
func TestContainPanic(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s := &Server{}
	var conn closeCounter
	func() {
		defer s.contain(&conn, log)
		panic("boom") // as a bug's would
	}()
	if !strings.Contains(logs.String(), "panicked") || !strings.Contains(logs.String(), "contain_test.go") {
		t.Fatalf("log: %s", logs.String())
	}
	if conn != 1 {
		t.Fatalf("the connection was closed %d times, want once", conn)
	}
	// Without a panic, nothing happens.
	func() { defer s.contain(&conn, log) }()
	if conn != 1 {
		t.Fatal("a handler that returned closed its connection")
	}
}
