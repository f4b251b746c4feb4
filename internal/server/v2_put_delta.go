package server

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/filecopy"
	"github.com/flaxfile/flaxfile/internal/store"
)

// seed starts an upload from the file its key holds now (Put.Delta):
// each block of that file that can stand where it is in the new file (the
// same length at the same place) is hashed where it lies (or its hash
// read from the record kept with the file, sums.go) and held as
// borrowed, so that PUT's reply lists it and the client sends only the
// blocks that differ. A borrowed block is copied into the upload only
// when something needs it there (materialize): mending it, or PUT_END;
// one the client rebuilds or sends is never copied. The old file is only
// read, from the version open when the upload started: its readers are
// not affected, and the upload is published as any other, after the hash
// of all its blocks is the client's. Blocks the upload holds already (a
// resumed one) stay; a key holding no file, or a store that cannot open
// it, seeds nothing.
func (t *putTable) seed(ctx context.Context, s *putSession) error {
	s.mu.Lock()
	skip := s.seeded || s.done
	s.seeded = true
	s.mu.Unlock()
	if skip || t.store == nil {
		return nil
	}
	old, err := t.store.Open(ctx, s.hdr.Key)
	if err != nil {
		return nil // nothing to start from
	}
	var todo []int64
	for i := range digest.Aligned(s.hdr.Size, old.Info().Size) {
		if !s.holds(i) {
			todo = append(todo, i)
		}
	}
	got := make(map[int64]digest.Sum, len(todo))
	rec := recordedSums(old)
	if rec != nil {
		for _, i := range todo {
			got[i] = rec[i]
		}
	} else {
		sums, err := hashOld(ctx, old, s.hdr.Size, todo)
		if err != nil {
			old.Close()
			return err
		}
		for k, i := range todo {
			got[i] = sums[k]
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(got) == 0 || s.done {
		old.Close()
		return nil
	}
	s.base, s.baseRecorded = old, rec != nil
	for i, sum := range got {
		if _, ok := s.blocks[i]; !ok { // a chunk that landed meanwhile wins
			s.blocks[i] = sum
			s.borrowed[i] = true
		}
	}
	return nil
}

// seedWorkers is how many blocks seed hashes at once: the client waits
// for PUT's reply meanwhile, so the cores are the server's.
var seedWorkers = min(runtime.GOMAXPROCS(0), 4)

// hashOld hashes blocks todo of old, a file whose blocks are laid out
// as in one of size octets, seedWorkers at a time: the k-th hash is
// block todo[k]'s.
func hashOld(ctx context.Context, old io.ReaderAt, size int64, todo []int64) ([]digest.Sum, error) {
	sums := make([]digest.Sum, len(todo))
	err := atOnce(len(todo), func(k int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		i := todo[k]
		s, err := digest.FileBlocks(old, i*digest.BlockSize, digest.BlockLen(size, i))
		if err == nil {
			sums[k] = s[0]
		}
		return err
	})
	return sums, err
}

// atOnce calls f for 0 … n-1, seedWorkers calls at a time; a worker stops
// at its first error, and the errors come back joined.
func atOnce(n int, f func(k int) error) error {
	var next atomic.Int64
	errs := make([]error, seedWorkers)
	var wg sync.WaitGroup
	for w := range seedWorkers {
		wg.Go(func() {
			for k := next.Add(1) - 1; k < int64(n); k = next.Add(1) - 1 {
				if errs[w] = f(int(k)); errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// materialize copies borrowed block b from the old file into the upload,
// hashes the copy and journals it; the caller holds wmu. A block not
// borrowed is left as it is.
func (s *putSession) materialize(b int64) error {
	ok, err := s.copyBorrowed(b)
	if err != nil || !ok {
		return err
	}
	return s.settleBorrowed(b)
}

// copyBorrowed copies borrowed block b from the old file into the upload
// and checks the copy's hash; false when b is not borrowed, or no longer
// (its copy hashed otherwise: unborrow). The caller holds wmu; copies of
// different blocks may run at once.
func (s *putSession) copyBorrowed(b int64) (bool, error) {
	s.mu.Lock()
	borrowed, want, base := s.borrowed[b], s.blocks[b], s.base
	s.mu.Unlock()
	if !borrowed {
		return false, nil
	}
	off, n := b*digest.BlockSize, digest.BlockLen(s.hdr.Size, b)
	if err := copyRange(s.part, base, off, off, n); err != nil {
		return false, err
	}
	sums, err := digest.FileBlocks(s.part, off, n)
	if err != nil {
		return false, err
	}
	if sums[0] != want {
		s.unborrow(b, base)
		return false, nil
	}
	return true, nil
}

// unborrow lets go of borrowed block b, whose copy hashed otherwise than
// the old file's block did (the file changed under its record, or on its
// disk): the upload no longer holds it, so PUT_END finds it missing and
// the client sends it in another round. A record that said otherwise is
// dropped, so that the next upload hashes the file itself.
func (s *putSession) unborrow(b int64, base store.Object) {
	s.mu.Lock()
	recorded := s.baseRecorded
	delete(s.blocks, b)
	delete(s.borrowed, b)
	s.mu.Unlock()
	if k, ok := base.(store.SumsKeeper); ok && recorded {
		_ = k.ForgetSums()
	}
}

// settleBorrowed journals block b, copied, as held in the upload itself.
func (s *putSession) settleBorrowed(b int64) error {
	s.mu.Lock()
	want := s.blocks[b]
	s.mu.Unlock()
	if err := s.recordBlock(b, want); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.borrowed, b)
	s.mu.Unlock()
	return nil
}

// materializeAll copies every block still borrowed into the upload,
// seedWorkers blocks at once (the client waits for PUT_END meanwhile),
// and journals them in order.
func (s *putSession) materializeAll() error {
	s.mu.Lock()
	var todo []int64
	for b := range s.borrowed {
		todo = append(todo, b)
	}
	s.mu.Unlock()
	slices.Sort(todo)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	copied := make([]bool, len(todo))
	err := atOnce(len(todo), func(k int) (err error) {
		copied[k], err = s.copyBorrowed(todo[k])
		return err
	})
	if err != nil {
		return err
	}
	for k, b := range todo {
		if copied[k] {
			if err := s.settleBorrowed(b); err != nil {
				return err
			}
		}
	}
	return nil
}

// closeBase closes the old file once the session has ended.
func (s *putSession) closeBase() {
	s.mu.Lock()
	base := s.base
	s.base = nil
	s.mu.Unlock()
	if base != nil {
		_ = base.Close()
	}
}

// copyRange copies [srcOff, srcOff+n) of src to [dstOff, dstOff+n) of
// dst: inside the kernel when both are files; from one response of the
// store's when it streams ranges (an object store, where every read is a
// request: ranges copied in order, as whole files are, share one); else
// through a buffer.
func copyRange(dst store.Upload, src store.Object, dstOff, srcOff, n int64) error {
	if df, ok := dst.(store.Filer); ok {
		if sf, ok := src.(store.Filer); ok {
			return filecopy.Range(df.File(), sf.File(), dstOff, srcOff, n)
		}
	}
	if rr, ok := src.(store.RangeReader); ok && n > 0 {
		r, err := rr.ReadRange(context.Background(), srcOff, n)
		if err != nil {
			return err
		}
		err = filecopy.From(dst, dstOff, r, n)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return filecopy.Buffered(dst, src, dstOff, srcOff, n)
}
