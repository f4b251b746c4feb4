package server_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// TestEarlyChunksBounded: 1.2 chunks that arrive before chunk 0 are held
// in memory, at most two lengths per session and MemoryLimit across the
// server; beyond that they are refused, and a session that then gets its
// chunk 0 completes. (They were held up to 64 MiB per session, outside the
// memory limit: 10 sessions × 61 chunks took a server from 77 to 706 MB.)
func TestEarlyChunksBounded(t *testing.T) {
	const limit = 1 << 20
	addr, st := startWith(t, server.Config{MemoryLimit: limit})
	d := dial(t, addr)
	const chunk = 300 << 10
	size := 9*chunk + 100
	data := []byte(strings.Repeat("0123456789", size/10))
	part := func(id int) string { return string(data[id*chunk : min((id+1)*chunk, size)]) }
	if r := d.req("UPLOAD_START_CONCURRENT", "s1", "a", itoa(size), "1"); r[0] != "OK" {
		t.Fatalf("start: %v", r)
	}
	// The last chunk and a whole one may come before chunk 0; a third
	// length cannot be a 1.2 client's.
	for _, id := range []int{9, 5} {
		if r := d.req("UPLOAD_CHUNK_CONCURRENT", itoa(id), part(id)); r[0] != "ACK" {
			t.Fatalf("early chunk %d: %v", id, r)
		}
	}
	if r := d.req("UPLOAD_CHUNK_CONCURRENT", "7", strings.Repeat("x", chunk-2)); r[0] != "ERROR" {
		t.Fatalf("a third length before chunk 0 was held: %v", r)
	}
	// Other sessions share the rest of the limit: two more such chunks.
	refused := 0
	for s := range 4 {
		o := dial(t, addr)
		if r := o.req("UPLOAD_START_CONCURRENT", "o"+itoa(s), "b"+itoa(s), itoa(size), "1"); r[0] != "OK" {
			t.Fatalf("start: %v", r)
		}
		if r := o.req("UPLOAD_CHUNK_CONCURRENT", "3", strings.Repeat("y", chunk)); r[0] != "ACK" {
			refused++
			if !strings.Contains(r[1], "before chunk 0") {
				t.Fatalf("refusal: %v", r)
			}
		}
	}
	if refused != 2 {
		t.Fatalf("%d of 4 early chunks refused, want 2", refused)
	}
	// The first session completes once chunk 0 comes: the held chunks
	// were kept and written where they belong.
	for id := range 9 {
		if id == 5 {
			continue
		}
		if r := d.req("UPLOAD_CHUNK_CONCURRENT", itoa(id), part(id)); r[0] != "ACK" {
			t.Fatalf("chunk %d: %v", id, r)
		}
	}
	if r := d.req("UPLOAD_END"); r[0] != "OK" {
		t.Fatalf("end: %v", r)
	}
	obj, err := st.Open(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	got := make([]byte, size)
	if _, err := obj.ReadAt(got, 0); err != nil || string(got) != string(data) {
		t.Fatalf("published file differs (%v)", err)
	}
}

// TestHugeDeclaredPut: PUTs declaring 10 TiB cost the server nothing
// sized by that number: each used to allocate a 42 MB block table before
// the free-space refusal (128 pipelined ones crashed it).
func TestHugeDeclaredPut(t *testing.T) {
	addr, _ := startWith(t, server.Config{})
	d := dial(t, addr)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const tib10 = 10 << 40
	for i := range 16 {
		id := fmt.Sprintf("%032x", i)
		r := d.req("FLAXFILE_PUT", "huge"+itoa(i), itoa(tib10), itoa(4<<20), "0", "420", id)
		if r[0] != "ERROR" || !strings.Contains(r[1], "not enough space") {
			t.Fatalf("PUT of 10 TiB: %v", r)
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// Everything allocated meanwhile, freed or not: what pipelined PUTs
	// would hold at once.
	if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
		t.Fatalf("16 refused PUTs of 10 TiB allocated %d MiB", n>>20)
	}
	if r := d.req("PING"); r[0] != "PONG" {
		t.Fatalf("ping after: %v", r)
	}
}

// TestLateChunksKeepHeldBlocks: chunks of an interrupted client that land
// after a resumed run was told which blocks the server holds (the same
// data, rewritten) never make a held block missing: every PUT meanwhile
// lists every block, and PUT_END finds none missing. A block used to be
// marked missing while a chunk rewrote it, so the resumed run left it out
// and PUT_END said "upload incomplete: 2 of 192 blocks missing".
func TestLateChunksKeepHeldBlocks(t *testing.T) {
	addr, _ := startWith(t, server.Config{})
	const blocks = 4
	data := make([]byte, blocks*digest.BlockSize)
	for i := range data {
		data[i] = byte(i * 7)
	}
	id := strings.Repeat("ab", 16)
	putArgs := []string{wire.CmdPut, "late", itoa(len(data)), itoa(digest.BlockSize), "1000000000", "420", id}
	d := dial(t, addr)
	if r := d.req(putArgs...); r[0] != "OK" {
		t.Fatalf("put: %v", r)
	}
	chunk := func(d *dealer, b int) []string {
		part := data[b*digest.BlockSize : (b+1)*digest.BlockSize]
		sum := digest.Chunk(part)
		return d.req(wire.CmdPutChunk, id, itoa(b*digest.BlockSize), string(part), string(sum[0][:]))
	}
	for b := range blocks {
		if r := chunk(d, b); r[0] != "ACK" {
			t.Fatalf("chunk %d: %v", b, r)
		}
	}
	// The late chunks: four connections rewriting every block, while the
	// resumed run asks what is held.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		late := dial(t, addr)
		wg.Go(func() {
			for b := 0; ; b = (b + 1) % blocks {
				select {
				case <-stop:
					return
				default:
				}
				chunk(late, b)
			}
		})
	}
	for i := range 100 {
		r := d.req(putArgs...)
		if r[0] != "OK" || len(r[2]) != blocks*wire.HaveRecord {
			close(stop)
			wg.Wait()
			t.Fatalf("PUT %d while late chunks land: %d of %d blocks held (%v)", i, len(r[2])/wire.HaveRecord, blocks, r[0])
		}
	}
	close(stop)
	wg.Wait()
	sum := digest.File(int64(len(data)), digest.Chunk(data))
	if r := d.req(wire.CmdPutEnd, id, sum.String()); r[0] != "OK" {
		t.Fatalf("put end: %v", r)
	}
}

// TestPutDuringPublish: a PUT of an upload that is being published waits
// for the publication, then opens afresh; a PUT_END racing the first one
// either publishes or is told the session is gone, never a store error
// ("not found: chtimes .flaxfile-partial/put-…" when the second PUT had
// reopened the partial file being renamed).
func TestPutDuringPublish(t *testing.T) {
	addr, _ := startWith(t, server.Config{})
	data := []byte("a small file, one block")
	sum := digest.File(int64(len(data)), digest.Chunk(data))
	hashes := digest.Chunk(data)
	for i := range 50 {
		id := fmt.Sprintf("%032x", i)
		putArgs := []string{wire.CmdPut, "race" + itoa(i), itoa(len(data)), itoa(digest.BlockSize), "1000000000", "420", id}
		a, b := dial(t, addr), dial(t, addr)
		if r := a.req(putArgs...); r[0] != "OK" {
			t.Fatalf("put: %v", r)
		}
		if r := a.req(wire.CmdPutChunk, id, "0", string(data), string(hashes[0][:])); r[0] != "ACK" {
			t.Fatalf("chunk: %v", r)
		}
		var wg sync.WaitGroup
		var endA, endB []string
		wg.Go(func() { endA = a.req(wire.CmdPutEnd, id, sum.String()) })
		r := b.req(putArgs...)
		if r[0] != "OK" {
			t.Fatalf("run %d: second PUT: %v", i, r)
		}
		if len(r[2]) == wire.HaveRecord { // it joined before the publication
			endB = b.req(wire.CmdPutEnd, id, sum.String())
		}
		wg.Wait()
		ok := 0
		for _, e := range [][]string{endA, endB} {
			switch {
			case e == nil:
			case e[0] == "OK":
				ok++
			case e[1] != wire.ErrSessionNotFound && e[1] != "upload already finished":
				t.Fatalf("run %d: PUT_END: %v", i, e)
			}
		}
		if ok == 0 {
			t.Fatalf("run %d: nothing published: %v %v", i, endA, endB)
		}
	}
}
