package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/flaxfile/flaxfile/internal/cdc"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// steps encodes PUT_BUILD's steps: pairs of (length, source), source -1
// for literal octets.
func steps(pairs ...int64) string {
	var b []byte
	for i := 0; i < len(pairs); i += 2 {
		src := uint64(math.MaxUint64)
		if pairs[i+1] >= 0 {
			src = uint64(pairs[i+1])
		}
		b = binary.BigEndian.AppendUint64(b, uint64(pairs[i]))
		b = binary.BigEndian.AppendUint64(b, src)
	}
	return string(b)
}

// PUT_CUTS describes the key's current file as cdc cuts it; PUT_BUILD
// takes steps only inside the block and the old file, holds the block only
// when the built octets hash as the client's, and the file published is
// the one built; GET_CUTS describes a GET's file.
func TestPutBuild(t *testing.T) {
	addr, _ := startWith(t, server.Config{})
	d := dial(t, addr)
	old := make([]byte, 100<<10)
	_, _ = rand.Read(old)
	put := func(id string, data []byte, delta bool) {
		args := []string{wire.CmdPut, "p", strconv.Itoa(len(data)), "4194304", "0", "420", id}
		if delta {
			args = append(args, wire.FeatureDelta)
		}
		if r := d.req(args...); r[0] != "OK" {
			t.Fatalf("PUT: %q", r)
		}
	}
	id1, id2 := strings.Repeat("a1", 16), strings.Repeat("b2", 16)
	put(id1, old, false)
	sum := digest.Block(old)
	if r := d.req(wire.CmdPutChunk, id1, "0", string(old), string(sum[:])); r[0] != "ACK" {
		t.Fatalf("chunk: %q", r)
	}
	if r := d.req(wire.CmdPutEnd, id1, digest.File(int64(len(old)), []digest.Sum{sum}).String()); r[0] != "OK" {
		t.Fatalf("END: %q", r)
	}

	cur := append([]byte("xyz"), old...) // shifted by three octets
	n := int64(len(cur))
	put(id2, cur, true)
	r := d.req(wire.CmdPutCuts, id2)
	frames := [][]byte{}
	for _, f := range r {
		frames = append(frames, []byte(f))
	}
	cuts, err := wire.ParseCutsReply(frames, wire.CmdPutCuts)
	if err != nil || cuts.Size != int64(len(old)) {
		t.Fatalf("PUT_CUTS: %+v %v", cuts, err)
	}
	var want []cdc.Chunk
	_ = cdc.Cut(context.Background(), bytes.NewReader(old), 0, int64(len(old)), func(c cdc.Chunk) error { want = append(want, c); return nil })
	if len(cuts.Chunks) != len(want) || cuts.Chunks[0] != want[0] {
		t.Fatalf("PUT_CUTS: %d cuts, want %d", len(cuts.Chunks), len(want))
	}
	good := digest.Block(cur)
	for _, args := range [][]string{
		{wire.CmdPutBuild, id2, "0", string(good[:]), steps(3, -1, n-3, 1), "xyz"},              // copies past the old file
		{wire.CmdPutBuild, id2, "0", string(good[:]), steps(3, -1, n-4, 0), "xyz"},              // short of the block
		{wire.CmdPutBuild, id2, "1", string(good[:]), steps(3, -1), "xyz"},                      // block past the file
		{wire.CmdPutBuild, id2, "0", string(good[:]), steps(4, -1, n-4, 0), "xyz"},              // literal octets not in data
		{wire.CmdPutBuild, strings.Repeat("ef", 16), "0", string(good[:]), steps(3, -1), "xyz"}, // no such upload
	} {
		if r := d.req(args...); r[0] != "ERROR" {
			t.Errorf("PUT_BUILD %q answered %q", args[2], r)
		}
	}
	// Steps that build other octets than the client's: not held.
	if r := d.req(wire.CmdPutBuild, id2, "0", string(good[:]), steps(3, -1, n-3, 0), "xyw"); r[0] != "ERROR" || !strings.Contains(r[1], "built hashes to") {
		t.Fatalf("PUT_BUILD of other octets: %q", r)
	}
	if r := d.req(wire.CmdPutEnd, id2, digest.File(n, []digest.Sum{good}).String()); r[0] != "ERROR" || !strings.Contains(r[1], "incomplete") {
		t.Fatalf("END after a failed build: %q", r)
	}
	if r := d.req(wire.CmdPutBuild, id2, "0", string(good[:]), steps(3, -1, n-3, 0), "xyz"); r[0] != "OK" || len(r) != 2 || r[1] != "0" {
		t.Fatalf("PUT_BUILD: %q", r)
	}
	if r := d.req(wire.CmdPutEnd, id2, digest.File(n, []digest.Sum{good}).String()); r[0] != "OK" {
		t.Fatalf("END after the build: %q", r)
	}
	g := d.req(wire.CmdGet, "p")
	if g[0] != "OK" {
		t.Fatalf("GET: %q", g)
	}
	r = d.req(wire.CmdGetCuts, g[1])
	frames = frames[:0]
	for _, f := range r {
		frames = append(frames, []byte(f))
	}
	if cuts, err = wire.ParseCutsReply(frames, wire.CmdGetCuts); err != nil || cuts.Size != n {
		t.Fatalf("GET_CUTS: %+v %v", cuts, err)
	}
	r = d.req(wire.CmdGetRange, g[1], "0", strconv.FormatInt(n, 10))
	if r[0] != "DATA" || r[2] != string(cur) {
		t.Fatalf("the file built is not the client's")
	}
}

// A build whose octets do not hash as the client's leaves the upload as
// it was: a block held from the old file stays held, and the upload still
// publishes; a good one replaces it.
func TestFailedBuildKeepsHeldBlock(t *testing.T) {
	addr, store := startWith(t, server.Config{})
	d := dial(t, addr)
	bs := int64(digest.BlockSize)
	old := make([]byte, bs+100)
	_, _ = rand.Read(old)
	put := func(id string, delta bool) []string {
		args := []string{wire.CmdPut, "k", strconv.Itoa(len(old)), strconv.FormatInt(bs, 10), "0", "420", id}
		if delta {
			args = append(args, wire.FeatureDelta)
		}
		r := d.req(args...)
		if r[0] != "OK" {
			t.Fatalf("PUT: %q", r)
		}
		return r
	}
	sums := []digest.Sum{digest.Block(old[:bs]), digest.Block(old[bs:])}
	id1, id2 := strings.Repeat("c3", 16), strings.Repeat("d4", 16)
	put(id1, false)
	for i, s := range sums {
		off := int64(i) * bs
		if r := d.req(wire.CmdPutChunk, id1, strconv.FormatInt(off, 10), string(old[off:min(off+bs, int64(len(old)))]), string(s[:])); r[0] != "ACK" {
			t.Fatalf("chunk: %q", r)
		}
	}
	whole := digest.File(int64(len(old)), sums).String()
	if r := d.req(wire.CmdPutEnd, id1, whole); r[0] != "OK" {
		t.Fatalf("END: %q", r)
	}
	if r := put(id2, true); len(r) < 2 {
		t.Fatalf("delta PUT held nothing: %q", r)
	}
	// Block 0 built from the old file's second block: other octets.
	if r := d.req(wire.CmdPutBuild, id2, "0", string(sums[0][:]), steps(100, bs, bs-100, 0), ""); r[0] != "ERROR" || !strings.Contains(r[1], "built hashes to") {
		t.Fatalf("PUT_BUILD of other octets: %q", r)
	}
	// Block 0 rebuilt from itself in two steps, one literal.
	if r := d.req(wire.CmdPutBuild, id2, "0", string(sums[0][:]), steps(5, -1, bs-5, 5), string(old[:5])); r[0] != "OK" {
		t.Fatalf("PUT_BUILD: %q", r)
	}
	if r := d.req(wire.CmdPutEnd, id2, whole); r[0] != "OK" {
		t.Fatalf("END after a failed build: %q", r)
	}
	o, err := store.Open(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got, err := io.ReadAll(io.NewSectionReader(o, 0, o.Info().Size))
	if err != nil || !bytes.Equal(got, old) {
		t.Fatalf("published %d octets (%v), not the file", len(got), err)
	}
}
