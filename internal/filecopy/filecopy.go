// Package filecopy copies a range of one open file into another: inside
// the kernel where it can (copy_file_range on Linux, which shares the
// blocks on file systems that can), else through a buffer. Delta
// transfers use it to build a new version from an old one.
package filecopy

import (
	"io"
	"os"
)

// Range copies [srcOff, srcOff+n) of src to [dstOff, dstOff+n) of dst. A
// src shorter than srcOff+n is io.ErrUnexpectedEOF.
func Range(dst, src *os.File, dstOff, srcOff, n int64) error {
	if done, err := inKernel(dst, src, dstOff, srcOff, n); err != nil || done {
		return err
	}
	return Buffered(dst, src, dstOff, srcOff, n)
}

// bufSize is the most Buffered holds at once.
const bufSize = 1 << 20

// Buffered copies [srcOff, srcOff+n) of src to [dstOff, dstOff+n) of dst
// through a buffer in memory of up to bufSize octets (a read of a store
// may be a request of its own: few and large).
func Buffered(dst io.WriterAt, src io.ReaderAt, dstOff, srcOff, n int64) error {
	return From(dst, dstOff, io.NewSectionReader(src, srcOff, n), n)
}

// From copies n octets that r yields to [dstOff, dstOff+n) of dst through
// a buffer of up to bufSize octets; r ending sooner is
// io.ErrUnexpectedEOF.
func From(dst io.WriterAt, dstOff int64, r io.Reader, n int64) error {
	buf := make([]byte, max(1, min(n, bufSize)))
	w, err := io.CopyBuffer(io.NewOffsetWriter(dst, dstOff), io.LimitReader(r, n), buf)
	if err == nil && w < n {
		err = io.ErrUnexpectedEOF
	}
	return err
}
