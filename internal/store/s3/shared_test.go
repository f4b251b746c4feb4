package s3_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/journal"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/s3"
)

// Two stores on one prefix, as two servers: each learns what the other
// recorded (Refresh), sees when the other published (Live), and never
// publishes a part other than the one its records describe.

// writePart writes and records part k (from 1) of 8 MiB through p.
func writePart(t *testing.T, p store.Partial, k int, b []byte) {
	t.Helper()
	off := int64(k-1) * int64(len(b))
	if _, err := p.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	var rec []byte
	for i, s := range digest.Chunk(b) {
		rec = journal.AppendRecord(rec, off/digest.BlockSize+int64(i), s)
	}
	if err := p.(store.RangeJournal).AppendJournalFor(rec, off, int64(len(b))); err != nil {
		t.Fatal(err)
	}
}

func TestSharedPartials(t *testing.T) {
	ctx := t.Context()
	var pid [6]byte
	_, _ = rand.Read(pid[:])
	prefix := "t/" + hex.EncodeToString(pid[:])
	a, b := openAt(t, prefix), openAt(t, prefix)
	if a.Namespace() == "" || a.Namespace() != b.Namespace() {
		t.Fatalf("two stores on one prefix name %q and %q", a.Namespace(), b.Namespace())
	}
	if other := open(t); other.Namespace() == a.Namespace() {
		t.Fatal("another prefix names the same namespace")
	}
	const part = 8 << 20
	spec := store.Spec{Size: 2 * part}
	var idb [16]byte
	_, _ = rand.Read(idb[:])
	id := hex.EncodeToString(idb[:])
	pa, _, err := a.OpenPartial(ctx, "k", id, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := pa.AppendJournal(journal.Header([]byte(`{"key":"k"}`))); err != nil {
		t.Fatal(err)
	}
	pb, fresh, err := b.OpenPartial(ctx, "k", id, spec)
	if err != nil || fresh {
		t.Fatalf("the other store opened the upload afresh (%v) or failed: %v", fresh, err)
	}
	one, two := make([]byte, part), make([]byte, part)
	_, _ = rand.Read(one)
	_, _ = rand.Read(two)
	writePart(t, pa, 1, one)
	recs, err := pb.(store.Refresher).Refresh(ctx)
	if err != nil || len(recs) != 2*journal.RecordSize {
		t.Fatalf("refresh after the other sent part 1: %d octets of records, %v", len(recs), err)
	}
	if again, _ := pb.(store.Refresher).Refresh(ctx); len(again) != 0 {
		t.Fatalf("a second refresh returned %d octets of records already given", len(again))
	}

	// Part 1 sent again, other octets, through A: B's records of it
	// describe the part as first sent. B either refuses to publish (a
	// store that replaces a part sent again: S3) or publishes exactly
	// the parts it vouches for (a store that keeps both: SeaweedFS), never
	// part 1 as A last sent it under B's records.
	other := bytes.Clone(one)
	other[0] ^= 1
	writePart(t, pa, 1, other)
	writePart(t, pb, 2, two)
	err = pb.Commit(ctx, store.CommitOptions{NoSync: true})
	want := append(bytes.Clone(one), two...)
	switch {
	case err != nil && strings.Contains(err.Error(), "not the one recorded"):
		if _, err := b.Open(ctx, "k"); err == nil {
			t.Fatal("the refused upload was published")
		}
		// A, which sent part 1 as it is now and learns part 2, publishes.
		if _, err := pa.(store.Refresher).Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if err := pa.Commit(ctx, store.CommitOptions{NoSync: true}); err != nil {
			t.Fatal(err)
		}
		want = append(bytes.Clone(other), two...)
		t.Log("the store replaced the part: B refused, A published")
	case err != nil:
		t.Fatal(err)
	default:
		t.Log("the store kept both versions of the part: B published the one it vouched for")
	}
	if live, err := pa.(store.Refresher).Live(ctx); live || err != nil {
		t.Fatalf("the published upload is still live (%v, %v)", live, err)
	}
	o, err := b.Open(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got := make([]byte, 2*part)
	if _, err := o.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the published file is not made of the parts its publisher vouched for")
	}
}

var _ store.Shared = (*s3.Store)(nil)
