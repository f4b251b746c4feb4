//go:build !linux

package zmtp

import "net"

// splicer is a stand-in where splice(2) does not exist: nothing is
// spliced and bodies are read through user space.
type splicer struct{}

// newSplicer returns the stand-in.
func newSplicer() splicer { return splicer{} }

func (s *splicer) close() {}

func (s *splicer) spliceTo(nc net.Conn, lw *lowWater, t Target, n int64) error { return errNoSplice }
