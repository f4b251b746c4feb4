package flaxfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"slices"
	"syscall"
	"testing"

	"github.com/flaxfile/flaxfile/internal/zmtp"
)

func TestSplitAddrs(t *testing.T) {
	got, err := splitAddrs("a, b:1,[::1]:2,,[::1]")
	want := []string{"a:25555", "b:1", "[::1]:2", "[::1]:25555"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("splitAddrs = %q, %v; want %q", got, err, want)
	}
	if _, err := splitAddrs(" ,"); err == nil {
		t.Error("no address was taken")
	}
}

// Only a server that stopped answering sends a transfer to another: a
// refusal, a protocol violation, a bad checksum, a local file's error or
// the caller's cancel end it.
func TestTransportFailure(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("x: %w", io.EOF), true},
		{io.ErrUnexpectedEOF, true},
		{zmtp.ErrClosed, true},
		{fmt.Errorf("%w: no reply within 1m", ErrTimeout), true},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{nil, false},
		{&ServerError{Command: "PUT", Message: "no room"}, false},
		{fmt.Errorf("%w: odd reply", ErrProtocol), false},
		{ErrChecksum, false},
		{ErrWrongPassword, false},
		{ErrEncryptionRequired, false},
		{&fs.PathError{Op: "read", Path: "f", Err: io.ErrUnexpectedEOF}, false},
		{context.Canceled, false},
		{errors.New("something else"), false},
	} {
		if got := transportFailure(c.err); got != c.want {
			t.Errorf("transportFailure(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
