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

// blockHash is FlaxFile 2's file hash (wire.HashBlocks) of a file sent in
// chunks that are whole blocks: each chunk is hashed from the buffer it is
// sent from, in any order, so that nothing is read twice. A file sent by
// sendfile is read and hashed by a goroutine instead, chunk by chunk.
type blockHash struct {
	size, chunk int64

	mu   sync.Mutex
	cond *sync.Cond
	sums []digest.Sum
	seen []bool // chunks hashed
	left int64  // chunks not hashed yet
	err  error
	done bool // abandoned
}

// newBlockHash starts the hash of a file of size octets in chunks of
// chunk octets, a multiple of digest.BlockSize unless the file is one
// chunk. With file, the file is read and hashed by a goroutine and inline
// does nothing.
func newBlockHash(size, chunk int64, file *os.File) *blockHash {
	chunks := (size + chunk - 1) / chunk
	b := &blockHash{size: size, chunk: chunk, sums: make([]digest.Sum, digest.Blocks(size)), seen: make([]bool, chunks), left: chunks}
	b.cond = sync.NewCond(&b.mu)
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
			b.mu.Lock()
			b.err = fmt.Errorf("flaxfile: reading at %d to hash: %w", off, err)
			b.cond.Broadcast()
			b.mu.Unlock()
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
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.done = true
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.left > 0 && b.err == nil && !b.done {
		b.cond.Wait()
	}
	switch {
	case b.err != nil:
		return "", b.err
	case b.left > 0:
		return "", ctx.Err()
	}
	return digest.File(b.size, b.sums).String(), nil
}

func (b *blockHash) close() {
	b.mu.Lock()
	b.done = true
	b.cond.Broadcast()
	b.mu.Unlock()
}
