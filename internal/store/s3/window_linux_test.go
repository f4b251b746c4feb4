package s3

import (
	"net"
	"syscall"
	"testing"
)

// A connection to the store takes in no more than passWindow ahead of its
// reader where the system allows a buffer that large, and keeps the
// kernel's tuning where it does not.
func TestBoundWindow(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 1 << 20
	boundWindow(c, n)
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	_ = rc.Control(func(fd uintptr) { got, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF) })
	if err != nil {
		t.Fatal(err)
	}
	if rmemMax() >= n {
		if got != 2*n { // the kernel doubles what is asked, for its bookkeeping
			t.Fatalf("receive buffer %d, want %d", got, 2*n)
		}
	} else if got == 2*n {
		t.Fatalf("receive buffer fixed at %d beyond the system's limit %d", got, rmemMax())
	}
}
