package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	refs     int
	last     time.Time
	done     bool
	failure  error         // why it was ended, if a write ended it
	settled  chan struct{} // closed once done and its file published, kept or removed
}

// errEnding: the session is ending; wait for it to settle.
var errEnding = errors.New("upload ending")

// putTable holds the uploads open in memory; their files and journals
// stay on disk when they leave it, to be resumed.
type putTable struct {
	st  store.Partials
	log *slog.Logger

	mu   sync.Mutex
	byID map[string]*putSession

	room func() error // may a new upload open? (set by the server)
}

func newPutTable(st store.Store, log *slog.Logger) *putTable {
	p, _ := st.(store.Partials)
	return &putTable{st: p, log: log, byID: map[string]*putSession{}}
}

// open returns the session id for hdr, loading it from disk or creating
// it, with one reference taken.
func (t *putTable) open(ctx context.Context, id string, hdr putHeader) (*putSession, error) {
	if t.st == nil {
		return nil, errors.New("this server's store cannot resume uploads")
	}
	for {
		if s, err := t.joinOpen(id, hdr); s != nil || err != nil {
			return s, err
		}
		if t.room != nil {
			if err := t.room(); err != nil {
				return nil, err
			}
		}
		t.mu.Lock()
		if t.byID[id] != nil { // opened meanwhile
			t.mu.Unlock()
			continue
		}
		s, err := t.create(ctx, id, hdr)
		t.mu.Unlock()
		return s, err
	}
}

// joinOpen joins session id if it is open (nil, nil if not). A session
// that is ending (being published, or closed) keeps its id until its file
// is settled: a PUT arriving meanwhile waits for that, then opens afresh
// what is left on disk.
func (t *putTable) joinOpen(id string, hdr putHeader) (*putSession, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		s := t.byID[id]
		if s == nil {
			return nil, nil
		}
		sess, err := s.join(hdr)
		if !errors.Is(err, errEnding) {
			return sess, err
		}
		t.mu.Unlock()
		<-s.settled
		t.mu.Lock()
	}
}

// create opens session id from its partial on disk, or a new one. Called
// with t.mu held.
func (t *putTable) create(ctx context.Context, id string, hdr putHeader) (*putSession, error) {
	part, fresh, err := t.st.OpenPartial(ctx, hdr.Key, id)
	if err != nil {
		return nil, err
	}
	s := &putSession{id: id, hdr: hdr, part: part, blocks: map[int64]digest.Sum{}, refs: 1, last: time.Now(), settled: make(chan struct{})}
	if !fresh {
		if ok := s.load(); !ok {
			_ = part.Abort()
			if part, _, err = t.st.OpenPartial(ctx, hdr.Key, id); err != nil {
				return nil, err
			}
			s.part = part
			fresh = true
		}
	}
	if fresh {
		line, _ := json.Marshal(hdr)
		if err := part.AppendJournal(journal.Header(line)); err != nil {
			_ = part.Abort()
			return nil, err
		}
	}
	t.byID[id] = s
	t.log.Info("upload opened", "key", hdr.Key, "size", hdr.Size, "upload", id, "resumed_blocks", len(s.blocks))
	return s, nil
}

// join takes a reference to an open session for a PUT describing hdr.
func (s *putSession) join(hdr putHeader) (*putSession, error) {
	if s.hdr != hdr {
		return nil, errors.New("upload id in use for another file")
	}
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return nil, errEnding
	}
	s.refs++
	s.last = time.Now()
	s.mu.Unlock()
	return s, nil
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

// keyOf returns the key of open session id.
func (t *putTable) keyOf(id string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.byID[id]; s != nil {
		return s.hdr.Key, true
	}
	return "", false
}

// get takes a reference to an open session.
func (t *putTable) get(id string) *putSession {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byID[id]
	if s != nil {
		s.mu.Lock()
		s.refs++
		s.last = time.Now()
		s.mu.Unlock()
	}
	return s
}

func (s *putSession) release() {
	s.mu.Lock()
	s.refs--
	s.last = time.Now()
	s.mu.Unlock()
}

// ended returns, once s has ended, why: a chunk whose write failed after
// that failed because the upload ended, not for its own sake.
func (s *putSession) ended() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done, s.failure
}

// haveFrame lists the blocks held, as PUT's reply carries them.
func (s *putSession) haveFrame() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	held := slices.Sorted(maps.Keys(s.blocks))
	b := make([]byte, 0, len(held)*wire.HaveRecord)
	for _, i := range held {
		sum := s.blocks[i]
		b = binary.BigEndian.AppendUint64(b, uint64(i))
		b = append(b, sum[:]...)
	}
	return b
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
	}
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
	var rec []byte
	for k, sum := range got {
		rec = journal.AppendRecord(rec, first+int64(k), sum)
	}
	if err := s.part.AppendJournal(rec); err != nil {
		return err
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
	meta, _ := json.Marshal(fileMeta{Size: s.hdr.Size, MTime: mtime.UnixNano(), Hash: sum.String()})
	err := s.part.Commit(ctx, store.CommitOptions{NoSync: noSync, ModTime: mtime, Mode: modeBits(s.hdr.Mode), Meta: meta})
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
		_ = s.part.Abort()
		t.drop(s)
	}
}

// drop removes s, which has ended, from memory and wakes whoever waits
// for its id.
func (t *putTable) drop(s *putSession) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byID[s.id] == s {
		delete(t.byID, s.id)
		close(s.settled)
	}
}

// expire closes sessions idle for longer than timeout, keeping their files
// for a later resume, and removes partial files older than keep.
func (t *putTable) expire(ctx context.Context, now time.Time, timeout, keep time.Duration) {
	t.mu.Lock()
	for id, s := range t.byID {
		s.mu.Lock()
		idle := s.refs == 0 && now.Sub(s.last) > timeout && !s.done
		if idle {
			s.done = true
		}
		s.mu.Unlock()
		if idle {
			delete(t.byID, id)
			_ = s.part.Close()
			close(s.settled)
			t.log.Info("upload paused", "key", s.hdr.Key, "upload", id)
		}
	}
	t.mu.Unlock()
	if t.st != nil {
		inUse := func(id string) bool {
			t.mu.Lock()
			defer t.mu.Unlock()
			return t.byID[id] != nil
		}
		if n, err := t.st.ExpirePartials(ctx, keep, inUse); err != nil {
			t.log.Warn("expiring partial uploads", "err", err)
		} else if n > 0 {
			t.log.Info("partial uploads expired", "count", n)
		}
	}
}

// closeAll closes every session at shutdown, keeping their files.
func (t *putTable) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, s := range t.byID {
		s.mu.Lock()
		was := s.done
		s.done = true
		s.mu.Unlock()
		if was { // ending: whoever ended it settles it
			continue
		}
		_ = s.part.Close()
		delete(t.byID, id)
		close(s.settled)
	}
}
