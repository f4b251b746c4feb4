package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/journal"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// putHeader is the first line of a resumable upload's journal: what the
// upload is. A PUT whose parameters differ starts it afresh. The chunk
// size is not part of it: blocks are what is recorded, and a resumed
// upload may send chunks of another size.
type putHeader struct {
	Key   string `json:"key"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	Mode  uint32 `json:"mode"`
}

// spec describes the file to the store.
func (t *putTable) spec(h putHeader) store.Spec {
	sp := store.Spec{Size: h.Size, Mode: modeBits(h.Mode), WillSync: !t.noSync}
	if h.MTime > 0 {
		sp.ModTime = time.Unix(0, h.MTime)
	}
	return sp
}

// putSession is one resumable upload, shared by the connections that
// send its chunks.
type putSession struct {
	id   string
	hdr  putHeader
	part store.Partial
	wmu  sync.Mutex // queues writes to the file in user space

	mu       sync.Mutex           // guards what follows
	blocks   map[int64]digest.Sum // the blocks held, by index: memory grows with what arrived, never with the size declared
	received int64                // payload octets received since the server opened it
	done     bool
	seeded   bool         // seed has run (or was skipped)
	base     store.Object // the file a delta upload started from, while blocks are borrowed from it
	// baseRecorded: base's block hashes came from its record (sums.go)
	baseRecorded bool
	borrowed     map[int64]bool // held blocks still only in base (seed, materialize)
	failure      error          // why it was ended, if a write ended it
	settled      chan struct{}  // closed once done and its file published, kept or removed

	t      *putTable
	entry  *entry[*putSession] // its place in t.sessions
	opened time.Time           // when this server opened it
}

// load reads the journal of a partial found on disk and keeps the blocks
// whose data still hashes as recorded; it reports false when the journal
// describes another upload.
func (s *putSession) load() bool {
	j, err := s.part.Journal()
	if err != nil {
		return false
	}
	line, claimed, ok := journal.Parse(j, digest.Blocks(s.hdr.Size))
	var h putHeader
	if !ok || json.Unmarshal(line, &h) != nil || h != s.hdr {
		return false
	}
	if v, ok := s.part.(store.Vouched); ok && v.Vouched() {
		maps.Copy(s.blocks, claimed)
		return true
	}
	// The data may not have reached the disk before a crash: check it.
	f := s.part
	for i, sum := range claimed {
		got, err := digest.FileBlocks(f, i*digest.BlockSize, digest.BlockLen(s.hdr.Size, i))
		if err == nil && len(got) == 1 && got[0] == sum {
			s.blocks[i] = sum
		}
	}
	return true
}

// refresh adds the blocks other servers have recorded of an upload to a
// store they share (store.Refresher); those held here stay as they are.
func (s *putSession) refresh(ctx context.Context) error {
	r, ok := s.part.(store.Refresher)
	if !ok {
		return nil
	}
	recs, err := r.Refresh(ctx)
	if err != nil || len(recs) == 0 {
		return err
	}
	_, claimed, _ := journal.Parse(append([]byte{'\n'}, recs...), digest.Blocks(s.hdr.Size))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sum := range claimed {
		if _, ok := s.blocks[i]; !ok {
			s.blocks[i] = sum
		}
	}
	return nil
}

// ended returns, once s has ended, why: a chunk whose write failed after
// that failed because the upload ended, not for its own sake.
func (s *putSession) ended() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done, s.failure
}

// holds reports whether block i is held.
func (s *putSession) holds(i int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.blocks[i]
	return ok
}

// held lists the blocks held, in index order, as PUT's reply carries
// them.
func (s *putSession) held() []wire.Block {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []wire.Block
	for _, i := range slices.Sorted(maps.Keys(s.blocks)) {
		out = append(out, wire.Block{Index: i, Sum: s.blocks[i]})
	}
	return out
}

// span checks a chunk at off of n octets: block-aligned, inside the file,
// at most MaxChunk2, and whole (only the file's last chunk is short).
func (s *putSession) span(off, n int64) error {
	size := s.hdr.Size
	switch {
	case off < 0 || off >= size || off%digest.BlockSize != 0:
		return fmt.Errorf("offset %d is not a block of a %d-octet file", off, size)
	case n <= 0 || n > wire.MaxChunk2 || off+n > size:
		return fmt.Errorf("chunk of %d octets at %d does not fit a %d-octet file", n, off, size)
	case n%digest.BlockSize != 0 && off+n != size:
		return fmt.Errorf("chunk of %d octets at %d is not whole blocks", n, off)
	}
	return nil
}

// forget marks the blocks of [off, off+n) as not held where they are
// about to be overwritten with other data (got holds the new blocks'
// hashes). A block rewritten with what it holds stays held: the file's
// octets do not change, so a resumed upload that was told the block is
// there is still right when a chunk of the interrupted one lands late.
func (s *putSession) forget(off int64, got []digest.Sum) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := off / digest.BlockSize
	for k, sum := range got {
		if old, ok := s.blocks[first+int64(k)]; ok && old != sum {
			delete(s.blocks, first+int64(k))
		}
		delete(s.borrowed, first+int64(k)) // overwritten whole
	}
}

// recordBlock appends the journal record of block b, hash sum; a store
// that must know what a record covers (store.RangeJournal) is told.
func (s *putSession) recordBlock(b int64, sum digest.Sum) error {
	rec := journal.AppendRecord(nil, b, sum)
	if r, ok := s.part.(store.RangeJournal); ok {
		return r.AppendJournalFor(rec, b*digest.BlockSize, digest.BlockLen(s.hdr.Size, b))
	}
	return s.part.AppendJournal(rec)
}

// accept records blocks of [off, off+n) whose hashes, computed from what
// was written, match what the client sent; the first mismatch is an
// error and nothing of the chunk counts.
func (s *putSession) accept(off, n int64, got []digest.Sum, sent []byte) error {
	if len(sent) != len(got)*digest.Size {
		return fmt.Errorf("%d octets of block hashes for %d blocks", len(sent), len(got))
	}
	first := off / digest.BlockSize
	for k, sum := range got {
		if !bytes.Equal(sum[:], sent[k*digest.Size:(k+1)*digest.Size]) {
			return fmt.Errorf("block %d: hash mismatch, the data was damaged on the way", first+int64(k))
		}
	}
	if _, ranged := s.part.(store.RangeJournal); ranged {
		// Block by block: a chunk may span parts of an object store.
		for k, sum := range got {
			if err := s.recordBlock(first+int64(k), sum); err != nil {
				return err
			}
		}
	} else {
		var rec []byte
		for k, sum := range got {
			rec = journal.AppendRecord(rec, first+int64(k), sum)
		}
		if err := s.part.AppendJournal(rec); err != nil { // one write for the chunk
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, sum := range got {
		s.blocks[first+int64(k)] = sum
	}
	s.received += n
	return nil
}

// finish publishes the upload if every block is held and the file hash
// matches the client's; it ends the session either way but for a missing
// block, which the client may still send.
func (t *putTable) finish(ctx context.Context, s *putSession, want digest.Sum, noSync bool) (wire.PutResult, error) {
	if err := s.materializeAll(); err != nil {
		return wire.PutResult{}, err
	}
	if err := s.refresh(ctx); err != nil {
		return wire.PutResult{}, err
	}
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return wire.PutResult{}, errors.New("upload already finished")
	}
	n := digest.Blocks(s.hdr.Size)
	if missing := n - int64(len(s.blocks)); missing > 0 {
		s.mu.Unlock()
		return wire.PutResult{}, fmt.Errorf("upload incomplete: %d of %d blocks missing", missing, n)
	}
	s.done = true
	blocks := make([]digest.Sum, n)
	for i, sum := range s.blocks {
		blocks[i] = sum
	}
	sum := digest.File(s.hdr.Size, blocks)
	received := s.received
	s.mu.Unlock()
	// The id stays taken until the file is published or removed, so that
	// a PUT of the same upload meanwhile waits instead of reopening it.
	defer t.drop(s)
	if sum != want {
		_ = s.part.Abort()
		return wire.PutResult{}, fmt.Errorf("checksum mismatch: the blocks received make %s, the client read %s", sum, want)
	}
	mtime := wire.PeerMTime(s.hdr.MTime, time.Now())
	if mtime.IsZero() { // a source without one, or a time far ahead
		mtime = time.Now()
	}
	meta := fileMeta{Size: s.hdr.Size, MTime: mtime.UnixNano(), Hash: sum.String()}.encode()
	sums := encodeSums(s.hdr.Size, mtime.UnixNano(), blocks)
	err := s.part.Commit(ctx, store.CommitOptions{NoSync: noSync, ModTime: mtime, Mode: modeBits(s.hdr.Mode), Meta: meta, Sums: sums})
	if err != nil {
		return wire.PutResult{}, err
	}
	return wire.PutResult{Key: s.hdr.Key, Size: s.hdr.Size, Hash: sum.String(), BytesReceived: received}, nil
}

// abort ends s, for reason why (which may be nil), and removes its
// partial file.
func (t *putTable) abort(s *putSession, why error) {
	s.mu.Lock()
	was := s.done
	s.done = true
	if !was {
		s.failure = why
	}
	s.mu.Unlock()
	if !was { // else whoever ended it drops it
		t.obs.TransferEnded("2", dirUp, "aborted", time.Since(s.opened))
		_ = s.part.Abort()
		t.drop(s)
	}
}
