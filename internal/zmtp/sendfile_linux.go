package zmtp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

// sendFile sends n octets of f from off to the socket with sendfile(2),
// leaving f's own offset alone so that many senders can share one file.
func sendFile(nc net.Conn, f *os.File, off, n int64) error {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return copyFile(nc, f, off, n)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	fc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	ferr := fc.Control(func(infd uintptr) {
		werr := rc.Write(func(outfd uintptr) bool {
			for n > 0 {
				m, e := syscall.Sendfile(int(outfd), int(infd), &off, int(min(n, 1<<30)))
				if m > 0 {
					n -= int64(m)
				}
				switch {
				case e == syscall.EAGAIN:
					return false // wait until the socket is writable
				case e == syscall.EINTR:
					continue
				case e != nil:
					serr = os.NewSyscallError("sendfile", e)
					return true
				case m == 0:
					serr = fmt.Errorf("zmtp: file ended %d octets early: %w", n, io.ErrUnexpectedEOF)
					return true
				}
			}
			return true
		})
		if werr != nil && serr == nil {
			serr = werr
		}
	})
	if ferr != nil {
		return ferr
	}
	if errors.Is(serr, syscall.EINVAL) || errors.Is(serr, syscall.ENOSYS) {
		return copyFile(nc, f, off, n)
	}
	return serr
}
