package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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

	mu       sync.Mutex // guards what follows
	blocks   []digest.Sum
	have     []bool
	haveN    int64
	received int64 // payload octets received since the server opened it
	refs     int
	last     time.Time
	done     bool
	failure  error // why it was ended, if a write ended it
}

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
func (t *putTable) open(id string, hdr putHeader) (*putSession, error) {
	if t.st == nil {
		return nil, errors.New("this server's store cannot resume uploads")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.byID[id]; s != nil {
		return s.join(hdr)
	}
	if t.room != nil {
		t.mu.Unlock()
		err := t.room()
		t.mu.Lock()
		if err != nil {
			return nil, err
		}
		if s := t.byID[id]; s != nil { // opened meanwhile
			return s.join(hdr)
		}
	}
	part, fresh, err := t.st.OpenPartial(hdr.Key, id)
	if err != nil {
		return nil, err
	}
	n := digest.Blocks(hdr.Size)
	s := &putSession{id: id, hdr: hdr, part: part, blocks: make([]digest.Sum, n), have: make([]bool, n), refs: 1, last: time.Now()}
	if !fresh {
		if ok := s.load(); !ok {
			_ = part.Abort()
			if part, _, err = t.st.OpenPartial(hdr.Key, id); err != nil {
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
	t.log.Info("upload opened", "key", hdr.Key, "size", hdr.Size, "upload", id, "resumed_blocks", s.haveN)
	return s, nil
}

// join takes a reference to an open session for a PUT describing hdr.
func (s *putSession) join(hdr putHeader) (*putSession, error) {
	if s.hdr != hdr {
		return nil, errors.New("upload id in use for another file")
	}
	s.mu.Lock()
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
	line, claimed, ok := journal.Parse(j, int64(len(s.blocks)))
	var h putHeader
	if !ok || json.Unmarshal(line, &h) != nil || h != s.hdr {
		return false
	}
	// The data may not have reached the disk before a crash: check it.
	f := s.part.File()
	for i, sum := range claimed {
		got, err := digest.FileBlocks(f, i*digest.BlockSize, digest.BlockLen(s.hdr.Size, i))
		if err == nil && len(got) == 1 && got[0] == sum {
			s.blocks[i], s.have[i] = sum, true
			s.haveN++
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
	b := make([]byte, 0, s.haveN*wire.HaveRecord)
	for i, ok := range s.have {
		if ok {
			b = binary.BigEndian.AppendUint64(b, uint64(i))
			b = append(b, s.blocks[i][:]...)
		}
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

// forget marks the blocks of [off, off+n) as not held: they are about to
// be overwritten.
func (s *putSession) forget(off, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := off / digest.BlockSize; i*digest.BlockSize < off+n; i++ {
		if s.have[i] {
			s.have[i] = false
			s.haveN--
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
		i := first + int64(k)
		s.blocks[i] = sum
		if !s.have[i] {
			s.have[i] = true
			s.haveN++
		}
	}
	s.received += n
	return nil
}

// finish publishes the upload if every block is held and the file hash
// matches the client's; it ends the session either way but for a missing
// block, which the client may still send.
func (t *putTable) finish(s *putSession, want digest.Sum, noSync bool) (wire.PutResult, error) {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return wire.PutResult{}, errors.New("upload already finished")
	}
	if missing := int64(len(s.have)) - s.haveN; missing > 0 {
		s.mu.Unlock()
		return wire.PutResult{}, fmt.Errorf("upload incomplete: %d of %d blocks missing", missing, len(s.have))
	}
	s.done = true
	sum := digest.File(s.hdr.Size, s.blocks)
	received := s.received
	s.mu.Unlock()
	t.drop(s)
	if sum != want {
		_ = s.part.Abort()
		return wire.PutResult{}, fmt.Errorf("checksum mismatch: the blocks received make %s, the client read %s", sum, want)
	}
	mtime := time.Now() // for a source without one
	if s.hdr.MTime != 0 {
		mtime = time.Unix(0, s.hdr.MTime)
	}
	meta, _ := json.Marshal(fileMeta{Size: s.hdr.Size, MTime: mtime.UnixNano(), Hash: sum.String()})
	err := s.part.Commit(store.CommitOptions{NoSync: noSync, ModTime: mtime, Mode: modeBits(s.hdr.Mode), Meta: meta})
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
	t.drop(s)
	if !was {
		_ = s.part.Abort()
	}
}

// drop removes s from memory.
func (t *putTable) drop(s *putSession) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byID[s.id] == s {
		delete(t.byID, s.id)
	}
}

// expire closes sessions idle for longer than timeout, keeping their files
// for a later resume, and removes partial files older than keep.
func (t *putTable) expire(now time.Time, timeout, keep time.Duration) {
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
		if n, err := t.st.ExpirePartials(keep, inUse); err != nil {
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
		s.done = true
		s.mu.Unlock()
		_ = s.part.Close()
		delete(t.byID, id)
	}
}
