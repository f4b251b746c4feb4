//go:build unix

package flaxfile

import "syscall"

// nonBlock opens a file without waiting on it: a FIFO put in a regular
// file's place is not waited on for a writer.
const nonBlock = syscall.O_NONBLOCK
