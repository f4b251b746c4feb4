package zmtp

import (
	"fmt"
	"io"
	"net"
	"os"
)

// copyFile sends n octets of f from off through user space, for sockets
// or files that sendfile cannot serve.
func copyFile(nc net.Conn, f *os.File, off, n int64) error {
	m, err := io.Copy(nc, io.NewSectionReader(f, off, n))
	if err != nil {
		return err
	}
	if m < n {
		return fmt.Errorf("zmtp: file ended %d octets early: %w", n-m, io.ErrUnexpectedEOF)
	}
	return nil
}
