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

// Buffered copies [srcOff, srcOff+n) of src to [dstOff, dstOff+n) of dst
// through a buffer in memory.
func Buffered(dst io.WriterAt, src io.ReaderAt, dstOff, srcOff, n int64) error {
	w, err := io.Copy(io.NewOffsetWriter(dst, dstOff), io.NewSectionReader(src, srcOff, n))
	if err == nil && w < n {
		err = io.ErrUnexpectedEOF
	}
	return err
}
