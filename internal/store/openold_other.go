//go:build !unix

package store

// openOldFlags: no such flags here; the store holds regular files only.
const openOldFlags = 0
