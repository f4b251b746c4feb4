package flaxfile

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/flaxfile/flaxfile/internal/cdc"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/filecopy"
	"github.com/flaxfile/flaxfile/internal/wire"
	"golang.org/x/sync/errgroup"
)

// seedLocal starts a download from the file already at path (an older
// version, say): each of its blocks that can stand where it is in the new
// file is copied into the partial file and hashed there; those that hash
// as the server's (GET_BLOCKS) are journaled and not fetched, those that
// differ are mended piece by piece when few pieces do (mendLocal). The
// local file is only read; it is opened beneath its directory without
// following links, and only when it is a regular file.
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
	pre := startPreHash(ctx, old, old, fi.Size())
	defer pre.end()
	r, err := d.c.request(ctx, wire.GetBlocks{Handle: d.rf.handle})
	if err != nil {
		return err
	}
	rep, err := wire.ParseSumsReply(r.frames, wire.CmdGetBlocks, digest.Blocks(d.rf.Size), wire.MaxGetBlocks)
	r.Release()
	if err != nil {
		return err
	}
	var differ []int64 // blocks whose local copy differs
	aligned := 0
	for b, n := range digest.Aligned(d.rf.Size, fi.Size()) {
		if d.have[b] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		aligned++
		off := b * digest.BlockSize
		local, ok := pre.sum(b)
		if !ok {
			sums, err := digest.FileBlocks(old, off, n)
			if err != nil {
				return err
			}
			local = sums[0]
		}
		if local != rep.Sums[b] {
			if b == 0 && d.c.cuts && fi.Size() <= wire.MaxCutsFile {
				// The first block changed: the data may have shifted,
				// and the server cuts its file while we hash.
				d.ahead = later(func() ([]cdc.Chunk, error) { return d.c.cuts2(ctx, wire.GetCuts{Handle: d.rf.handle}, d.rf.Size) })
				d.mine = later(func() ([]cdc.Chunk, error) { return cutAll(ctx, old, fi.Size()) })
			}
			differ = append(differ, b)
			continue
		}
		if err := filecopy.Range(d.f, old, off, off, n); err != nil {
			return err // the rest is fetched
		}
		if err := d.keep(b, rep.Sums[b]); err != nil {
			return err
		}
	}
	// Few blocks changed: an edit in place, mended piece by piece; most:
	// the data has likely shifted, and only content-defined chunks find
	// it (buildLocal), as they find what mending could not.
	if d.c.patch && len(differ) > 0 && 2*len(differ) <= aligned {
		if err := d.mendLocal(ctx, old, differ, rep.Sums); err != nil {
			return err
		}
	}
	if d.c.cuts && slices.ContainsFunc(differ, func(b int64) bool { return !d.have[b] }) {
		return d.buildLocal(ctx, old, fi.Size(), rep.Sums)
	}
	return nil
}

// mendLocal mends blocks whose local copy (in old) differs from the
// server's: it asks for the hashes of their pieces
// (GET_SUMS) and fetches only the runs of pieces that differ (GET_RANGE),
// when few enough do; a block is kept only if it then hashes to want's.
// The others are fetched whole.
func (d *download) mendLocal(ctx context.Context, old *os.File, differ []int64, want []digest.Sum) error {
	for len(differ) > 0 {
		batch := differ[:min(len(differ), wire.MaxSumsBlocks)]
		differ = differ[len(batch):]
		r, err := d.c.request(ctx, wire.GetSums{Handle: d.rf.handle, Blocks: batch})
		if err != nil {
			return err
		}
		sums, err := wire.ParseSumsReply(r.frames, wire.CmdGetSums, pieceCount(d.rf.Size, batch), wire.MaxSums)
		r.Release()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		theirs := byBlock(sums.Sums, d.rf.Size, batch)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(4)
		for k, b := range batch {
			g.Go(func() error { return d.mendBlock(gctx, old, b, theirs[k], want[b]) })
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	return nil
}

// mendBlock copies block b of old into the partial file and fetches over
// it the runs of pieces that differ from theirs, unless they are most of
// the block; it keeps the block if it then hashes to want.
func (d *download) mendBlock(ctx context.Context, old *os.File, b int64, theirs []digest.Sum, want digest.Sum) error {
	n := digest.BlockLen(d.rf.Size, b)
	base := b * digest.BlockSize
	local := make([]byte, n)
	if k, err := old.ReadAt(local, base); int64(k) < n {
		return err
	}
	runs, pays := changedRuns(local, theirs)
	if !pays {
		return nil // mostly new: fetched whole
	}
	if _, err := d.f.WriteAt(local, base); err != nil {
		return err
	}
	for _, rn := range runs {
		if err := d.fetchRange(ctx, base+rn.off, rn.n); err != nil {
			return err
		}
	}
	return d.keep(b, want)
}

// fetchRange fetches [off, off+n) of the server's file into the partial
// file (GET_RANGE; n at most wire.MaxChunk2).
func (d *download) fetchRange(ctx context.Context, off, n int64) error {
	r, err := d.c.request(ctx, wire.GetRange{Handle: d.rf.handle, Offset: off, Len: n})
	if err != nil {
		return err
	}
	defer r.Release()
	m, err := wire.ParseNumbered(r.frames, wire.CmdGetRange, wire.ReplyData)
	if err == nil && (m.N != off || int64(len(m.Data)) != n) {
		err = fmt.Errorf("%s answered %d octets at %d, want %d at %d", wire.CmdGetRange, len(m.Data), m.N, n, off)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if _, err = d.f.WriteAt(m.Data, off); err != nil {
		return err
	}
	d.moved.Add(n)
	return nil
}

// keep hashes block b of the partial file, built from local octets and
// fetched ones, and keeps it (journaled, not fetched again) if it hashes
// to want; otherwise it is fetched whole.
func (d *download) keep(b int64, want digest.Sum) error {
	got, err := digest.FileBlocks(d.f, b*digest.BlockSize, digest.BlockLen(d.rf.Size, b))
	if err != nil || got[0] != want {
		return err // not kept: fetched whole
	}
	if err := d.record(b, got); err != nil {
		return err
	}
	d.have[b] = true
	return nil
}
