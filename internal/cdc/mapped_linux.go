package cdc

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
)

// cutMapped cuts [off, end) of f mapped read-only into memory; done is
// false when it cannot be mapped (the caller reads it instead). A fault
// while reading the mapping (the file was cut short meanwhile) is an
// error, not a crash.
func cutMapped(ctx context.Context, f *os.File, off, end int64, fn func(Chunk) error) (done bool, err error) {
	page := int64(os.Getpagesize())
	start := off &^ (page - 1)
	n := end - start
	if n <= 0 || n != int64(int(n)) {
		return false, nil
	}
	data, err := syscall.Mmap(int(f.Fd()), start, int(n), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return false, nil
	}
	defer syscall.Munmap(data)
	_ = syscall.Madvise(data, syscall.MADV_SEQUENTIAL)
	return true, guard(func() error { return cutBytes(ctx, data[off-start:], off, fn) })
}

// guard runs f, turning a fault on a mapping it reads into an error.
func guard(f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			fault, ok := r.(interface{ Addr() uintptr })
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("cdc: the file changed while it was cut (fault at %#x)", fault.Addr())
		}
	}()
	return f()
}
