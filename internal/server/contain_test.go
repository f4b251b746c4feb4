package server

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// A panic in a request handler is logged and closes that connection only;
// it does not reach the goroutine's top and end the process.
func TestContainPanic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := zmtp.Listen("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := zmtp.Dial(ctx, r.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := r.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s := &Server{}
	func() {
		defer s.contain(sc, log)
		panic("boom") // as a bug's would
	}()
	if !strings.Contains(logs.String(), "panicked") || !strings.Contains(logs.String(), "contain_test.go") {
		t.Fatalf("log: %s", logs.String())
	}
	// The client sees its connection end.
	if _, err := c.Recv(ctx); err == nil {
		t.Fatal("the connection outlived the panic")
	}
}
