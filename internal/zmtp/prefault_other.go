//go:build !linux

package zmtp

// prefault does nothing where madvise(MADV_POPULATE_WRITE) is not known.
func prefault([]byte) {}
