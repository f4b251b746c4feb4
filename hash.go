package flaxfile

import (
	"encoding/hex"
	"fmt"
	"io"

	"github.com/zeebo/xxh3"
)

// hashReaderAt returns the XXH3-128 of size octets of src, in hex
// (big-endian), read in order in 4 MiB blocks.
func hashReaderAt(src io.ReaderAt, size int64) (string, error) {
	h := xxh3.New()
	buf := make([]byte, 4<<20)
	for off := int64(0); off < size; {
		n := int(min(int64(len(buf)), size-off))
		m, err := src.ReadAt(buf[:n], off)
		if m < n {
			return "", fmt.Errorf("flaxfile: reading at %d to hash: %w", off, err)
		}
		h.Write(buf[:n])
		off += int64(n)
	}
	sum := h.Sum128().Bytes()
	return hex.EncodeToString(sum[:]), nil
}
