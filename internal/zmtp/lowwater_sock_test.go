//go:build linux && (amd64 || arm64 || arm || 386 || riscv64 || loong64 || s390x)

package zmtp

import (
	"net"
	"syscall"
	"testing"
)

// The mark follows the pace and the octets owed, and is put back after.
func TestLowWaterMarks(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	mark := func() int {
		rc, _ := nc.(*net.TCPConn).SyscallConn()
		v := -1
		_ = rc.Control(func(fd uintptr) { v, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT) })
		return v
	}
	l := newLowWater(nc)
	for _, tc := range []struct {
		name string
		rate float64
		owed int64
		want int
	}{
		{"pace unknown", 0, 64 << 20, 1},
		{"fast, much owed", 1e9, 64 << 20, maxLowWater},
		{"fast, little owed", 1e9, 100 << 10, 100 << 10},
		{"fast, less owed than is worth a mark", 1e9, 10 << 10, 1},
		{"50 MB/s", 50e6, 64 << 20, 500000},
		{"slow", 1e6, 64 << 20, 1},
	} {
		l.rate = tc.rate
		l.owe(tc.owed)
		if got := mark(); got != tc.want || l.set != tc.want {
			t.Errorf("%s: mark %d (noted %d), want %d", tc.name, got, l.set, tc.want)
		}
	}
	l.rate = 1e9
	l.owe(64 << 20)
	l.end()
	if got := mark(); got != 1 {
		t.Errorf("mark %d after the body, want 1", got)
	}
}
