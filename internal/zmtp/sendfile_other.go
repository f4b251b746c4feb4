//go:build !linux

package zmtp

import (
	"net"
	"os"
)

// sendFile sends n octets of f from off to the socket.
func sendFile(nc net.Conn, f *os.File, off, n int64) error {
	return copyFile(nc, f, off, n)
}
