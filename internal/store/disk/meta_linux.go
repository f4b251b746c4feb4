package disk

import (
	"context"
	"errors"
	"os"

	"github.com/flaxfile/flaxfile/internal/store"
	"golang.org/x/sys/unix"
)

// metaAttr is the extended attribute that holds a file's Meta.
const metaAttr = "user.flaxfile"

// writeMeta stores meta on f; a file system without user extended
// attributes keeps none, which is not an error.
func writeMeta(f *os.File, meta []byte) error {
	err := unix.Fsetxattr(int(f.Fd()), metaAttr, meta, 0)
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
		return nil
	}
	return err
}

// readMeta returns f's Meta, or nil if it has none.
func readMeta(f *os.File) []byte {
	buf := make([]byte, store.MaxMeta)
	n, err := unix.Fgetxattr(int(f.Fd()), metaAttr, buf)
	if err != nil || n <= 0 {
		return nil
	}
	return buf[:n]
}

// sumsAttr is the extended attribute that holds a file's Sums.
const sumsAttr = "user.flaxfile.sums"

// writeSums stores sums on f where the file system can: a record it
// refuses (too large, no user attributes) is not kept, which is not an
// error.
func writeSums(f *os.File, sums []byte) {
	_ = unix.Fsetxattr(int(f.Fd()), sumsAttr, sums, 0)
}

// readSums returns f's Sums, or nil if it has none.
func readSums(f *os.File) []byte {
	buf := make([]byte, store.MaxSums)
	n, err := unix.Fgetxattr(int(f.Fd()), sumsAttr, buf)
	if err != nil || n <= 0 {
		return nil
	}
	return buf[:n]
}

// removeSums drops f's Sums.
func removeSums(f *os.File) error {
	err := unix.Fremovexattr(int(f.Fd()), sumsAttr)
	if errors.Is(err, unix.ENODATA) || errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
		return nil
	}
	return err
}

// SyncAll implements Syncer with syncfs(2) on the store's file system.
func (d *Store) SyncAll(ctx context.Context) error {
	f, err := d.root.Open(".")
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// Free implements Spacer: the octets an unprivileged writer may still use.
func (d *Store) Free(ctx context.Context) (int64, error) {
	f, err := d.root.Open(".")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
