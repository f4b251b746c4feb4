package storetest

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
)

// optional are the tests of the parts a store may have: each checks that
// part where the store has it and is skipped where it has not.
var optional = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"Meta", testMeta},
	{"Filer", testFiler},
	{"Partials", testPartials},
	{"PartialsExpire", testPartialsExpire},
	{"Syncer", testSyncer},
	{"Spacer", testSpacer},
}

// testMeta: what a commit records comes back with the version (or nil,
// where the store keeps none); SetObjectMeta changes the version the
// object is open on, never a newer one.
func testMeta(t *testing.T, s store.Store) {
	meta := []byte(`{"hash":"abc"}`)
	u, err := s.Create(t.Context(), "m")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = u.WriteAt([]byte("data"), 0)
	if err := u.Commit(t.Context(), store.CommitOptions{NoSync: true, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	o, err := s.Open(t.Context(), "m")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if o.Info().Meta == nil {
		t.Skip("the store keeps no metadata")
	}
	if !bytes.Equal(o.Info().Meta, meta) {
		t.Fatalf("the open version's Meta %q, want %q", o.Info().Meta, meta)
	}
	if err := store.SetObjectMeta(o, make([]byte, store.MaxMeta+1)); err == nil {
		t.Fatal("SetObjectMeta took more than MaxMeta octets")
	}
	if _, ok := o.(store.MetaSetter); ok {
		if err := store.SetObjectMeta(o, []byte("later")); err != nil {
			t.Fatal(err)
		}
		if got := openMeta(t, s, "m"); string(got) != "later" {
			t.Fatalf("after SetMeta: %q", got)
		}
	}
	Put(t, s, "m", []byte("newer")) // no Meta: none recorded
	if err := store.SetObjectMeta(o, []byte("stale")); err != nil {
		t.Fatal(err)
	}
	if got := openMeta(t, s, "m"); string(got) == "stale" {
		t.Fatal("SetObjectMeta on an old version changed the newer one")
	}
	u, _ = s.Create(t.Context(), "big")
	if err := u.Commit(t.Context(), store.CommitOptions{NoSync: true, Meta: make([]byte, store.MaxMeta+1)}); err == nil {
		t.Fatal("Commit took more than MaxMeta octets of metadata")
	}
	if _, err := s.Stat(t.Context(), "big"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused commit published: %v", err)
	}
}

// openMeta is the Meta of key's current version, as Open reports it.
func openMeta(t *testing.T, s store.Store, key string) []byte {
	t.Helper()
	o, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	return o.Info().Meta
}

// testFiler: an object that offers its file gives the version's content.
func testFiler(t *testing.T, s store.Store) {
	Put(t, s, "f", []byte("in a file"))
	o, err := s.Open(t.Context(), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	fo, ok := o.(store.Filer)
	if !ok {
		t.Skip("the store's objects are not files")
	}
	f := fo.File()
	if f == nil {
		t.Fatal("File() is nil")
	}
	b, err := io.ReadAll(io.NewSectionReader(f, 0, o.Info().Size))
	if err != nil || string(b) != "in a file" {
		t.Fatalf("the file holds %q, %v", b, err)
	}
}

const id1, id2 = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"

// partialSize is the size the partials of these tests declare.
const partialSize = 7

// record appends rec, the record of [off, off+n), to p's journal.
func record(p store.Partial, rec []byte, off, n int64) error {
	if r, ok := p.(store.RangeJournal); ok {
		return r.AppendJournalFor(rec, off, n)
	}
	return p.AppendJournal(rec)
}

func partials(t *testing.T, s store.Store) store.Partials {
	p, ok := s.(store.Partials)
	if !ok {
		t.Skip("the store cannot resume uploads")
	}
	return p
}

// testPartials: a partial upload survives Close with its data and
// journal, is never listed, and publishes on Commit; bad ids are refused.
func testPartials(t *testing.T, s store.Store) {
	ps := partials(t, s)
	Put(t, s, "k", []byte("old"))
	for _, bad := range []string{"", "x", "0123456789ABCDEF0123456789ABCDEF", "../0123456789abcdef0123456789ab"} {
		if _, _, err := ps.OpenPartial(t.Context(), "k", bad, store.Spec{Size: partialSize}); err == nil {
			t.Errorf("OpenPartial took id %q", bad)
		}
	}
	p, fresh, err := ps.OpenPartial(t.Context(), "k", id1, store.Spec{Size: partialSize})
	if err != nil || !fresh {
		t.Fatalf("first open: fresh=%v %v", fresh, err)
	}
	if err := p.AppendJournal([]byte("head\n")); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		off       int64
		data, rec string
	}{{0, "now", "rec1\n"}, {3, "-new", "rec2\n"}} {
		if _, err := p.WriteAt([]byte(w.data), w.off); err != nil {
			t.Fatal(err)
		}
		if err := record(p, []byte(w.rec), w.off, int64(len(w.data))); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := Get(t, s, "k"); string(got) != "old" {
		t.Fatalf("a partial upload changed the key: %q", got)
	}
	if ks := keys(t, s, ""); len(ks) != 1 {
		t.Fatalf("a partial upload is listed: %v", ks)
	}
	p, fresh, err = ps.OpenPartial(t.Context(), "k", id1, store.Spec{Size: partialSize})
	if err != nil || fresh {
		t.Fatalf("reopen: fresh=%v %v", fresh, err)
	}
	if j, err := p.Journal(); err != nil || string(j) != "head\nrec1\nrec2\n" {
		t.Fatalf("journal %q, %v", j, err)
	}
	if v, ok := p.(store.Vouched); !ok || !v.Vouched() {
		buf := make([]byte, 4)
		if n, _ := p.ReadAt(buf, 3); n != 4 || string(buf) != "-new" {
			t.Fatalf("read back %q", buf[:n])
		}
	}
	if err := p.Commit(t.Context(), store.CommitOptions{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	if got := Get(t, s, "k"); string(got) != "now-new" {
		t.Fatalf("published %q", got)
	}
	p, fresh, err = ps.OpenPartial(t.Context(), "k", id1, store.Spec{Size: partialSize})
	if err != nil || !fresh {
		t.Fatalf("after commit the id starts afresh: fresh=%v %v", fresh, err)
	}
	if j, _ := p.Journal(); len(j) != 0 {
		t.Fatalf("a fresh partial has a journal: %q", j)
	}
	if err := p.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, fresh, err := ps.OpenPartial(t.Context(), "k", id1, store.Spec{Size: partialSize}); err != nil || !fresh {
		t.Fatalf("after abort the id starts afresh: fresh=%v %v", fresh, err)
	}
}

// testPartialsExpire: expiry removes idle partials except those in use.
func testPartialsExpire(t *testing.T, s store.Store) {
	ps := partials(t, s)
	for _, id := range []string{id1, id2} {
		p, _, err := ps.OpenPartial(t.Context(), "k/"+id, id, store.Spec{Size: partialSize})
		if err != nil {
			t.Fatal(err)
		}
		_ = p.AppendJournal([]byte("r\n"))
		_ = p.Close()
	}
	if n, err := ps.ExpirePartials(t.Context(), time.Hour, nil); err != nil || n != 0 {
		t.Fatalf("young partials expired: %d %v", n, err)
	}
	time.Sleep(5 * time.Millisecond) // ages are compared with the clock
	n, err := ps.ExpirePartials(t.Context(), time.Millisecond, func(id string) bool { return id == id2 })
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v; want 1", n, err)
	}
	if _, fresh, _ := ps.OpenPartial(t.Context(), "k/"+id1, id1, store.Spec{Size: partialSize}); !fresh {
		t.Fatal("the expired partial is still there")
	}
	p, fresh, _ := ps.OpenPartial(t.Context(), "k/"+id2, id2, store.Spec{Size: partialSize})
	if fresh {
		t.Fatal("the partial in use was expired")
	}
	_ = p.Close()
}

// testSyncer: SyncAll flushes without error, and what it flushed stays.
func testSyncer(t *testing.T, s store.Store) {
	sy, ok := s.(store.Syncer)
	if !ok {
		t.Skip("the store has no SyncAll")
	}
	Put(t, s, "a", []byte("a"))
	if err := sy.SyncAll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := Get(t, s, "a"); string(got) != "a" {
		t.Fatalf("after SyncAll: %q", got)
	}
}

// testSpacer: free space is known and not negative.
func testSpacer(t *testing.T, s store.Store) {
	sp, ok := s.(store.Spacer)
	if !ok {
		t.Skip("the store does not know its free space")
	}
	free, err := sp.Free(t.Context())
	if err != nil || free < 0 {
		t.Fatalf("Free = %d, %v", free, err)
	}
}
