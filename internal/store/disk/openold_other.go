//go:build !unix

package disk

// openOldFlags: no such flags here; the store holds regular files only.
const openOldFlags = 0
