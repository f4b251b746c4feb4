package flaxfile_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// failingReader fails every read that reaches past limit.
type failingReader struct {
	r     io.ReaderAt
	limit int64
}

var errInjected = errors.New("injected read failure")

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.limit {
		return 0, errInjected
	}
	return f.r.ReadAt(p, off)
}

// TestPutResumes: an upload cut short is resumed by running it again,
// sending only what the server lacks, across a server restart, plain and
// encrypted; nothing is published before it is whole.
func TestPutResumes(t *testing.T) {
	for _, password := range []string{"", "pw"} {
		t.Run(map[bool]string{true: "CURVE", false: "NULL"}[password != ""], func(t *testing.T) {
			ctx := ctxFor(t)
			mech := func() server.Config { return server.Config{} }
			dir := filepath.Join(t.TempDir(), "storage")
			m := mechFor(t, password)
			addr, _, stop := servertest.StartIn(t, dir, mech(), m)
			defer func() { stop() }()
			_, data := randomFile(t, 5<<22+777) // six blocks
			size := int64(len(data))
			opts := &flaxfile.Options{Password: password, Connections: 1, Window: 1, ChunkSize: 4 << 20}
			c, err := flaxfile.Dial(ctx, addr, opts)
			if err != nil {
				t.Fatal(err)
			}
			// Chunks 0-2 are ACKed one by one; reading chunk 3 fails.
			_, err = c.Set(ctx, "big", failingReader{bytes.NewReader(data), 3 << 22}, size)
			c.Close()
			if !errors.Is(err, errInjected) {
				t.Fatalf("interrupted set: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "big")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a partial upload was published: %v", err)
			}
			// The server restarts; the partial file waits on its disk.
			stop()
			addr, _, stop = servertest.StartIn(t, dir, mech(), m)
			// Delta never: the second set below must send all, and a
			// loaded machine can make loopback look like a long link.
			c, err = flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: password, Delta: flaxfile.DeltaNever})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			res, err := c.Set(ctx, "big", bytes.NewReader(data), size)
			if err != nil {
				t.Fatal(err)
			}
			if want := size - 3<<22; res.Moved != want {
				t.Errorf("resumed upload moved %d octets, want %d", res.Moved, want)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "big")); !bytes.Equal(got, data) {
				t.Fatal("stored file differs")
			}
			// The partial is gone once published: the same set again sends all.
			res, err = c.Set(ctx, "big", bytes.NewReader(data), size)
			if err != nil || res.Moved != size {
				t.Fatalf("second set: moved %v, %v", res, err)
			}
		})
	}
}

// TestPutResumeOtherSource: a partial upload of other content under the
// same id is never mixed into the file: its blocks fail the client's
// hash check and are sent again.
func TestPutResumeOtherSource(t *testing.T) {
	ctx := ctxFor(t)
	addr, dir := startServer(t, "")
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Connections: 1, Window: 1, ChunkSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, a := randomFile(t, 3<<22)
	_, b := randomFile(t, 3<<22)
	copy(b, a[:1<<22]) // the first block alike, the others not
	size := int64(len(a))
	if _, err := c.Set(ctx, "k", failingReader{bytes.NewReader(a), 2 << 22}, size); !errors.Is(err, errInjected) {
		t.Fatal(err)
	}
	res, err := c.Set(ctx, "k", bytes.NewReader(b), size)
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != size-1<<22 {
		t.Errorf("moved %d, want %d (all but the one shared block)", res.Moved, size-1<<22)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "k")); !bytes.Equal(got, b) {
		t.Fatal("stored file is not the second source")
	}
}

func mechFor(t *testing.T, password string) zmtp.Mechanism {
	if password == "" {
		return nil
	}
	return servertest.Password(t, password)
}

// TestWalk: a FlaxFile 2 listing streams every file with its size, mode,
// time and file hash; against 1.2's commands it falls back to LIST.
func TestWalk(t *testing.T) {
	ctx := ctxFor(t)
	addr, _ := startServer(t, "")
	c, err := flaxfile.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, data := randomFile(t, 5<<20)
	if err := os.Chmod(src, 0o640); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"d/one", "d/two", "other"} {
		if _, err := c.SetFile(ctx, k, src); err != nil {
			t.Fatal(err)
		}
	}
	sum, _, _ := digest.Reader(bytes.NewReader(data), int64(len(data)), nil)
	var got []flaxfile.Entry
	if err := c.Walk(ctx, "d", true, func(e flaxfile.Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "d/one" || got[1].Key != "d/two" {
		t.Fatalf("walk: %+v", got)
	}
	for _, e := range got {
		if e.Sum != sum.String() || e.Size != int64(len(data)) || e.Mode != 0o640 {
			t.Errorf("entry %+v, want sum %s mode 0640", e, sum)
		}
	}
	old, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	got = nil
	if err := old.Walk(ctx, "", true, func(e flaxfile.Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2].Key != "other" || len(got[2].Hash) != 16 {
		t.Fatalf("1.2 walk: %+v", got)
	}
}

// TestPutResumeOtherChunkSize: a resumed upload may use another chunk
// size (they follow the link); the blocks already held still count.
func TestPutResumeOtherChunkSize(t *testing.T) {
	ctx := ctxFor(t)
	addr, dir := startServer(t, "")
	_, data := randomFile(t, 6<<22)
	size := int64(len(data))
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Connections: 1, Window: 1, ChunkSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set(ctx, "k", failingReader{bytes.NewReader(data), 3 << 22}, size); !errors.Is(err, errInjected) {
		t.Fatal(err)
	}
	c.Close()
	c, err = flaxfile.Dial(ctx, addr, &flaxfile.Options{ChunkSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Set(ctx, "k", bytes.NewReader(data), size)
	if err != nil {
		t.Fatal(err)
	}
	// Chunk 1 of 8 MiB holds blocks 2 (held) and 3 (missing): it goes
	// again whole; chunk 0 (blocks 0, 1) does not.
	if res.Moved != size-2<<22 {
		t.Errorf("moved %d, want %d", res.Moved, size-2<<22)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "k")); !bytes.Equal(got, data) {
		t.Fatal("stored file differs")
	}
}

// With Delta, a set over a key that holds a file sends only what differs:
// the 64 KiB piece of a block with one changed octet and the appended
// tail, not the whole file; a block mostly rewritten goes whole; the server builds the rest from its old file, and
// the file read back is the new one. Without Delta the whole file goes.
func TestDeltaUploadSendsOnlyChangedBlocks(t *testing.T) {
	for _, st := range []string{"disk", "mem"} {
		t.Run(st, func(t *testing.T) {
			ctx := ctxFor(t)
			c, addr := deltaClient(t, st)
			const block = 4 << 20
			src, data := randomFile(t, 10*block) // ten whole blocks
			if _, err := c.SetFile(ctx, "k", src); err != nil {
				t.Fatal(err)
			}
			// One octet changed in block 3, and 1 MiB appended (a new,
			// short block 10).
			data[3*block+12345] ^= 0xff
			tail := make([]byte, 1<<20)
			rand.Read(tail)
			data = append(data, tail...)
			if err := os.WriteFile(src, data, 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := c.SetFile(ctx, "k", src)
			if err != nil {
				t.Fatal(err)
			}
			// Block 3 is mended: only its 64 KiB piece with the change goes.
			if want := int64(64<<10 + 1<<20); res.Moved != want {
				t.Errorf("delta set sent %d octets, want %d (a piece of block 3 and the tail)", res.Moved, want)
			}
			mustGet(ctx, t, c, "k", data)

			// Most of block 6 rewritten: mending would cost more than it
			// saves, so the block goes whole.
			rand.Read(data[6*block : 6*block+block*7/8])
			if err := os.WriteFile(src, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if res, err = c.SetFile(ctx, "k", src); err != nil {
				t.Fatal(err)
			}
			if res.Moved != block {
				t.Errorf("delta set of a mostly new block sent %d octets, want the block's %d", res.Moved, block)
			}
			mustGet(ctx, t, c, "k", data)

			// The same change again without Delta: all of it goes.
			data[5*block] ^= 0xff
			if err := os.WriteFile(src, data, 0o644); err != nil {
				t.Fatal(err)
			}
			plain, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Delta: flaxfile.DeltaNever})
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			res, err = plain.SetFile(ctx, "k", src)
			if err != nil {
				t.Fatal(err)
			}
			if res.Moved != int64(len(data)) {
				t.Errorf("set without delta sent %d octets, want the whole %d", res.Moved, len(data))
			}
			mustGet(ctx, t, plain, "k", data)
		})
	}
}
