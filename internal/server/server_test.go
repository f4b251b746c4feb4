package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/disk"
	"github.com/flaxfile/flaxfile/internal/store/storetest"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// dealer is a raw 1.2-style client for driving the server frame by frame.
type dealer struct {
	t *testing.T
	c *zmtp.Conn
}

func dial(t *testing.T, addr string) *dealer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := zmtp.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &dealer{t, c}
}

// req sends [delimiter, frames...] and returns the reply after its
// delimiter, as strings.
func (d *dealer) req(frames ...string) []string {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bs := [][]byte{{}}
	for _, f := range frames {
		bs = append(bs, []byte(f))
	}
	if err := d.c.Send(ctx, bs...); err != nil {
		d.t.Fatal(err)
	}
	m, err := d.c.Recv(ctx)
	if err != nil {
		d.t.Fatal(err)
	}
	defer m.Release()
	var out []string
	for _, f := range m.Frames[1:] {
		out = append(out, string(f))
	}
	return out
}

func startWith(t testing.TB, cfg server.Config) (string, *disk.Store) {
	return servertest.Start(t, cfg, nil)
}

func put(t *testing.T, d *dealer, key, data string) {
	t.Helper()
	sid := "s-" + key + "-" + time.Now().String()
	if r := d.req("UPLOAD_START_CONCURRENT", sid, key, itoa(len(data)), "1"); r[0] != "OK" {
		t.Fatalf("start: %v", r)
	}
	if data != "" {
		if r := d.req("UPLOAD_CHUNK_CONCURRENT", "0", data); r[0] != "ACK" {
			t.Fatalf("chunk: %v", r)
		}
	}
	if r := d.req("UPLOAD_END"); r[0] != "OK" {
		t.Fatalf("end: %v", r)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// An incomplete upload publishes nothing and leaves the old version whole.
func TestIncompleteUploadKeepsOldVersion(t *testing.T) {
	addr, st := startWith(t, server.Config{})
	d := dial(t, addr)
	put(t, d, "k", "old version")
	d.req("UPLOAD_START_CONCURRENT", "s2", "k", "20", "1")
	d.req("UPLOAD_CHUNK_CONCURRENT", "0", "0123456789")
	r := d.req("UPLOAD_END")
	if r[0] != "ERROR" || !strings.Contains(r[1], "incomplete") {
		t.Fatalf("END of an incomplete upload: %v", r)
	}
	if got := storetest.Get(t, st, "k"); string(got) != "old version" {
		t.Fatalf("old version became %q", got)
	}
	if r := d.req("LIST", "", "false"); !strings.Contains(r[1], `"size": 11`) || strings.Count(r[1], "key") != 1 {
		t.Fatalf("LIST shows %s", r[1])
	}
}

// Chunks may come in any order and chunk 0 may come last; memory does not
// hold them (they are written at their offsets once two equal lengths fix
// the chunk size), and the result is exact.
func TestChunksOutOfOrder(t *testing.T) {
	addr, st := startWith(t, server.Config{})
	d := dial(t, addr)
	data := "aaaabbbbccccddddee"
	d.req("UPLOAD_START_CONCURRENT", "s", "ooo", itoa(len(data)), "8")
	for _, id := range []int{4, 2, 3, 2, 1, 0} { // 2 twice: a duplicate
		off := id * 4
		chunk := data[off:min(off+4, len(data))]
		if r := d.req("UPLOAD_CHUNK_CONCURRENT", itoa(id), chunk); r[0] != "ACK" {
			t.Fatalf("chunk %d: %v", id, r)
		}
	}
	if r := d.req("UPLOAD_END"); r[0] != "OK" {
		t.Fatalf("end: %v", r)
	}
	if got := storetest.Get(t, st, "ooo"); string(got) != data {
		t.Fatalf("stored %q", got)
	}
	// A chunk that does not fit the learnt size is refused.
	d.req("UPLOAD_START_CONCURRENT", "s3", "bad", "8", "1")
	d.req("UPLOAD_CHUNK_CONCURRENT", "0", "abcd")
	if r := d.req("UPLOAD_CHUNK_CONCURRENT", "1", "toolong"); r[0] != "ERROR" {
		t.Fatalf("misfit chunk: %v", r)
	}
}

// An idle session expires and leaves no partial file.
func TestIdleSessionExpires(t *testing.T) {
	addr, st := startWith(t, server.Config{SessionTimeout: 100 * time.Millisecond})
	d := dial(t, addr)
	d.req("UPLOAD_START_CONCURRENT", "idle", "k", "10", "1")
	d.req("UPLOAD_CHUNK_CONCURRENT", "0", "01234")
	partial := filepath.Join(st.Dir(), store.PartialDir)
	// Watch the server's count of open uploads (its status): the session
	// goes when it expires. (The file being written may have no name to
	// watch: the disk store makes unnamed files where it can.)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for {
		r := d.req(wire.CmdStatus)
		var status wire.ServerStatus
		if len(r) < 2 || r[0] != "OK" || json.Unmarshal([]byte(r[1]), &status) != nil {
			t.Fatalf("status: %v", r)
		}
		if status.InFlight.Uploads == 0 {
			break
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("session never expired")
		}
	}
	if r := d.req("UPLOAD_CHUNK_CONCURRENT", "1", "56789"); r[0] != "ERROR" || r[1] != "No active upload" {
		t.Fatalf("chunk after expiry: %v", r)
	}
	if ents, err := os.ReadDir(partial); err != nil || len(ents) != 0 {
		t.Fatalf("partial files left: %v %v", ents, err)
	}
	if _, err := st.Stat(context.Background(), "k"); err == nil {
		t.Fatal("an expired upload was published")
	}
}

// A download reads the version its DOWNLOAD_START opened, in the chunk
// size it agreed, even when the key is replaced meanwhile: on the START's
// connection, and on another one through the handle.
func TestDownloadConsistentVersion(t *testing.T) {
	addr, _ := startWith(t, server.Config{})
	d := dial(t, addr)
	put(t, d, "v", "1111122222")
	r := d.req("DOWNLOAD_START_CONCURRENT", "v", "5", "exact-chunks")
	if len(r) != 6 || strings.Join(r[:5], ",") != "OK,10,2,5,exact-chunks" {
		t.Fatalf("start: %v", r)
	}
	handle := r[5]
	other := dial(t, addr)
	put(t, other, "v", "AAAAABBBBBCCCCC")
	r1 := d.req("DOWNLOAD_CHUNK_CONCURRENT", "v", "0")
	r2 := other.req("DOWNLOAD_CHUNK_CONCURRENT", "v", "1", handle)
	if r1[2]+r2[2] != "1111122222" {
		t.Fatalf("got %q %q, want the version opened at START", r1[2], r2[2])
	}
	// A new START sees the new version.
	if r := d.req("DOWNLOAD_START_CONCURRENT", "v"); r[1] != "15" {
		t.Fatalf("second start: %v", r)
	}
}

// TestDownloadStateNotShared: another connection from the same address
// starting a download of the same key in 2-octet chunks does not change
// what the first connection receives (the state was kept per address).
func TestDownloadStateNotShared(t *testing.T) {
	addr, _ := startWith(t, server.Config{})
	victim := dial(t, addr)
	put(t, victim, "k", "0123456789")
	if r := victim.req("DOWNLOAD_START_CONCURRENT", "k", "5", "exact-chunks"); r[0] != "OK" || r[3] != "5" {
		t.Fatalf("start: %v", r)
	}
	attacker := dial(t, addr)
	for _, args := range [][]string{{"2", "exact-chunks"}, {"2"}} {
		if r := attacker.req(append([]string{"DOWNLOAD_START_CONCURRENT", "k"}, args...)...); r[0] != "OK" {
			t.Fatalf("attacker's start: %v", r)
		}
		if r := victim.req("DOWNLOAD_CHUNK_CONCURRENT", "k", "1"); r[2] != "56789" {
			t.Fatalf("after another connection's START %v the victim got chunk 1 = %q, want 56789", args, r[2])
		}
	}
	// A handle is no use for another key.
	r := attacker.req("DOWNLOAD_START_CONCURRENT", "k", "2", "exact-chunks")
	put(t, attacker, "other", "secret")
	if r := attacker.req("DOWNLOAD_CHUNK_CONCURRENT", "other", "0", r[5]); r[0] != "ERROR" {
		t.Fatalf("a handle read another key: %v", r)
	}
}

// Two sessions on one key never interleave: the last to finish wins.
func TestConcurrentUploadsOneKey(t *testing.T) {
	addr, st := startWith(t, server.Config{})
	a, b := dial(t, addr), dial(t, addr)
	a.req("UPLOAD_START_CONCURRENT", "A", "same", "8", "1")
	b.req("UPLOAD_START_CONCURRENT", "B", "same", "8", "1")
	a.req("UPLOAD_CHUNK_CONCURRENT", "0", "aaaaaaaa")
	b.req("UPLOAD_CHUNK_CONCURRENT", "0", "bbbbbbbb")
	b.req("UPLOAD_END")
	a.req("UPLOAD_END")
	if got := storetest.Get(t, st, "same"); !bytes.Equal(got, []byte("aaaaaaaa")) {
		t.Fatalf("got %q, want the last finished upload", got)
	}
}

// A late member joining an unfinished session completes it (1.2's start
// race truncated the finished file instead).
func TestLateMemberCompletesSession(t *testing.T) {
	addr, st := startWith(t, server.Config{})
	a, b := dial(t, addr), dial(t, addr)
	a.req("UPLOAD_START_CONCURRENT", "S", "late", "8", "2")
	a.req("UPLOAD_CHUNK_CONCURRENT", "0", "aaaa")
	if r := a.req("UPLOAD_END"); r[0] != "ERROR" {
		t.Fatalf("END with chunk 1 missing: %v", r)
	}
	b.req("UPLOAD_START_CONCURRENT", "S", "late", "8", "2")
	b.req("UPLOAD_CHUNK_CONCURRENT", "1", "bbbb")
	if r := b.req("UPLOAD_END"); r[0] != "OK" || !strings.Contains(r[1], `"size": 8`) {
		t.Fatalf("late member's END: %v", r)
	}
	if got := storetest.Get(t, st, "late"); string(got) != "aaaabbbb" {
		t.Fatalf("got %q", got)
	}
}
