package flaxfile

import (
	"fmt"
	"os"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// readSmall reads a whole small file and returns it with its time (ns)
// and permission bits; one that grew past the batch limit since it was
// listed is an error (it would be sent on its own next time).
func readSmall(path string) ([]byte, int64, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, 0, fmt.Errorf("flaxfile: %s is no longer a regular file", path)
	}
	if fi.Size() > wire.MaxSmallFile {
		return nil, 0, 0, fmt.Errorf("flaxfile: %s grew to %d octets while being sent", path, fi.Size())
	}
	data := make([]byte, fi.Size())
	if n, err := f.ReadAt(data, 0); int64(n) < fi.Size() {
		return nil, 0, 0, fmt.Errorf("flaxfile: reading %s: %w", path, err)
	}
	return data, fi.ModTime().UnixNano(), uint32(fi.Mode().Perm()), nil
}
