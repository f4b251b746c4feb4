//go:build !linux || !(amd64 || arm64 || arm || 386 || riscv64 || loong64 || s390x)

package zmtp

import "net"

// lowWaterSock is a stand-in where the mark is not set: elsewhere a
// socket's low-water mark is not honoured alike by its readiness events.
type lowWaterSock struct{}

// newLowWater returns a lowWater that sets nothing.
func newLowWater(net.Conn) lowWater { return lowWater{set: 1} }

func (lowWaterSock) ok() bool { return false }

func (lowWaterSock) mark(int) bool { return false }

func (lowWaterSock) queued() bool { return false }
