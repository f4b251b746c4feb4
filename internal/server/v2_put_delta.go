package server

import (
	"context"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/filecopy"
	"github.com/flaxfile/flaxfile/internal/journal"
	"github.com/flaxfile/flaxfile/internal/store"
)

// seed starts a fresh upload from the file its key holds now (Put.Delta):
// each block of that file that can stand where it is in the new file (the
// same length at the same place) is copied into the upload, hashed from
// the copy, journaled and held, so that PUT's reply lists it and the
// client sends only the blocks that differ. The old file is only read:
// its readers are not affected, and the upload is published as any other,
// after the hash of all its blocks is the client's. A resumed upload (one
// with blocks already), a key holding no file, or a store that cannot
// open it, seeds nothing.
func (t *putTable) seed(ctx context.Context, s *putSession) error {
	s.mu.Lock()
	skip := s.seeded || s.done || len(s.blocks) > 0
	s.seeded = true
	s.mu.Unlock()
	if skip || t.store == nil {
		return nil
	}
	old, err := t.store.Open(ctx, s.hdr.Key)
	if err != nil {
		return nil // nothing to start from
	}
	defer old.Close()
	size, oldSize := s.hdr.Size, old.Info().Size
	var rec []byte
	got := map[int64]digest.Sum{}
	for i, n := range digest.Aligned(size, oldSize) {
		if err := ctx.Err(); err != nil {
			return err
		}
		off := i * digest.BlockSize
		s.wmu.Lock()
		err := copyRange(s.part, old, off, off, n)
		var sums []digest.Sum
		if err == nil {
			sums, err = digest.FileBlocks(s.part, off, n)
		}
		s.wmu.Unlock()
		if err != nil {
			return err
		}
		got[i] = sums[0]
		rec = journal.AppendRecord(rec, i, sums[0])
	}
	if len(rec) == 0 {
		return nil
	}
	if err := s.part.AppendJournal(rec); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sum := range got {
		if _, ok := s.blocks[i]; !ok { // a chunk that landed meanwhile wins
			s.blocks[i] = sum
		}
	}
	return nil
}

// copyRange copies [srcOff, srcOff+n) of src to [dstOff, dstOff+n) of
// dst: inside the kernel when both are files, else through a buffer.
func copyRange(dst store.Upload, src store.Object, dstOff, srcOff, n int64) error {
	if df, ok := dst.(store.Filer); ok {
		if sf, ok := src.(store.Filer); ok {
			return filecopy.Range(df.File(), sf.File(), dstOff, srcOff, n)
		}
	}
	return filecopy.Buffered(dst, src, dstOff, srcOff, n)
}
