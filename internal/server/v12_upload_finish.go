package server

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
)

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
