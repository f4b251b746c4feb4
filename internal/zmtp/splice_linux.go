package zmtp

import (
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

// fSetPipeSize is F_SETPIPE_SZ (fcntl(2)).
const fSetPipeSize = 1031

// pipeSize is what we ask the kernel for; it may give less.
const pipeSize = 1 << 20

// splicer moves octets from a socket to files through a pipe it keeps,
// owned by the connection's reader goroutine.
type splicer struct {
	r, w int // pipe ends; -1 until first used
}

// newSplicer returns a splicer with no pipe yet.
func newSplicer() splicer { return splicer{r: -1, w: -1} }

func (s *splicer) close() {
	if s.r >= 0 {
		syscall.Close(s.r)
		syscall.Close(s.w)
		s.r, s.w = -1, -1
	}
}

// spliceTo moves n octets from nc to t with splice(2): socket to pipe,
// pipe to file at its offset. It returns errNoSplice, having moved
// nothing, when the socket or file cannot be spliced.
func (s *splicer) spliceTo(nc net.Conn, lw *lowWater, t Target, n int64) error {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return errNoSplice
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return errNoSplice
	}
	fc, err := t.File.SyscallConn()
	if err != nil {
		return errNoSplice
	}
	if s.r < 0 {
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			return errNoSplice
		}
		s.r, s.w = p[0], p[1]
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, uintptr(s.w), fSetPipeSize, pipeSize)
	}
	off := t.Offset
	lw.begin()
	defer lw.end()
	for n > 0 {
		// Socket to pipe, waiting for the socket when it has nothing
		// (under the mark: until a share of the body has come).
		var moved int64
		var serr error
		lw.owe(n)
		rerr := rc.Read(func(fd uintptr) bool {
			moved, serr = syscall.Splice(int(fd), nil, s.w, nil, int(min(n, pipeSize)), spliceMove|spliceNonblock)
			return serr != syscall.EAGAIN
		})
		if rerr != nil {
			return rerr
		}
		if serr != nil {
			return os.NewSyscallError("splice", serr)
		}
		if moved == 0 {
			return io.ErrUnexpectedEOF
		}
		n -= moved
		lw.read(int(moved))
		// Pipe to file, at the body's offset.
		if t.Lock != nil {
			t.Lock.Lock()
		}
		var ferr error
		cerr := fc.Control(func(fd uintptr) {
			for moved > 0 && ferr == nil {
				var k int64
				k, ferr = syscall.Splice(s.r, nil, int(fd), &off, int(moved), spliceMove)
				if k == 0 && ferr == nil {
					ferr = fmt.Errorf("zmtp: splice into file wrote nothing")
				}
				moved -= k
			}
		})
		if t.Lock != nil {
			t.Lock.Unlock()
		}
		if cerr != nil || ferr != nil {
			werr := cerr
			if werr == nil {
				werr = os.NewSyscallError("splice", ferr)
			}
			// What the pipe still holds is dropped; the caller drops the
			// rest of the body, and the connection goes on.
			if err := s.drain(moved); err != nil {
				return err
			}
			return &sinkWriteError{err: werr, rest: n}
		}
	}
	return nil
}

// drain reads and drops n octets the pipe holds.
func (s *splicer) drain(n int64) error {
	var buf [64 << 10]byte
	for n > 0 {
		k, err := syscall.Read(s.r, buf[:min(n, int64(len(buf)))])
		if err != nil {
			return os.NewSyscallError("read", err)
		}
		if k == 0 {
			return io.ErrUnexpectedEOF
		}
		n -= int64(k)
	}
	return nil
}

// splice(2) flags.
const (
	spliceMove     = 0x1
	spliceNonblock = 0x2
)
