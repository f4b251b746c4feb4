package server_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/flaxfile/flaxfile/internal/compress"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// A compressed PUT_CHUNK counts only if its frame decodes to exactly the
// chunk its hashes describe; GET_RANGE compresses on request when that
// shrinks the range, at a level it knows.
func TestCompressedChunks(t *testing.T) {
	addr, _ := startWith(t, server.Config{})
	d := dial(t, addr)
	data := bytes.Repeat([]byte("compressible line of text\n"), 4000) // ~100 KiB
	n := len(data)
	sum := digest.Block(data)
	id := strings.Repeat("c3", 16)
	if r := d.req(wire.CmdPut, "z", strconv.Itoa(n), "4194304", "0", "420", id); r[0] != "OK" {
		t.Fatalf("PUT: %q", r)
	}
	frame, ok := compress.Compress(nil, data, compress.Fast)
	short, _ := compress.Compress(nil, data[:n-1], compress.Fast)
	if !ok {
		t.Fatal("text did not compress")
	}
	for _, tc := range []struct{ name, data, codec string }{
		{"not a frame", "garbage", wire.CodecZstd},
		{"a frame one octet short", string(short), wire.CodecZstd},
		{"an unknown codec", string(frame), "lz4"},
	} {
		if r := d.req(wire.CmdPutChunk, id, "0", tc.data, string(sum[:]), tc.codec); r[0] != "ERROR" {
			t.Errorf("%s: %q", tc.name, r)
		}
	}
	if r := d.req(wire.CmdPutChunk, id, "0", string(frame), string(sum[:]), wire.CodecZstd); r[0] != "ACK" {
		t.Fatalf("compressed chunk: %q", r)
	}
	if r := d.req(wire.CmdPutEnd, id, digest.File(int64(n), []digest.Sum{sum}).String()); r[0] != "OK" {
		t.Fatalf("END: %q", r)
	}
	g := d.req(wire.CmdGet, "z")
	if g[0] != "OK" {
		t.Fatalf("GET: %q", g)
	}
	r := d.req(wire.CmdGetRange, g[1], "0", strconv.Itoa(n), "strong")
	if r[0] != "DATA" || len(r) != 4 || r[3] != wire.CodecZstd || len(r[2]) >= n/4 {
		t.Fatalf("compressed GET_RANGE: %d frames, %d octets", len(r), len(r[2]))
	}
	got, err := compress.Decompress(make([]byte, 0, n), []byte(r[2]), n)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the range's frame: %v", err)
	}
	if r := d.req(wire.CmdGetRange, g[1], "0", strconv.Itoa(n), "best"); r[0] != "ERROR" {
		t.Fatalf("unknown level: %q", r)
	}
}

// A range asked for compressed when the memory budget has no room for the
// buffers comes as it is, at once, rather than waiting behind whatever
// holds the memory.
func TestCompressedRangeWithoutRoom(t *testing.T) {
	addr, _ := startWith(t, server.Config{MemoryLimit: 64 << 10})
	d := dial(t, addr)
	data := bytes.Repeat([]byte("compressible line of text\n"), 4000) // ~100 KiB: twice is over the budget
	n := len(data)
	sum := digest.Block(data)
	id := strings.Repeat("d4", 16)
	if r := d.req(wire.CmdPut, "z", strconv.Itoa(n), "4194304", "0", "420", id); r[0] != "OK" {
		t.Fatalf("PUT: %q", r)
	}
	if r := d.req(wire.CmdPutChunk, id, "0", string(data), string(sum[:])); r[0] != "ACK" {
		t.Fatalf("chunk: %q", r)
	}
	if r := d.req(wire.CmdPutEnd, id, digest.File(int64(n), []digest.Sum{sum}).String()); r[0] != "OK" {
		t.Fatalf("END: %q", r)
	}
	g := d.req(wire.CmdGet, "z")
	r := d.req(wire.CmdGetRange, g[1], "0", strconv.Itoa(n), "fast")
	if r[0] != "DATA" || len(r) != 3 || r[2] != string(data) {
		t.Fatalf("GET_RANGE without room: %d frames", len(r))
	}
}
