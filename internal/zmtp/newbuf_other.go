//go:build !linux

package zmtp

// newBuffer returns a buffer of size octets.
func newBuffer(size int) []byte { return make([]byte, size) }
