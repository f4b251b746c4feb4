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
// owned by the connection's reader goroutine. For a Target with a Tap, a
// second pipe receives a tee(2) of the first (the same pages, not a copy)
// and the Tap reads from it: reading a pipe costs a copy, where reading
// the file back would also look every page up in the page cache.
type splicer struct {
	r, w   int    // pipe ends; -1 until first used
	tr, tw int    // the tee pipe's ends; -1 until first used
	tap    []byte // buffer for Target.Tap, allocated when first needed
}

// newSplicer returns a splicer with no pipe yet.
func newSplicer() splicer { return splicer{r: -1, w: -1, tr: -1, tw: -1} }

func (s *splicer) close() {
	for _, fd := range []*int{&s.r, &s.w, &s.tr, &s.tw} {
		if *fd >= 0 {
			syscall.Close(*fd)
			*fd = -1
		}
	}
}

// newPipe returns the ends of a pipe of pipeSize octets (or what the
// kernel grants).
func newPipe() (r, w int, err error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return -1, -1, err
	}
	_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, uintptr(p[1]), fSetPipeSize, pipeSize)
	return p[0], p[1], nil
}

// spliceTo moves n octets from nc to t with splice(2): socket to pipe,
// pipe to file at its offset. It returns errNoSplice, having moved
// nothing, when the socket or file cannot be spliced.
func (s *splicer) spliceTo(nc net.Conn, t Target, n int64) error {
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
		if s.r, s.w, err = newPipe(); err != nil {
			return errNoSplice
		}
	}
	if t.Tap != nil && s.tr < 0 {
		if s.tr, s.tw, err = newPipe(); err != nil {
			return errNoSplice
		}
		s.tap = make([]byte, tapBuffer)
	}
	off := t.Offset
	for n > 0 {
		// Socket to pipe, waiting for the socket when it has nothing.
		var moved int64
		var serr error
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
		teed := int64(0)
		if t.Tap != nil {
			ok, err := s.tee(moved)
			if err != nil {
				if err := s.drain(s.r, moved); err != nil {
					return err
				}
				return &sinkWriteError{err: err, rest: n}
			}
			if ok {
				teed = moved
			}
		}
		start := off
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
			// What the pipes still hold is dropped; the caller drops the
			// rest of the body, and the connection goes on.
			if err := s.drain(s.r, moved); err != nil {
				return err
			}
			if err := s.drain(s.tr, teed); err != nil {
				return err
			}
			return &sinkWriteError{err: werr, rest: n}
		}
		if t.Tap != nil && teed == 0 {
			if err := t.tap(s.tap, off, off-start); err != nil {
				return &sinkWriteError{err: err, rest: n}
			}
		}
		// The tee pipe holds what was just written: to the Tap.
		for teed > 0 {
			k, err := syscall.Read(s.tr, s.tap[:min(teed, int64(len(s.tap)))])
			if err != nil || k == 0 {
				return fmt.Errorf("zmtp: reading the tee pipe: %v", err)
			}
			_, _ = t.Tap.Write(s.tap[:k])
			teed -= int64(k)
		}
	}
	return nil
}

// tee duplicates the n octets the pipe holds into the tee pipe, which is
// empty and has as many slots, and reports whether it did. When it cannot
// (the kernel granted the pipes different sizes), it leaves the tee pipe
// empty and the caller reads the file back instead.
func (s *splicer) tee(n int64) (bool, error) {
	k, err := syscall.Tee(s.r, s.tw, int(n), 0)
	if err != nil {
		return false, os.NewSyscallError("tee", err)
	}
	if k < n {
		return false, s.drain(s.tr, k)
	}
	return true, nil
}

// drain reads and drops n octets the pipe whose read end is fd holds.
func (s *splicer) drain(fd int, n int64) error {
	var buf [64 << 10]byte
	for n > 0 {
		k, err := syscall.Read(fd, buf[:min(n, int64(len(buf)))])
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
