package flaxfile

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/flaxfile/flaxfile/internal/digest"
)

// uploadHash is the client's hash of a file sent with the 1.2 commands,
// for the server to check at UPLOAD_END.
type uploadHash interface {
	// inline is given chunk id's payload as it is sent.
	inline(id int64, p []byte)
	// sum waits until every chunk is hashed and returns the hash in hex.
	sum(ctx context.Context) (string, error)
	// close stops the work of an abandoned transfer.
	close()
}

// hashGate is what the two uploadHash kinds share: a lock, a condition
// for whoever waits on their progress, the error that stopped them, and
// whether the transfer was abandoned. Its mutex guards the hasher's own
// state too.
type hashGate struct {
	mu   sync.Mutex
	cond *sync.Cond
	err  error
	done bool // abandoned
}

func (g *hashGate) init() { g.cond = sync.NewCond(&g.mu) }

// await waits until pending reports false, the hash failed, or ctx ends;
// then it returns result, all under the lock. pending and result are
// called with the lock held.
func (g *hashGate) await(ctx context.Context, pending func() bool, result func() string) (string, error) {
	stop := context.AfterFunc(ctx, g.close)
	defer stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	for pending() && g.err == nil && !g.done {
		g.cond.Wait()
	}
	switch {
	case g.err != nil:
		return "", g.err
	case pending():
		return "", ctx.Err()
	}
	return result(), nil
}

// fail records why the hash cannot be had and wakes the waiters.
func (g *hashGate) fail(err error) {
	g.mu.Lock()
	g.err = err
	g.cond.Broadcast()
	g.mu.Unlock()
}

// close marks the transfer abandoned and wakes everyone.
func (g *hashGate) close() {
	g.mu.Lock()
	g.done = true
	g.cond.Broadcast()
	g.mu.Unlock()
}

// blockHash is FlaxFile 2's file hash (wire.HashBlocks) of a file sent in
// chunks that are whole blocks: each chunk is hashed from the buffer it is
// sent from, in any order, so that nothing is read twice. A file sent by
// sendfile is read and hashed by a goroutine instead, chunk by chunk.
type blockHash struct {
	size, chunk int64

	hashGate
	sums []digest.Sum
	seen []bool // chunks hashed
	left int64  // chunks not hashed yet
}

// newBlockHash starts the hash of a file of size octets in chunks of
// chunk octets, a multiple of digest.BlockSize unless the file is one
// chunk. With file, the file is read and hashed by a goroutine and inline
// does nothing.
func newBlockHash(size, chunk int64, file *os.File) *blockHash {
	chunks := (size + chunk - 1) / chunk
	b := &blockHash{size: size, chunk: chunk, sums: make([]digest.Sum, digest.Blocks(size)), seen: make([]bool, chunks), left: chunks}
	b.init()
	if file != nil {
		go b.read(file)
	}
	return b
}

// read hashes the file chunk by chunk, stopping when abandoned.
func (b *blockHash) read(f *os.File) {
	for id := range int64(len(b.seen)) {
		b.mu.Lock()
		stop := b.done
		b.mu.Unlock()
		if stop {
			return
		}
		off := id * b.chunk
		sums, err := digest.FileBlocks(f, off, min(b.chunk, b.size-off))
		if err != nil {
			b.fail(fmt.Errorf("flaxfile: reading at %d to hash: %w", off, err))
			return
		}
		b.record(id, sums)
	}
}

func (b *blockHash) inline(id int64, p []byte) { b.record(id, digest.Chunk(p)) }

// record keeps chunk id's block sums.
func (b *blockHash) record(id int64, sums []digest.Sum) {
	b.mu.Lock()
	defer b.mu.Unlock()
	copy(b.sums[id*b.chunk/digest.BlockSize:], sums)
	if !b.seen[id] {
		b.seen[id] = true
		b.left--
	}
	b.cond.Broadcast()
}

func (b *blockHash) sum(ctx context.Context) (string, error) {
	return b.await(ctx, func() bool { return b.left > 0 }, func() string { return digest.File(b.size, b.sums).String() })
}
