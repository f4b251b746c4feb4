//go:build unix

package disk

import "syscall"

// openOldFlags keep openOld from following a final symbolic link or
// blocking on a FIFO.
const openOldFlags = syscall.O_NONBLOCK | syscall.O_NOFOLLOW
