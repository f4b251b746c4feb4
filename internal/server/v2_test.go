package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// TestList2Pages: a FlaxFile 2 listing comes in pages of the size asked,
// in path order, every key once, with the file hashes of their contents;
// the cursor is gone after the last page.
func TestList2Pages(t *testing.T) {
	addr, st := startWith(t, server.Config{})
	d := dial(t, addr)
	want := map[string]string{}
	for _, k := range []string{"a.txt", "a/x", "a/y/z", "a-b", "b", "c/d", "c/e", "f", "g", "h", "i", "j"} {
		data := "content of " + k
		put(t, d, k, data)
		sum, _, _ := digest.Reader(strings.NewReader(data), int64(len(data)), nil)
		want[k] = sum.String()
	}
	r := d.req(wire.CmdList2, "", "1", "5")
	var got []wire.ListEntry2
	pages := 0
	for {
		if r[0] != "OK" || len(r) != 4 {
			t.Fatalf("reply %q", r)
		}
		pages++
		for _, line := range strings.Split(strings.TrimSuffix(r[3], "\n"), "\n") {
			if line == "" {
				continue
			}
			var e wire.ListEntry2
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
		}
		if r[2] == "0" {
			break
		}
		r = d.req(wire.CmdListNext, r[1])
	}
	var keys []string
	st.List(context.Background(), "", func(in store.Info) error { keys = append(keys, in.Key); return nil })
	if len(got) != len(keys) || pages != (len(keys)+4)/5 {
		t.Fatalf("%d entries in %d pages, store has %d", len(got), pages, len(keys))
	}
	for i, e := range got {
		if e.Key != keys[i] || e.Hash != want[e.Key] {
			t.Errorf("entry %d: %+v, want key %s hash %s", i, e, keys[i], want[e.Key])
		}
	}
	if r := d.req(wire.CmdListNext, r[1]); r[0] != "ERROR" {
		t.Fatalf("cursor still open after the last page: %q", r)
	}
	// The hashes are recorded: the next listing reads no file. Prove it
	// by the metadata now on a file stored by 1.2's commands.
	o, err := st.Open(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if sum, _ := hex.DecodeString(want["b"]); !bytes.Contains(o.Info().Meta, sum) {
		t.Fatalf("metadata of b: %x, want its hash %s in it", o.Info().Meta, want["b"])
	}
}

// TestPutRejectsBadInput: malformed FlaxFile 2 requests get an ERROR and
// change nothing; a chunk whose hash does not match is not counted.
func TestPutRejectsBadInput(t *testing.T) {
	addr, st := startWith(t, server.Config{})
	d := dial(t, addr)
	id := strings.Repeat("ab", 16)
	for _, args := range [][]string{
		{wire.CmdPut, "k", "-1", "4194304", "0", "420", id},
		{wire.CmdPut, "k", "10", "1000", "0", "420", id},         // chunk not whole blocks
		{wire.CmdPut, "k", "10", "33554432", "0", "420", id},     // chunk too large
		{wire.CmdPut, "k", "10", "4194304", "0", "99999", id},    // mode
		{wire.CmdPut, "k", "10", "4194304", "0", "420", "short"}, // id
		{wire.CmdPut, "", "10", "4194304", "0", "420", id},       // root key
		{wire.CmdPut, "../x", "10", "4194304", "0", "420", id},   // escapes
		{wire.CmdPut, "k", "10", "4194304", "0", "420", "../" + id[3:]},
		{wire.CmdPutChunk, id, "0", "data", ""},
		{wire.CmdPutEnd, id, strings.Repeat("0", 32)},
		{wire.CmdGet, "missing"},
		{wire.CmdGetRange, "nohandle", "0", "1"},
		{wire.CmdList2, "", "0", "0"},
	} {
		if r := d.req(args...); r[0] != "ERROR" {
			t.Errorf("%q answered %q", args, r)
		}
	}
	data := bytes.Repeat([]byte("x"), 100)
	if r := d.req(wire.CmdPut, "k", "100", "4194304", "0", "420", id); r[0] != "OK" || r[2] != "" {
		t.Fatalf("PUT: %q", r)
	}
	bad := digest.Block([]byte("not the data"))
	for _, c := range []struct{ off, data, hashes string }{
		{"0", string(data), string(bad[:])},       // wrong hash
		{"0", string(data[:50]), string(bad[:])},  // short chunk
		{"4194304", string(data), string(bad[:])}, // past the end
		{"7", string(data), string(bad[:])},       // unaligned
		{"0", string(data), "short"},              // hash frame
	} {
		if r := d.req(wire.CmdPutChunk, id, c.off, c.data, c.hashes); r[0] != "ERROR" {
			t.Errorf("chunk at %s answered %q", c.off, r)
		}
	}
	good := digest.Block(data)
	if r := d.req(wire.CmdPutEnd, id, digest.File(100, []digest.Sum{good}).String()); r[0] != "ERROR" || !strings.Contains(r[1], "incomplete") {
		t.Fatalf("END with nothing received: %q", r)
	}
	if r := d.req(wire.CmdPutChunk, id, "0", string(data), string(good[:])); r[0] != "ACK" {
		t.Fatalf("good chunk: %q", r)
	}
	// PUT again (a resume) reports the block held, with its hash.
	r := d.req(wire.CmdPut, "k", "100", "4194304", "0", "420", id)
	if r[0] != "OK" || len(r[2]) != wire.HaveRecord || binary.BigEndian.Uint64([]byte(r[2])) != 0 || r[2][8:] != string(good[:]) {
		t.Fatalf("resumed PUT: %q", r)
	}
	// A file hash that is not the blocks' publishes nothing.
	if r := d.req(wire.CmdPutEnd, id, strings.Repeat("0", 32)); r[0] != "ERROR" || !strings.Contains(r[1], "checksum mismatch") {
		t.Fatalf("END with a wrong hash: %q", r)
	}
	if _, err := os.Stat(filepath.Join(st.Dir(), "k")); !os.IsNotExist(err) {
		t.Fatalf("published despite a wrong hash: %v", err)
	}
}

// TestPutSmallChecksEachFile: in a batch, a file whose hash does not match
// its data, or whose key is bad, fails alone; the others are published.
func TestPutSmallChecksEachFile(t *testing.T) {
	addr, st := startWith(t, server.Config{})
	d := dial(t, addr)
	good := []byte("good data")
	r := d.req(wire.CmdPutSmall,
		"a", "0", "420", digest.Small(good).String(), string(good),
		"b", "0", "420", digest.Small([]byte("other")).String(), string(good),
		"../c", "0", "420", digest.Small(good).String(), string(good))
	if r[0] != "OK" {
		t.Fatalf("reply %q", r)
	}
	var res []wire.SmallResult
	if err := json.Unmarshal([]byte(r[1]), &res); err != nil || len(res) != 3 {
		t.Fatalf("results %s: %v", r[1], err)
	}
	if res[0].Error != "" || !strings.Contains(res[1].Error, "checksum mismatch") || res[2].Error == "" {
		t.Fatalf("results %+v", res)
	}
	if got, _ := os.ReadFile(filepath.Join(st.Dir(), "a")); !bytes.Equal(got, good) {
		t.Fatal("a not stored")
	}
	if _, err := os.Stat(filepath.Join(st.Dir(), "b")); !os.IsNotExist(err) {
		t.Fatal("b published despite its hash")
	}
	if r := d.req(wire.CmdPutSmall, "a", "0"); r[0] != "ERROR" {
		t.Fatalf("a truncated batch answered %q", r)
	}
}

// TestPartialExpires: an interrupted upload's partial file and journal
// are removed once older than PartialExpiry, and not before its session
// has gone idle.
func TestPartialExpires(t *testing.T) {
	addr, st := startWith(t, server.Config{SessionTimeout: 50 * time.Millisecond, PartialExpiry: 300 * time.Millisecond})
	d := dial(t, addr)
	id := strings.Repeat("cd", 16)
	data := []byte("some data")
	sum := digest.Block(data)
	if r := d.req(wire.CmdPut, "k", "100", "4194304", "0", "420", id); r[0] != "OK" {
		t.Fatalf("PUT: %q", r)
	}
	if r := d.req(wire.CmdPutChunk, id, "0", string(data), string(sum[:])); r[0] != "ERROR" {
		t.Fatalf("short chunk accepted: %q", r) // 9 of 100 octets: refused, but the partial exists
	}
	partials := func() int {
		es, _ := os.ReadDir(filepath.Join(st.Dir(), ".flaxfile-partial"))
		return len(es)
	}
	if partials() != 2 {
		t.Fatalf("%d files in the partial directory, want the data and its journal", partials())
	}
	deadline := time.Now().Add(10 * time.Second)
	for partials() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the partial upload never expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConnectionFlood: 400 connections that never send a byte take at most
// the handshake slots (the rest are closed at once), are all closed when
// the handshake time runs out, and a real client is served meanwhile.
func TestConnectionFlood(t *testing.T) {
	addr, _ := startWith(t, server.Config{HandshakeTimeout: 2 * time.Second})
	var flood []net.Conn
	for range 400 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		flood = append(flood, c)
	}
	d := dial(t, addr)
	if r := d.req(wire.CmdPing); r[0] != wire.ReplyPong {
		t.Fatalf("PING during the flood: %q", r)
	}
	closed := func(c net.Conn, wait time.Duration) bool {
		c.SetReadDeadline(time.Now().Add(wait))
		var b [64]byte
		for {
			_, err := c.Read(b[:])
			if err != nil {
				return !errors.Is(err, os.ErrDeadlineExceeded)
			}
		}
	}
	early := 0
	for _, c := range flood {
		if closed(c, 20*time.Millisecond) {
			early++
		}
	}
	if early < 400-256 {
		t.Errorf("%d of 400 silent connections closed at once, want at least %d", early, 400-256)
	}
	for i, c := range flood {
		if !closed(c, 10*time.Second) {
			t.Fatalf("silent connection %d still open after the handshake time", i)
		}
	}
	if r := d.req(wire.CmdPing); r[0] != wire.ReplyPong {
		t.Fatalf("PING after the flood: %q", r)
	}
}

// TestUploadLimit: uploads beyond MaxSessions are refused with a clear
// error until one ends.
func TestUploadLimit(t *testing.T) {
	addr, _ := startWith(t, server.Config{MaxSessions: 2})
	d := dial(t, addr)
	ids := []string{strings.Repeat("a1", 16), strings.Repeat("b2", 16), strings.Repeat("c3", 16)}
	for i, id := range ids {
		r := d.req(wire.CmdPut, "k"+id[:2], "10", "4194304", "0", "420", id)
		if (i < 2) != (r[0] == "OK") {
			t.Fatalf("upload %d: %q", i, r)
		}
		if i == 2 && !strings.Contains(r[1], "too many uploads") {
			t.Fatalf("third upload: %q", r)
		}
	}
	if r := d.req("UPLOAD_START_CONCURRENT", "s1", "x", "5", "1"); r[0] != "ERROR" {
		t.Fatalf("a 1.2 upload over the limit: %q", r)
	}
	// One ends: room again.
	data := []byte("0123456789")
	sum := digest.Block(data)
	d.req(wire.CmdPutChunk, ids[0], "0", string(data), string(sum[:]))
	if r := d.req(wire.CmdPutEnd, ids[0], digest.Small(data).String()); r[0] != "OK" {
		t.Fatalf("end: %q", r)
	}
	if r := d.req(wire.CmdPut, "kc3", "10", "4194304", "0", "420", ids[2]); r[0] != "OK" {
		t.Fatalf("after one ended: %q", r)
	}
}

// GET with an offer of n octets answers a file that small with the file
// itself and no handle; a larger file, or a GET without the offer, gets a
// handle as before.
func TestGetInlinesSmallFiles(t *testing.T) {
	addr, srv := servertest.StartServer(t, server.Config{}, nil)
	d := dial(t, addr)
	small := "small file data"
	put(t, d, "s", small)
	big := strings.Repeat("x", wire.MaxSmallFile+1)
	put(t, d, "b", big)
	r := d.req(wire.CmdGet, "s", itoa(wire.MaxSmallFile))
	if len(r) != 7 || r[0] != "OK" || r[1] != "" || r[2] != itoa(len(small)) || r[6] != small {
		t.Fatalf("small file offered inline: %q", r)
	}
	if r[5] != digest.Small([]byte(small)).String() {
		t.Fatalf("inline reply hash %s, want the file's", r[5])
	}
	for _, c := range []struct {
		key   string
		offer []string
	}{
		{"s", nil},                                   // no offer
		{"s", []string{itoa(len(small) - 1)}},        // too small an offer
		{"b", []string{itoa(4 * wire.MaxSmallFile)}}, // over MaxSmallFile
		{"s", []string{"-1"}},                        // not a size
	} {
		r := d.req(append([]string{wire.CmdGet, c.key}, c.offer...)...)
		if len(r) != 6 || r[0] != "OK" || r[1] == "" {
			t.Fatalf("GET %s %q: %q, want a handle and no data", c.key, c.offer, r)
		}
		if e := d.req(wire.CmdGetEnd, r[1]); e[0] != "OK" {
			t.Fatalf("GET_END: %q", e)
		}
	}
	if st := srv.Stats(); st.OpenHandles != 0 || st.HandlesOpened != 4 {
		t.Fatalf("%d handles open, %d opened after one inline and four ended GETs, want 0 and 4", st.OpenHandles, st.HandlesOpened)
	}
}

// PUT_SUMS and PUT_PATCH take only blocks the upload holds and pieces
// inside them; a patch whose result does not hash to the client's block
// hash leaves the block not held (the client then sends it whole), and
// one that does makes the published file the patched one.
func TestPutPatch(t *testing.T) {
	addr, _ := startWith(t, server.Config{})
	d := dial(t, addr)
	id := strings.Repeat("cd", 16)
	const size = 100 << 10 // one block, two pieces
	data := bytes.Repeat([]byte("a"), size)
	if r := d.req(wire.CmdPut, "p", strconv.Itoa(size), "4194304", "0", "420", id); r[0] != "OK" {
		t.Fatalf("PUT: %q", r)
	}
	if r := d.req(wire.CmdPutSums, id, "0"); r[0] != "ERROR" {
		t.Fatalf("PUT_SUMS of a block not held: %q", r)
	}
	sum := digest.Block(data)
	if r := d.req(wire.CmdPutChunk, id, "0", string(data), string(sum[:])); r[0] != "ACK" {
		t.Fatalf("chunk: %q", r)
	}
	r := d.req(wire.CmdPutSums, id, "0")
	if r[0] != "OK" || len(r[1]) != 2*digest.Size {
		t.Fatalf("PUT_SUMS: %q", r)
	}
	if want := digest.Block(data[:wire.PatchPiece]); r[1][:digest.Size] != string(want[:]) {
		t.Fatalf("PUT_SUMS: first piece's hash %x, want %x", r[1][:digest.Size], want)
	}
	patched := bytes.Clone(data)
	copy(patched[wire.PatchPiece:], "zzzz")
	piece := string(patched[wire.PatchPiece:])
	good := digest.Block(patched)
	for _, args := range [][]string{
		{wire.CmdPutPatch, id, "1", string(good[:]), "0", "x"},                             // block past the file
		{wire.CmdPutPatch, id, "0", string(good[:]), "65536", piece + "tail"},              // piece past the block
		{wire.CmdPutPatch, id, "0", string(good[:]), "100", "x"},                           // not on a piece boundary
		{wire.CmdPutPatch, id, "0", "short", "65536", piece},                               // block hash
		{wire.CmdPutPatch, id, "0", string(good[:]), "65536", piece, "0", "x"},             // pieces out of order
		{wire.CmdPutPatch, strings.Repeat("ef", 16), "0", string(good[:]), "65536", piece}, // no such upload
	} {
		if r := d.req(args...); r[0] != "ERROR" {
			t.Errorf("PUT_PATCH %q answered %q", args[2:4], r)
		}
	}
	// A patch that does not make the client's block: the block is no
	// longer held, so PUT_END cannot publish it.
	if r := d.req(wire.CmdPutPatch, id, "0", string(sum[:]), "65536", piece); r[0] != "ERROR" || !strings.Contains(r[1], "patched hashes to") {
		t.Fatalf("PUT_PATCH with the wrong block hash: %q", r)
	}
	if r := d.req(wire.CmdPutEnd, id, digest.File(size, []digest.Sum{sum}).String()); r[0] != "ERROR" || !strings.Contains(r[1], "incomplete") {
		t.Fatalf("END after a failed patch: %q", r)
	}
	// Sent again whole, then mended: the patched file is what is published.
	if r := d.req(wire.CmdPutChunk, id, "0", string(data), string(sum[:])); r[0] != "ACK" {
		t.Fatalf("chunk again: %q", r)
	}
	if r := d.req(wire.CmdPutPatch, id, "0", string(good[:]), "65536", piece); r[0] != "OK" {
		t.Fatalf("PUT_PATCH: %q", r)
	}
	if r := d.req(wire.CmdPutEnd, id, digest.File(size, []digest.Sum{good}).String()); r[0] != "OK" {
		t.Fatalf("END after the patch: %q", r)
	}
	g := d.req(wire.CmdGet, "p", strconv.Itoa(size))
	if g[0] != "OK" || g[len(g)-1] != string(patched) {
		t.Fatalf("GET after the patch: %d frames, status %q", len(g), g[0])
	}
}
