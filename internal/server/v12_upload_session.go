package server

import (
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// Chunks that arrive before their session knows its chunk size (until
// chunk 0, or two chunks of equal length, arrive) are held in memory. A
// 1.2 client's chunks all have one length but the last, so at most two
// distinct lengths can be waiting per session; and their octets, all
// sessions together, are bounded by Config.MemoryLimit (apart from the
// budget that received messages take, since chunk 0 may need that to be
// read): beyond it an early chunk is refused rather than awaited.
const maxPendingChunks = 2

// Session states.
const (
	stateOpen = iota
	stateDone
	stateAborted
)

// upload is one session: a file written aside by one or more connections.
type upload struct {
	id    string
	key   string
	size  int64 // declared
	up    store.Upload
	start time.Time

	members map[*zmtp.Conn]struct{} // guarded by uploadTable.mu
	entry   *entry[*upload]         // its place in uploadTable.sessions

	wmu sync.Mutex // serialises writes to the file

	hmu      sync.Mutex // guards hasher and hashNext
	hasher   hash.Hash  // set with the chunk size, before any chunk is placed
	hashNext int64      // the next chunk id the hash needs

	mu       sync.Mutex
	state    int
	last     time.Time
	chunk    int64            // chunk size; 0 until known
	pending  map[int64][]byte // chunks held until the chunk size is known
	held     int64            // octets in pending, taken from early
	early    *zmtp.Budget     // uploadTable.early
	got      []bool           // chunk ids written
	received int64            // distinct octets written
	failure  error            // why the session was aborted, for its members

	// The hasher goroutine computes SHA-256 along the written prefix, on
	// the other core, reading chunks back from the page cache.
	hashWake chan struct{} // a chunk was written (capacity 1)
	quit     chan struct{} // closed when the session is aborted
	hashDone chan struct{} // closed when the hasher has finished
	sum      []byte        // set before hashDone closes, nil on failure
	hashErr  error
	xxh      bool // hashing with XXH3-128 instead of SHA-256

	// In block mode (wire.HashBlocks) there is no hasher goroutine: each
	// chunk's 4 MiB blocks are hashed from its buffer by the handler that
	// writes it, into blocks, under wmu with the write itself.
	blockMode bool
	blocks    []digest.Sum // allocated with the chunk size
}

func (u *upload) touch() {
	u.mu.Lock()
	u.last = time.Now()
	u.mu.Unlock()
}

// abort discards the partial file; it reports whether the session was
// still open.
// failWith aborts the session for a reason its members are told: every
// later chunk and UPLOAD_END of theirs gets it as the error.
func (u *upload) failWith(err error) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.state != stateOpen {
		return false
	}
	u.failure = err // before the file closes under the session's writers
	return u.abortLocked()
}

// failed is the reason given to failWith, or nil.
func (u *upload) failed() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.failure
}

func (u *upload) abort() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.abortLocked()
}

func (u *upload) abortLocked() bool {
	if u.state != stateOpen {
		return false
	}
	u.state = stateAborted
	close(u.quit)
	_ = u.up.Abort()
	u.dropPending()
	return true
}

// errSessionGone reports a chunk for a session that has ended.
var errSessionGone = errors.New("session not found")

// write places one chunk. 1.2 clients send chunks of one size, the last
// possibly shorter; the size is learnt from chunk 0 (or from two chunks of
// equal length) and every chunk is written at id*size as it arrives.
func (u *upload) write(id int64, data []byte) error {
	if id < 0 {
		return fmt.Errorf("invalid chunk id %d", id)
	}
	u.mu.Lock()
	if u.state != stateOpen {
		u.mu.Unlock()
		return errSessionGone
	}
	u.last = time.Now()
	if u.chunk == 0 {
		err := u.learnChunkSize(id, data)
		u.mu.Unlock()
		return err
	}
	off, err := u.place(id, len(data))
	u.mu.Unlock()
	if err != nil {
		return err
	}
	if err := u.writeAt(data, off, u.blockSums(data)); err != nil {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.state != stateOpen { // ended meanwhile, its file closed
			return errSessionGone
		}
		return err
	}
	if !u.blockMode {
		u.hashInline(id, data)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.state != stateOpen {
		return errSessionGone
	}
	return u.record(id, data)
}

// learnChunkSize holds chunks until their size is known, then writes what
// it holds. Called with u.mu held.
func (u *upload) learnChunkSize(id int64, data []byte) error {
	n := int64(len(data))
	switch {
	case u.size == 0:
		if id != 0 || n != 0 {
			return fmt.Errorf("chunk %d of %d octets for an empty file", id, n)
		}
		return nil
	case id == 0:
		if n == 0 || n > u.size {
			return fmt.Errorf("chunk 0 of %d octets for a file of %d", n, u.size)
		}
		u.chunk = n
	default:
		for _, p := range u.pending {
			if int64(len(p)) == n {
				u.chunk = n
			}
		}
		if u.chunk == 0 {
			return u.hold(id, data)
		}
	}
	u.got = make([]bool, (u.size+u.chunk-1)/u.chunk)
	if u.blockMode {
		if u.chunk%digest.BlockSize != 0 && u.chunk < u.size {
			// The session cannot go on: it ends here, and its members'
			// later chunks and END are told why.
			err := fmt.Errorf("chunks of %d octets cannot be hashed in blocks of %d", u.chunk, digest.BlockSize)
			u.failure = err
			u.abortLocked()
			return err
		}
		u.blocks = make([]digest.Sum, digest.Blocks(u.size))
		close(u.hashDone)
	} else {
		u.hasher = newHash(u.xxh)
		go u.hashLoop()
	}
	pending := u.pending
	defer u.early.Release(u.held) // once written
	u.pending, u.held = nil, 0
	if pending == nil {
		pending = map[int64][]byte{}
	}
	pending[id] = data
	for pid, p := range pending {
		off, err := u.place(pid, len(p))
		if err == nil {
			err = u.writeAt(p, off, u.blockSums(p))
		}
		if err == nil {
			err = u.record(pid, p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// hold keeps a copy of chunk id until the chunk size is known. Called with
// u.mu held.
func (u *upload) hold(id int64, data []byte) error {
	n := int64(len(data))
	if _, dup := u.pending[id]; dup {
		return nil
	}
	if len(u.pending) >= maxPendingChunks {
		return fmt.Errorf("chunk %d arrived before chunk 0 with a third chunk length", id)
	}
	if !u.early.TryAcquire(n) {
		return fmt.Errorf("chunk %d arrived before chunk 0 and the server holds too many such chunks already", id)
	}
	if u.pending == nil {
		u.pending = map[int64][]byte{}
	}
	u.pending[id] = append([]byte(nil), data...)
	u.held += n
	return nil
}

// dropPending forgets held chunks and gives their memory back. Called
// with u.mu held.
func (u *upload) dropPending() {
	u.early.Release(u.held)
	u.pending, u.held = nil, 0
}

// blockSums hashes a chunk's blocks in block mode; nil otherwise. The
// chunk starts on a block boundary (checked with the chunk size).
func (u *upload) blockSums(data []byte) []digest.Sum {
	if !u.blockMode {
		return nil
	}
	return digest.Chunk(data)
}

// writeAt writes a chunk at off and, in block mode, records its blocks'
// sums with it, so that the sums always describe what the file holds even
// if one chunk comes twice. Writers of one file queue here rather than
// contend for the inode's lock inside the kernel, which costs far more
// CPU.
func (u *upload) writeAt(data []byte, off int64, sums []digest.Sum) error {
	u.wmu.Lock()
	defer u.wmu.Unlock()
	if _, err := u.up.WriteAt(data, off); err != nil {
		return err
	}
	if u.blocks != nil {
		copy(u.blocks[off/digest.BlockSize:], sums)
	}
	return nil
}

// place checks that a chunk fits the file and returns its offset.
func (u *upload) place(id int64, n int) (int64, error) {
	if id >= int64(len(u.got)) {
		return 0, fmt.Errorf("chunk %d is beyond a %d-octet file in %d-octet chunks", id, u.size, u.chunk)
	}
	off := id * u.chunk
	if want := min(u.chunk, u.size-off); int64(n) != want {
		return 0, fmt.Errorf("chunk %d has %d octets, want %d (chunks of %d)", id, n, want, u.chunk)
	}
	return off, nil
}

// record marks a written chunk and wakes the hasher. Called with u.mu
// held.
func (u *upload) record(id int64, data []byte) error {
	if !u.got[id] {
		u.got[id] = true
		u.received += int64(len(data))
	}
	select {
	case u.hashWake <- struct{}{}:
	default:
	}
	return nil
}
