package server

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
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

// uploadTable maps session ids and connections to upload sessions. Its
// mutex guards the two maps and each session's members; a session's own
// state has its own mutex.
type uploadTable struct {
	st    store.Store
	log   *slog.Logger
	early *zmtp.Budget // the memory of chunks held before chunk 0, all sessions

	mu     sync.Mutex
	byID   map[string]*upload
	byConn map[*zmtp.Conn]*upload

	room func() error // may a new session open? (set by the server)
}

func newUploadTable(st store.Store, log *slog.Logger, early *zmtp.Budget) *uploadTable {
	return &uploadTable{st: st, log: log, early: early, byID: map[string]*upload{}, byConn: map[*zmtp.Conn]*upload{}}
}

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

// join adds c to session id, creating it (and its partial file) if needed.
// A connection in another session leaves that one first.
func (t *uploadTable) join(ctx context.Context, c *zmtp.Conn, id, key string, size int64, hashName string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.byConn[c]; old != nil && old.id != id {
		delete(old.members, c)
		delete(t.byConn, c)
	}
	u := t.byID[id]
	if u == nil && t.room != nil {
		t.mu.Unlock()
		err := t.room()
		t.mu.Lock()
		if err != nil {
			return err
		}
		u = t.byID[id] // another member may have opened it meanwhile
	}
	if u == nil {
		up, err := t.st.Create(ctx, key)
		if err != nil {
			return err
		}
		now := time.Now()
		u = &upload{id: id, key: key, size: size, up: up, start: now, last: now, early: t.early,
			members: map[*zmtp.Conn]struct{}{}, hashWake: make(chan struct{}, 1),
			quit: make(chan struct{}), hashDone: make(chan struct{}),
			xxh: hashName == wire.HashXXH3128, blockMode: hashName == wire.HashBlocks}
		switch {
		case size == 0 && u.blockMode:
			s := digest.File(0, nil)
			u.sum = s[:]
			close(u.hashDone)
		case size == 0:
			u.sum = newHash(u.xxh).Sum(nil)
			close(u.hashDone)
		}
		t.byID[id] = u
		t.log.Info("upload started", "key", key, "size", size, "session", id)
	} else {
		u.touch()
	}
	u.members[c] = struct{}{}
	t.byConn[c] = u
	return nil
}

// leave removes a closed connection from its session. A session left with
// no members but not complete stays for late members until it expires.
func (t *uploadTable) leave(c *zmtp.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if u := t.byConn[c]; u != nil {
		delete(u.members, c)
		delete(t.byConn, c)
	}
}

// end removes c from its session and reports whether it was the last
// member. u is nil if c was in no session.
func (t *uploadTable) end(c *zmtp.Conn) (u *upload, last bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	u = t.byConn[c]
	if u == nil {
		return nil, false
	}
	delete(u.members, c)
	delete(t.byConn, c)
	return u, len(u.members) == 0
}

// forget drops a finished session from the table.
func (t *uploadTable) forget(u *upload) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byID[u.id] == u {
		delete(t.byID, u.id)
	}
	for c, v := range t.byConn {
		if v == u {
			delete(t.byConn, c)
		}
	}
}

// expire aborts sessions idle for longer than timeout.
func (t *uploadTable) expire(now time.Time, timeout time.Duration) {
	t.mu.Lock()
	var idle []*upload
	for _, u := range t.byID {
		u.mu.Lock()
		if now.Sub(u.last) > timeout {
			idle = append(idle, u)
		}
		u.mu.Unlock()
	}
	t.mu.Unlock()
	for _, u := range idle {
		if u.abort() {
			t.log.Warn("upload expired", "key", u.key, "session", u.id, "received", u.received, "size", u.size)
		}
		t.forget(u)
	}
}

// abortAll drops every open session; used at shutdown.
func (t *uploadTable) abortAll() {
	t.mu.Lock()
	all := make([]*upload, 0, len(t.byID))
	for _, u := range t.byID {
		all = append(all, u)
	}
	t.mu.Unlock()
	for _, u := range all {
		if u.abort() {
			t.log.Warn("upload dropped at shutdown", "key", u.key, "received", u.received, "size", u.size)
		}
		t.forget(u)
	}
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

// hashLoop is the session's hasher goroutine: it hashes chunks in id order
// as soon as each is written, and stops when all are hashed or the session
// is aborted.
//
// A chunk written when its turn has come is hashed from its buffer by the
// handler that wrote it (hashInline); this goroutine reads back only the
// chunks that came early. hmu orders the two: whoever hashes chunk
// hashNext holds it.
func (u *upload) hashLoop() {
	defer close(u.hashDone)
	buf := make([]byte, u.chunk)
	for {
		u.hmu.Lock()
		next := u.hashNext
		u.hmu.Unlock()
		if next >= int64(len(u.got)) {
			break
		}
		u.mu.Lock()
		ready := u.got[next]
		u.mu.Unlock()
		if !ready {
			select {
			case <-u.hashWake:
			case <-u.quit:
				return
			}
			continue
		}
		u.hmu.Lock()
		if u.hashNext == next { // not hashed inline meanwhile
			off := next * u.chunk
			n := min(u.chunk, u.size-off)
			if _, err := u.up.ReadAt(buf[:n], off); err != nil {
				u.hmu.Unlock()
				u.hashErr = fmt.Errorf("hashing chunk %d: %w", next, err)
				return
			}
			u.hasher.Write(buf[:n])
			u.hashNext++
		}
		u.hmu.Unlock()
	}
	u.sum = u.hasher.Sum(nil)
}

// hashInline hashes a chunk just written, from its buffer, if it is the
// next one the hash needs.
func (u *upload) hashInline(id int64, data []byte) {
	u.hmu.Lock()
	if id == u.hashNext {
		u.hasher.Write(data)
		u.hashNext++
	}
	u.hmu.Unlock()
}

// hashName names the session's hash in messages.
func (u *upload) hashName() string {
	switch {
	case u.blockMode:
		return wire.HashBlocks
	case u.xxh:
		return "XXH3-128"
	}
	return "SHA-256"
}

// finish publishes a complete session and returns what UPLOAD_END reports;
// an incomplete one stays open for late members.
func (u *upload) finish(ctx context.Context, sync bool, want string) (sum string, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.state != stateOpen {
		return "", errSessionGone
	}
	if u.received != u.size {
		return "", fmt.Errorf("upload incomplete: %d of %d octets received", u.received, u.size)
	}
	u.mu.Unlock()
	<-u.hashDone // every chunk is written, so the hasher ends
	u.mu.Lock()
	if u.state != stateOpen {
		return "", errSessionGone
	}
	if u.blockMode && u.size > 0 {
		// Every chunk is recorded, so every block's sum is in (wmu is
		// taken before each record).
		u.wmu.Lock()
		s := digest.File(u.size, u.blocks)
		u.wmu.Unlock()
		u.sum = s[:]
	}
	if u.sum == nil {
		u.state = stateAborted
		_ = u.up.Abort()
		return "", fmt.Errorf("checksum: %w", u.hashErr)
	}
	if got := hex.EncodeToString(u.sum); (u.xxh || u.blockMode) && want != "" && want != got {
		u.state = stateAborted
		_ = u.up.Abort()
		return "", fmt.Errorf("checksum mismatch for %s: the client sent %s %s, the server received %s; nothing published", u.key, u.hashName(), want, got)
	}
	if err := u.up.Commit(ctx, store.CommitOptions{NoSync: !sync}); err != nil {
		u.state = stateAborted
		return "", err
	}
	u.state = stateDone
	return hex.EncodeToString(u.sum), nil
}

// uploadStart answers UPLOAD_START_CONCURRENT, checking in 1.2's order.
func (s *Server) uploadStart(r *request) {
	if len(r.args) < 4 {
		r.fail(wire.ErrMissingArguments)
		return
	}
	sid, err := wire.DecodeUTF8(r.args[0])
	if err != nil {
		r.fail(err.Error())
		return
	}
	key, err := wire.DecodeUTF8(r.args[1])
	if err != nil {
		r.fail(err.Error())
		return
	}
	size, err := wire.ParseInt(r.args[2])
	if err != nil {
		r.fail(err.Error())
		return
	}
	conc, err := wire.ParseInt(r.args[3])
	if err != nil {
		r.fail(err.Error())
		return
	}
	switch {
	case utf8.RuneCountInString(sid) > wire.MaxSessionIDLen:
		r.fail(wire.ErrSessionIDTooLong)
		return
	case utf8.RuneCountInString(key) > wire.MaxFileKeyLen:
		r.fail(wire.ErrFileKeyTooLong)
		return
	case size < 0 || size > wire.MaxFileSize:
		r.fail(wire.ErrInvalidFileSize)
		return
	case conc < 1 || conc > wire.MaxConcurrency:
		r.fail(wire.ErrInvalidMaxConc)
		return
	}
	k, msg := fileKey(r.args[1])
	if msg != "" {
		r.fail(msg)
		return
	}
	if msg := s.noRoom(r.ctx, size); msg != "" {
		r.fail(msg)
		return
	}
	hashName := ""
	if len(r.args) > 4 {
		hashName = string(r.args[4])
	}
	if err := s.uploads.join(r.ctx, r.c, sid, k, size, hashName); err != nil {
		r.fail(pyError(k, err))
		return
	}
	r.ok()
}

// noRoom refuses, with the error to answer, an upload of size octets that
// the store has no room for; "" when it may start (or the store cannot
// say).
func (s *Server) noRoom(ctx context.Context, size int64) string {
	sp, ok := s.cfg.Store.(store.Spacer)
	if !ok || size == 0 {
		return ""
	}
	free, err := sp.Free(ctx)
	if err != nil || size <= free {
		return ""
	}
	return fmt.Sprintf("not enough space on the server: %d octets declared, %d free", size, free)
}

// uploadChunk answers UPLOAD_CHUNK_CONCURRENT with an ACK once the chunk is
// written, echoing the id frame byte for byte.
func (s *Server) uploadChunk(r *request) {
	s.uploads.mu.Lock()
	u := s.uploads.byConn[r.c]
	s.uploads.mu.Unlock()
	if u == nil {
		r.fail(wire.ErrNoActiveUpload)
		return
	}
	if len(r.args) < 2 {
		r.fail(wire.ErrNoData)
		return
	}
	id, err := wire.ParseInt(r.args[0])
	if err != nil {
		r.fail(err.Error())
		return
	}
	if err := u.write(id, r.args[1]); err != nil {
		if errors.Is(err, errSessionGone) {
			if f := u.failed(); f != nil {
				r.fail(f.Error())
				return
			}
			r.fail(wire.ErrSessionNotFound)
			return
		}
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
			// The upload cannot complete; its temporary file would only
			// hold the space others need. Its members are told why.
			if u.failWith(err) {
				r.log.Warn("upload dropped: disk full", "key", u.key, "session", u.id)
			}
		}
		r.fail(err.Error())
		return
	}
	r.reply([]byte(wire.ReplyAck), r.args[0])
}

// uploadEnd answers UPLOAD_END: the last member's END publishes the file
// if every declared octet arrived.
func (s *Server) uploadEnd(r *request) {
	u, last := s.uploads.end(r.c)
	if u == nil {
		r.fail(wire.ErrNoActiveUpload)
		return
	}
	if f := u.failed(); f != nil {
		if last {
			s.uploads.forget(u)
		}
		r.fail(f.Error())
		return
	}
	if !last {
		r.ok(wire.UploadMessageJSON(wire.MsgWaitingForOthers))
		return
	}
	var want string
	if len(r.args) > 0 {
		want = string(r.args[0])
	}
	sum, err := u.finish(r.ctx, !s.cfg.NoSync, want)
	switch {
	case errors.Is(err, errSessionGone):
		r.ok(wire.UploadMessageJSON(wire.MsgUploadEnded))
		return
	case err != nil:
		r.log.Warn("upload not published", "key", u.key, "err", err)
		r.fail(pyError(u.key, err))
		return
	}
	s.uploads.forget(u)
	secs := time.Since(u.start).Seconds()
	mibps := 0.0
	if secs > 0 {
		mibps = float64(u.size) / (1 << 20) / secs
	}
	s.uploadsDone.Add(1)
	s.bytesUp.Add(u.size)
	r.log.Info("upload complete", "key", u.key, "size", u.size, "seconds", secs)
	switch {
	case u.xxh:
		r.ok(wire.UploadEndJSON(u.key, u.size, secs, mibps, "", "xxh3_128", sum))
	case u.blockMode:
		r.ok(wire.UploadEndJSON(u.key, u.size, secs, mibps, "", "xxh3_128_blocks", sum))
	default:
		r.ok(wire.UploadEndJSON(u.key, u.size, secs, mibps, sum, "", ""))
	}
}
