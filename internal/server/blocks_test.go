package server_test

import (
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// TestUploadBlockHash: with wire.HashBlocks the 1.2 upload commands are
// checked against FlaxFile 2's file hash, chunks arriving in any order
// (and one twice); a wrong hash publishes nothing, and chunks that are
// not whole blocks are refused.
func TestUploadBlockHash(t *testing.T) {
	addr, st := servertest.Start(t, server.Config{}, nil) // stopped at cleanup
	dir := st.Dir()
	const chunk = digest.BlockSize
	data := make([]byte, 3*chunk+12345)
	rand.Read(data)
	want, _, _ := digest.Reader(strings.NewReader(string(data)), int64(len(data)), nil)
	upload := func(key, sum string, order []int) []string {
		d := dial(t, addr)
		if r := d.req("UPLOAD_START_CONCURRENT", "s-"+key, key, itoa(len(data)), "1", wire.HashBlocks); r[0] != "OK" {
			t.Fatalf("start: %v", r)
		}
		for _, i := range order {
			part := data[i*chunk : min((i+1)*chunk, len(data))]
			if r := d.req("UPLOAD_CHUNK_CONCURRENT", itoa(i), string(part)); r[0] != "ACK" {
				t.Fatalf("chunk %d: %v", i, r)
			}
		}
		return d.req("UPLOAD_END", sum)
	}
	r := upload("good", want.String(), []int{2, 3, 0, 2, 1})
	var res wire.UploadResult
	if r[0] != "OK" || json.Unmarshal([]byte(r[1]), &res) != nil || res.Blocks != want.String() || res.SHA256 != "" {
		t.Fatalf("end: %v", r)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "good")); err != nil || string(got) != string(data) {
		t.Fatalf("stored file differs (%v)", err)
	}
	r = upload("bad", strings.Repeat("0", 32), []int{0, 1, 2, 3})
	if r[0] != "ERROR" || !strings.Contains(r[1], "checksum mismatch") || !strings.Contains(r[1], want.String()) {
		t.Fatalf("end with a wrong hash: %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad")); !os.IsNotExist(err) {
		t.Fatalf("published despite the mismatch (%v)", err)
	}
	// Chunks of 1 MiB are not whole blocks.
	d := dial(t, addr)
	if r := d.req("UPLOAD_START_CONCURRENT", "s-odd", "odd", itoa(len(data)), "1", wire.HashBlocks); r[0] != "OK" {
		t.Fatalf("start: %v", r)
	}
	if r := d.req("UPLOAD_CHUNK_CONCURRENT", "0", string(data[:1<<20])); r[0] != "ERROR" || !strings.Contains(r[1], "blocks") {
		t.Fatalf("a 1 MiB chunk in block mode: %v", r)
	}
	// The session has ended: later chunks, anywhere, and END say why.
	if r := d.req("UPLOAD_CHUNK_CONCURRENT", "9", string(data[9<<20:10<<20])); r[0] != "ERROR" || !strings.Contains(r[1], "blocks") {
		t.Fatalf("a later chunk: %v", r)
	}
	if r := d.req("UPLOAD_END"); r[0] != "ERROR" || !strings.Contains(r[1], "blocks") {
		t.Fatalf("end: %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "odd")); !os.IsNotExist(err) {
		t.Fatalf("published (%v)", err)
	}
}

// TestUploadLargeOtherHashes: uploads hashed as 1.2 does (SHA-256) or by
// XXH3-128 in file order take chunks anywhere in a file of several blocks,
// in any order.
func TestUploadLargeOtherHashes(t *testing.T) {
	addr, st := servertest.Start(t, server.Config{}, nil) // stopped at cleanup
	dir := st.Dir()
	const chunk = 1 << 20
	data := make([]byte, 9*chunk+777)
	rand.Read(data)
	for _, hashName := range []string{"", wire.HashXXH3128} {
		d := dial(t, addr)
		key := "big" + hashName
		start := []string{"UPLOAD_START_CONCURRENT", "s-" + key, key, itoa(len(data)), "1"}
		if hashName != "" {
			start = append(start, hashName)
		}
		if r := d.req(start...); r[0] != "OK" {
			t.Fatalf("start: %v", r)
		}
		for _, i := range []int{0, 9, 5, 1, 2, 3, 4, 8, 7, 6} {
			part := data[i*chunk : min((i+1)*chunk, len(data))]
			if r := d.req("UPLOAD_CHUNK_CONCURRENT", itoa(i), string(part)); r[0] != "ACK" {
				t.Fatalf("%q: chunk %d: %v", hashName, i, r)
			}
		}
		if r := d.req("UPLOAD_END"); r[0] != "OK" {
			t.Fatalf("%q: end: %v", hashName, r)
		}
		if got, err := os.ReadFile(filepath.Join(dir, key)); err != nil || string(got) != string(data) {
			t.Fatalf("%q: stored file differs (%v)", hashName, err)
		}
	}
}
