package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/dirsync"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// Several FlaxFile servers on one bucket (issue 18): what one publishes
// the others list and serve at once, and an upload cut short through one
// resumes through another, moving only the parts the store lacks.

// shared opens n stores on one fresh prefix, as n servers would.
func shared(t *testing.T, n int) []string {
	t.Helper()
	var id [6]byte
	_, _ = rand.Read(id[:])
	prefix := "t/" + hex.EncodeToString(id[:])
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = serve(t, openAt(t, prefix))
	}
	return addrs
}

// cutAfter cancels a transfer once it has reported k chunks, and counts
// what it reports.
type cutAfter struct {
	mu     sync.Mutex
	k, n   int
	octets int64
	cancel context.CancelFunc
}

func (c *cutAfter) Start(string, int64) {}

func (c *cutAfter) Transferred(_ string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.octets += n
	if c.n == c.k && c.cancel != nil {
		c.cancel()
	}
}

func TestUploadResumesThroughAnotherServer(t *testing.T) {
	const block = 4 << 20
	for _, c := range []struct {
		name  string
		chunk int64
		cut   int   // chunks acknowledged before the client is cut off
		kept  int64 // octets the store keeps of them: its whole parts
		late  int64 // and of the chunk that may be in flight when it is: the parts it completes
	}{
		{"parts sent as they come", 0, 3, 3 * 2 * block, 2 * block}, // chunks are parts (8 MiB)
		{"parts gathered in the spool", block, 5, 4 * block, 2 * block},
		{"chunks over two parts", 4 * block, 1, 4 * block, 4 * block}, // a 16 MiB chunk: parts 1 and 2
	} {
		t.Run(c.name, func(t *testing.T) { resumeThroughAnother(t, c.chunk, c.cut, c.kept, c.late) })
	}
}

// resumeThroughAnother cuts an upload of chunk-sized chunks (0: the
// server's choice) short after cut chunks through server A, stops A,
// and checks that the upload through B moves all but kept octets, or
// all but kept+late when the next chunk, in flight as the client was
// cut off, reached A all the same (a loaded machine).
func resumeThroughAnother(t *testing.T, chunk int64, cut int, kept, late int64) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var id [6]byte
	_, _ = rand.Read(id[:])
	prefix := "t/" + hex.EncodeToString(id[:])
	addrA, _, stopA := serveStop(t, openAt(t, prefix))
	defer stopA()
	addrB := serve(t, openAt(t, prefix))
	data := make([]byte, 10*(4<<20)+1000)
	_, _ = rand.Read(data)
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cctx, stop := context.WithCancel(ctx)
	first := &cutAfter{k: cut, cancel: stop}
	a, err := flaxfile.Dial(ctx, addrA, &flaxfile.Options{Progress: first, Connections: 1, Window: 1, ChunkSize: chunk, Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetFile(cctx, "big", src); err == nil {
		t.Fatal("the cut-short upload finished")
	}
	a.Close()
	stopA() // server A is gone; what it sent of the upload is in the store
	b, err := flaxfile.Dial(ctx, addrB, &flaxfile.Options{Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res, err := b.SetFile(ctx, "big", src)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(len(data)) - kept
	switch res.Moved {
	case want:
	case want - late:
		t.Logf("the chunk in flight when the client was cut off reached A: B moved %d octets", res.Moved)
	default:
		t.Errorf("the upload resumed through B moved %d octets, want %d, or %d if the chunk in flight reached A (A took %d chunks)", res.Moved, want, want-late, first.n)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := b.GetFile(ctx, "big", out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatal("the file resumed through B is not the one sent")
	}
}

// A file set through one server is listed and served by the others at
// once; a tree pushed through one and pulled through another comes out
// the same.
func TestServersShareOneNamespace(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	addrs := shared(t, 3)
	clients := make([]*flaxfile.Client, len(addrs))
	for i, a := range addrs {
		c, err := flaxfile.Dial(ctx, a, &flaxfile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	dir := t.TempDir()
	data := make([]byte, 9<<20+7)
	_, _ = rand.Read(data)
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := clients[0].SetFile(ctx, "f/one", src); err != nil {
		t.Fatal(err)
	}
	for i, c := range clients[1:] {
		entries, err := c.List(ctx, "f", true)
		if err != nil || len(entries) != 1 || entries[0].Size != int64(len(data)) {
			t.Fatalf("server %d lists %+v, %v", i+1, entries, err)
		}
		out := filepath.Join(dir, "out")
		if _, err := c.GetFile(ctx, "f/one", out); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Fatalf("server %d served another file", i+1)
		}
	}

	tree := filepath.Join(dir, "tree")
	files := map[string][]byte{}
	for i := range 40 {
		name := filepath.Join(fmt.Sprintf("d%d", i%4), fmt.Sprintf("f%02d", i))
		b := make([]byte, 100*i+1)
		_, _ = rand.Read(b)
		files[name] = b
		p := filepath.Join(tree, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := dirsync.Push(ctx, clients[0], tree, "tree", nil); err != nil {
		t.Fatal(err)
	}
	back := filepath.Join(dir, "back")
	if _, err := dirsync.Pull(ctx, clients[2], "tree", back, nil); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		got, err := os.ReadFile(filepath.Join(back, name))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%s pulled through another server: %v", name, err)
		}
	}
	// A re-push through the third server finds nothing to send.
	res, err := dirsync.Push(ctx, clients[1], tree, "tree", nil)
	if err != nil || res.Sent != 0 {
		t.Fatalf("a re-push through another server sent %+v, %v", res, err)
	}
}

// Clients spread over the servers, writing and reading the same keys at
// once, only ever read a whole version someone wrote.
func TestServersManyClients(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	addrs := shared(t, 3)
	const clients, keys, rounds = 32, 4, 3
	dir := t.TempDir()
	versions := map[[32]byte]bool{}
	srcs := make([]string, clients)
	for i := range clients {
		b := make([]byte, (1<<20)+i*4096) // some over one block: more than one part
		if i%8 == 0 {
			b = make([]byte, 9<<20+i)
		}
		_, _ = rand.Read(b)
		versions[sha256.Sum256(b)] = true
		srcs[i] = filepath.Join(dir, fmt.Sprintf("src%d", i))
		if err := os.WriteFile(srcs[i], b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, clients)
	var absent, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			c, err := flaxfile.Dial(ctx, addrs[i%len(addrs)], &flaxfile.Options{Connections: 2})
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for r := range rounds {
				key := fmt.Sprintf("k%d", (i+r)%keys)
				if _, err := c.SetFile(ctx, key, srcs[i]); err != nil {
					errs <- fmt.Errorf("client %d: set %s: %w", i, key, err)
					return
				}
				out := filepath.Join(dir, fmt.Sprintf("out%d", i))
				_, err := c.GetFile(ctx, fmt.Sprintf("k%d", (i+r+1)%keys), out)
				switch {
				case err != nil && errors.Is(err, flaxfile.ErrNotFound):
					absent.Add(1) // not set yet
				case err != nil && replaced(err):
					refused.Add(1) // replaced while read, three times: a clean failure
				case err != nil:
					errs <- fmt.Errorf("client %d: get: %w", i, err)
					return
				default:
					got, _ := os.ReadFile(out)
					if !versions[sha256.Sum256(got)] {
						errs <- fmt.Errorf("client %d read %d octets that no client wrote", i, len(got))
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("of %d gets, %d found no file yet and %d failed cleanly, the file replaced while read each time", clients*rounds, absent.Load(), refused.Load())
}

// replaced reports whether err is a get that failed because the key was
// replaced while it was read (a large object's reads are pinned to the
// version opened, and fail rather than mix two), or whose connection
// the server dropped mid-reply for that reason.
func replaced(err error) bool {
	return strings.Contains(err.Error(), wire.Replaced) || errors.Is(err, io.EOF)
}
