package flaxfile

import (
	"context"
	"fmt"
	"io/fs"
	"os"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/filecopy"
	"github.com/flaxfile/flaxfile/internal/wire"
	"golang.org/x/sync/errgroup"
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
	rep, err := wire.ParseSumsReply(r.frames, wire.CmdGetBlocks, digest.Blocks(d.rf.Size), wire.MaxGetBlocks)
	r.Release()
	if err != nil {
		return err
	}
	size, oldSize := d.rf.Size, fi.Size()
	var differ []int64 // blocks whose local copy differs
	for b, n := range digest.Aligned(size, oldSize) {
		want := rep.Sums[b]
		if d.have[b] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		off := b * digest.BlockSize
		local, err := digest.FileBlocks(old, off, n)
		if err != nil {
			continue
		}
		if local[0] != want {
			differ = append(differ, b)
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
	if d.c.patch && len(differ) > 0 {
		return d.mendLocal(ctx, old, differ, rep.Sums)
	}
	return nil
}

// mendLocal starts blocks whose local copy differs from the server's
// from that copy, fetching only the 64 KiB pieces that differ (GET_SUMS,
// then a GET_RANGE per run of them), when they are few enough; a block
// is kept only if it then hashes to want's. The others are fetched whole.
func (d *download) mendLocal(ctx context.Context, old *os.File, differ []int64, want []digest.Sum) error {
	for len(differ) > 0 {
		batch := differ[:min(len(differ), wire.MaxSumsBlocks)]
		differ = differ[len(batch):]
		var n int64
		for _, b := range batch {
			n += wire.Pieces(digest.BlockLen(d.rf.Size, b))
		}
		r, err := d.c.request(ctx, wire.GetSums{Handle: d.rf.handle, Blocks: batch})
		if err != nil {
			return err
		}
		sums, err := wire.ParseSumsReply(r.frames, wire.CmdGetSums, n, wire.MaxSums)
		r.Release()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(4)
		i := int64(0)
		for _, b := range batch {
			k := wire.Pieces(digest.BlockLen(d.rf.Size, b))
			theirs := sums.Sums[i : i+k]
			i += k
			g.Go(func() error { return d.mendBlock(gctx, old, b, theirs, want[b]) })
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	return nil
}

// mendBlock copies block b of the local file into the partial file and
// fetches over it the runs of pieces that differ from theirs, unless they
// are most of the block; it keeps the block if it then hashes to want.
func (d *download) mendBlock(ctx context.Context, old *os.File, b int64, theirs []digest.Sum, want digest.Sum) error {
	n := digest.BlockLen(d.rf.Size, b)
	base := b * digest.BlockSize
	local := make([]byte, n)
	if k, _ := old.ReadAt(local, base); int64(k) < n {
		return nil // changed under us: fetched whole
	}
	type run struct{ off, n int64 } // within the block
	var runs []run
	var octets int64
	for i := range int64(len(theirs)) {
		lo, hi := i*wire.PatchPiece, min((i+1)*wire.PatchPiece, n)
		if digest.Block(local[lo:hi]) == theirs[i] {
			continue
		}
		if len(runs) > 0 && runs[len(runs)-1].off+runs[len(runs)-1].n == lo {
			runs[len(runs)-1].n += hi - lo
		} else {
			runs = append(runs, run{lo, hi - lo})
		}
		octets += hi - lo
	}
	if octets*4 > n*patchAt {
		return nil // mostly new: fetched whole
	}
	if _, err := d.f.WriteAt(local, base); err != nil {
		return err
	}
	for _, rn := range runs {
		r, err := d.c.request(ctx, wire.GetRange{Handle: d.rf.handle, Offset: base + rn.off, Len: rn.n})
		if err != nil {
			return err
		}
		m, err := wire.ParseNumbered(r.frames, wire.CmdGetRange, wire.ReplyData)
		if err == nil && (m.N != base+rn.off || int64(len(m.Data)) != rn.n) {
			err = fmt.Errorf("%s answered %d octets at %d, want %d at %d", wire.CmdGetRange, len(m.Data), m.N, rn.n, base+rn.off)
		}
		if err != nil {
			r.Release()
			return fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		_, err = d.f.WriteAt(m.Data, base+rn.off)
		r.Release()
		if err != nil {
			return err
		}
		d.moved.Add(rn.n)
	}
	got, err := digest.FileBlocks(d.f, base, n)
	if err != nil || got[0] != want {
		return err // not kept: fetched whole
	}
	if err := d.record(b, got); err != nil {
		return err
	}
	d.have[b] = true
	return nil
}
