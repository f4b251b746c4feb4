package flaxfile

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/flaxfile/flaxfile/internal/digest"
)

// A delta upload compares the source's blocks with the server's, whose
// hashes PUT's reply lists. The source's are hashed meanwhile, while the
// reply crosses the link, several blocks at once; a reply that lists none
// stops the hashing. A delta download hashes its local copy's blocks the
// same way while GET_BLOCKS is answered.

// preHashBlocks bounds the blocks hashed ahead (4 GiB): those after are
// hashed as they are compared.
const preHashBlocks = 1024

// preHashWorkers is how many blocks are hashed ahead at once.
var preHashWorkers = min(runtime.GOMAXPROCS(0), 4)

// preHash is the source's first blocks being hashed.
type preHash struct {
	sums   []digest.Sum
	ok     []bool
	done   []chan struct{}
	stop   context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

// startPreHash begins hashing the first blocks of the source.
func (u *upload) startPreHash(ctx context.Context) *preHash {
	return startPreHash(ctx, u.src, u.file, u.size)
}

// startPreHash begins hashing the first blocks of src, of size octets
// (file, if not nil, is src as a file).
func startPreHash(ctx context.Context, src io.ReaderAt, file *os.File, size int64) *preHash {
	n := min(digest.Blocks(size), preHashBlocks)
	ctx, stop := context.WithCancel(ctx)
	p := &preHash{sums: make([]digest.Sum, n), ok: make([]bool, n), done: make([]chan struct{}, n), stop: stop}
	for i := range p.done {
		p.done[i] = make(chan struct{})
	}
	var next atomic.Int64
	for range preHashWorkers {
		p.wg.Go(func() {
			var buf []byte
			for i := next.Add(1) - 1; i < n; i = next.Add(1) - 1 {
				if ctx.Err() == nil {
					var err error
					p.sums[i], buf, err = hashBlock(src, file, size, i, buf)
					p.ok[i] = err == nil
				}
				close(p.done[i])
			}
		})
	}
	return p
}

// sum returns block i's hash once it is ready; false when it was not
// hashed ahead (past the bound, stopped, or unreadable then).
func (p *preHash) sum(i int64) (digest.Sum, bool) {
	if p == nil || i >= int64(len(p.sums)) {
		return digest.Sum{}, false
	}
	<-p.done[i]
	return p.sums[i], p.ok[i]
}

// end stops the hashing and waits for it.
func (p *preHash) end() {
	if p == nil || p.closed {
		return
	}
	p.closed = true
	p.stop()
	p.wg.Wait()
}

// hashBlock hashes block i of a source of size octets: a file by
// digest.FileBlocks, another reader through buf (grown as needed, and
// returned for the next block).
func hashBlock(src io.ReaderAt, file *os.File, size, i int64, buf []byte) (digest.Sum, []byte, error) {
	n := digest.BlockLen(size, i)
	if file != nil {
		sums, err := digest.FileBlocks(file, i*digest.BlockSize, n)
		if err != nil {
			return digest.Sum{}, buf, err
		}
		return sums[0], buf, nil
	}
	if buf == nil {
		buf = make([]byte, digest.BlockSize)
	}
	if m, err := src.ReadAt(buf[:n], i*digest.BlockSize); int64(m) < n {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return digest.Sum{}, buf, fmt.Errorf("reading at %d: %w", i*digest.BlockSize, err)
	}
	return digest.Block(buf[:n]), buf, nil
}
