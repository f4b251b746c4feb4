//go:build linux && (amd64 || arm64 || arm || 386 || riscv64 || loong64 || s390x)

package zmtp

import (
	"net"
	"syscall"
	"unsafe"
)

// lowWaterSock sets SO_RCVLOWAT on a TCP socket.
type lowWaterSock struct {
	rc syscall.RawConn // nil: not a socket whose mark can be set
}

// newLowWater returns nc's lowWater; one that sets nothing unless nc is a
// TCP connection.
func newLowWater(nc net.Conn) lowWater {
	l := lowWater{set: 1}
	sc, ok := nc.(syscall.Conn)
	if _, tcp := nc.LocalAddr().(*net.TCPAddr); ok && tcp {
		l.sock.rc, _ = sc.SyscallConn()
	}
	return l
}

func (s lowWaterSock) ok() bool { return s.rc != nil }

// mark sets the socket's mark to v octets, reporting whether it took.
func (s lowWaterSock) mark(v int) bool {
	if s.rc == nil {
		return false
	}
	var err error
	if cerr := s.rc.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, v)
	}); cerr != nil {
		return false
	}
	return err == nil
}

// queued reports whether the socket holds octets not yet read.
func (s lowWaterSock) queued() bool {
	if s.rc == nil {
		return false
	}
	n := 0
	_ = s.rc.Control(func(fd uintptr) {
		var v int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, sIOCINQ, uintptr(unsafe.Pointer(&v))); e == 0 {
			n = int(v)
		}
	})
	return n > 0
}

// sIOCINQ is SIOCINQ (FIONREAD): octets a socket holds unread (its value
// on the architectures this file is built for).
const sIOCINQ = 0x541B
