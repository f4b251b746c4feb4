// Package filecopy copies a range of one open file to the same place in
// another: inside the kernel where it can (copy_file_range on Linux,
// which shares the blocks on file systems that can), else through a
// buffer. Delta transfers use it to build a new version from an old one.
package filecopy

import (
	"io"
	"os"
)

// Range copies [off, off+n) of src to [off, off+n) of dst. A src shorter
// than off+n is io.ErrUnexpectedEOF.
func Range(dst, src *os.File, off, n int64) error {
	if done, err := inKernel(dst, src, off, n); err != nil || done {
		return err
	}
	return Buffered(dst, src, off, n)
}

// Buffered copies [off, off+n) of src to the same place in dst through a
// buffer in memory.
func Buffered(dst io.WriterAt, src io.ReaderAt, off, n int64) error {
	w, err := io.Copy(io.NewOffsetWriter(dst, off), io.NewSectionReader(src, off, n))
	if err == nil && w < n {
		err = io.ErrUnexpectedEOF
	}
	return err
}
