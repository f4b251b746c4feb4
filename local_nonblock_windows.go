//go:build windows

package flaxfile

// nonBlock has no use on Windows, which has no FIFOs in the file system.
const nonBlock = 0
