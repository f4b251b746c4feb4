package flaxfile

import (
	"context"
	"io/fs"
	"os"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/filecopy"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// seedLocal starts a download from the file already at path (an older
// version, say): the server's block hashes (GET_BLOCKS) are compared with
// the local file's, and each block that matches is copied into the
// partial file, hashed there and journaled, so that only the others are
// fetched. The local file is only read; it is opened beneath its
// directory without following links, and only when it is a regular file.
func (d *download) seedLocal(ctx context.Context, dir localDir, path string) error {
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return nil // nothing to start from
	}
	old, err := dir.open(path, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil
	}
	defer old.Close()
	fi, err := old.Stat()
	if err != nil || fi.Mode()&fs.ModeType != 0 {
		return nil
	}
	r, err := d.c.request(ctx, wire.GetBlocks{Handle: d.rf.handle})
	if err != nil {
		return err
	}
	rep, err := wire.ParseGetBlocksReply(r.frames, d.rf.Size)
	r.Release()
	if err != nil {
		return err
	}
	size, oldSize := d.rf.Size, fi.Size()
	for b, n := range digest.Aligned(size, oldSize) {
		want := rep.Sums[b]
		if d.have[b] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		off := b * digest.BlockSize
		if local, err := digest.FileBlocks(old, off, n); err != nil || local[0] != want {
			continue
		}
		if err := filecopy.Range(d.f, old, off, n); err != nil {
			return err
		}
		got, err := digest.FileBlocks(d.f, off, n) // what the partial file holds
		if err != nil || got[0] != want {
			continue
		}
		if err := d.record(b, got); err != nil {
			return err
		}
		d.have[b] = true
	}
	return nil
}
