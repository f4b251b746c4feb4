package s3

import (
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// rmemMax is the largest receive buffer a socket may ask for
// (net.core.rmem_max), 0 when unknown.
var rmemMax = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return n
})

// boundWindow holds c's receive buffer to n octets, which bounds what the
// kernel takes in ahead of the reader. It does so only where the system
// lets a socket have n (a fixed buffer ends the kernel's own tuning; one
// cut to a small net.core.rmem_max would throttle a distant store).
func boundWindow(c net.Conn, n int) {
	if tc, ok := c.(*net.TCPConn); ok && rmemMax() >= n {
		_ = tc.SetReadBuffer(n)
	}
}
