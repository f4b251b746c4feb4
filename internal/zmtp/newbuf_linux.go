package zmtp

import (
	"syscall"
	"unsafe"
)

// madvise(2) advice (Linux).
const (
	madvHugePage      = 14
	madvPopulateWrite = 23 // Linux 5.14
)

// hugePage is the size of a transparent huge page on x86-64 and arm64
// with 4 KiB pages; elsewhere the advice is merely not taken.
const hugePage = 2 << 20

// newBuffer returns a buffer of size octets with its pages already mapped
// in. Page faults are dear (in some virtual machines over ten
// microseconds per 4 KiB page, a quarter of a second for 64 MiB), and a
// client's buffers are all new: a buffer of a huge page or more is placed
// on huge-page boundaries and asks for transparent huge pages, which map
// in twenty times faster where the system grants them, and all of it is
// mapped in with one system call instead of one fault per page. Both are
// hints: an older kernel, or one set not to give huge pages, maps the
// pages one by one as before. The buffer stays an ordinary Go allocation,
// freed by the garbage collector.
func newBuffer(size int) []byte {
	if size < hugePage {
		b := make([]byte, size)
		populate(b)
		return b
	}
	raw := make([]byte, size+hugePage)
	off := (hugePage - int(uintptr(unsafe.Pointer(&raw[0]))%hugePage)) % hugePage
	b := raw[off : off+size : off+size]
	_ = syscall.Madvise(b[:size/hugePage*hugePage], madvHugePage)
	populate(b)
	return b
}

// populate maps in the whole pages of b with one system call.
func populate(b []byte) {
	const page = 4096
	if len(b) < 2*page {
		return
	}
	start := uintptr(unsafe.Pointer(&b[0]))
	first := (page - start%page) % page
	n := (uintptr(len(b)) - first) / page * page
	_ = syscall.Madvise(b[first:first+n], madvPopulateWrite)
}
