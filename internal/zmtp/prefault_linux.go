package zmtp

import (
	"syscall"
	"unsafe"
)

// madvPopulateWrite is MADV_POPULATE_WRITE (madvise(2), Linux 5.14).
const madvPopulateWrite = 23

// prefault maps in, with one system call, the pages of a buffer just
// allocated, instead of one page fault per page on first touch; page faults
// are dear (in some virtual machines over ten microseconds each). It is a
// hint: on an older kernel it does nothing.
func prefault(b []byte) {
	const page = 4096
	if len(b) < 2*page {
		return
	}
	start := uintptr(unsafe.Pointer(&b[0]))
	first := (page - start%page) % page
	n := (uintptr(len(b)) - first) / page * page
	_ = syscall.Madvise(b[first:first+n], madvPopulateWrite)
}
