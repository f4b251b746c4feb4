package flaxfile

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/zeebo/xxh3"
)

// orderedHash computes the XXH3-128 of a file that is sent in chunks, in
// any order, over several connections. A chunk that is sent when it is the
// next one to hash is hashed from the buffer it is sent from (no second
// read); the others are read back from the source, in order, by a
// goroutine, as soon as they have been sent.
type orderedHash struct {
	src   io.ReaderAt
	size  int64
	chunk int64
	total int64

	hashGate
	h    *xxh3.Hasher
	next int64  // next chunk to hash
	sent []bool // chunks sent but not hashed on the way

	eager bool // hash everything by reading, without waiting for sends
}

// newOrderedHash starts hashing src. With eager, nothing will be hashed
// inline (the file goes by sendfile), so the goroutine reads the whole file
// from the start instead of waiting for chunks to be sent.
func newOrderedHash(src io.ReaderAt, size, chunk int64, eager bool) *orderedHash {
	total := (size + chunk - 1) / chunk
	o := &orderedHash{src: src, size: size, chunk: chunk, total: total, h: xxh3.New(), sent: make([]bool, total), eager: eager}
	o.init()
	go o.catchUp()
	return o
}

// inline is called with chunk id's payload as it is sent; it hashes it
// if its turn has come, and otherwise leaves it to catchUp.
func (o *orderedHash) inline(id int64, p []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if id == o.next && o.err == nil {
		o.h.Write(p)
		o.next++
	} else if id > o.next {
		o.sent[id] = true
	}
	o.cond.Broadcast()
}

// catchUp is the goroutine that hashes, by reading them back, the chunks
// that were sent before their turn.
func (o *orderedHash) catchUp() {
	o.mu.Lock()
	defer o.mu.Unlock()
	buf := make([]byte, min(o.chunk, max(o.size, 1)))
	for !o.done && o.next < o.total {
		if !o.eager && !o.sent[o.next] {
			o.cond.Wait()
			continue
		}
		off := o.next * o.chunk
		n := min(o.chunk, o.size-off)
		// Hashing holds the lock so that inline cannot hash a later
		// chunk meanwhile; a chunk takes well under a millisecond.
		if m, err := o.src.ReadAt(buf[:n], off); int64(m) < n {
			o.err = fmt.Errorf("flaxfile: reading at %d to hash: %w", off, err)
			o.cond.Broadcast()
			return
		}
		o.h.Write(buf[:n])
		o.next++
		o.cond.Broadcast()
	}
}

// sum waits until every chunk is hashed and returns the hash in hex
// (big-endian). Every chunk must have been sent. It may be called any
// number of times, from any goroutine.
func (o *orderedHash) sum(ctx context.Context) (string, error) {
	return o.await(ctx, func() bool { return o.next < o.total }, func() string {
		s := o.h.Sum128().Bytes()
		return hex.EncodeToString(s[:])
	})
}
