// Package storetest is the conformance suite that every store.Store
// implementation must pass: the core (suite.go) and each optional part
// the store has (optional.go).
package storetest

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
)

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"CommitPublishes", testCommitPublishes},
		{"AbortLeavesOldVersion", testAbortLeavesOldVersion},
		{"UncommittedNeverListed", testUncommittedNeverListed},
		{"ListOrderAndPrefix", testListOrderAndPrefix},
		{"OpenKeepsVersion", testOpenKeepsVersion},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"EmptyFile", testEmptyFile},
		{"LastCommitWins", testLastCommitWins},
		{"CommitOptions", testCommitOptions},
	}
	for _, tt := range append(tests, optional...) {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tt.fn(t, s)
		})
	}
}

// Put writes data under key and commits it.
func Put(t *testing.T, s store.Store, key string, data []byte) {
	t.Helper()
	u, err := s.Create(t.Context(), key)
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	if _, err := u.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if err := u.Commit(t.Context(), store.CommitOptions{NoSync: true}); err != nil {
		t.Fatalf("Commit(%q): %v", key, err)
	}
}

// Get reads the current version of key.
func Get(t *testing.T, s store.Store, key string) []byte {
	t.Helper()
	o, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer o.Close()
	b, err := io.ReadAll(io.NewSectionReader(o, 0, o.Info().Size))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keys(t *testing.T, s store.Store, prefix string) []string {
	t.Helper()
	var ks []string
	if err := s.List(t.Context(), prefix, func(i store.Info) error { ks = append(ks, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	return ks
}

func testCommitPublishes(t *testing.T, s store.Store) {
	Put(t, s, "a/b/c.bin", []byte("hello"))
	if got := Get(t, s, "a/b/c.bin"); string(got) != "hello" {
		t.Fatalf("got %q", got)
	}
	if got := Get(t, s, "/a/./b/../b/c.bin"); string(got) != "hello" {
		t.Fatalf("1.2 key normalisation: got %q", got)
	}
	i, err := s.Stat(t.Context(), "a/b")
	if err != nil || !i.Dir {
		t.Fatalf("parent directory: %+v %v", i, err)
	}
}

func testAbortLeavesOldVersion(t *testing.T, s store.Store) {
	Put(t, s, "k", []byte("old"))
	u, err := s.Create(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt([]byte("new, longer"), 0); err != nil {
		t.Fatal(err)
	}
	if got := Get(t, s, "k"); string(got) != "old" {
		t.Fatalf("during upload: %q", got)
	}
	if err := u.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := u.Abort(); err != nil {
		t.Fatalf("second Abort: %v", err)
	}
	if got := Get(t, s, "k"); string(got) != "old" {
		t.Fatalf("after abort: %q", got)
	}
}

func testUncommittedNeverListed(t *testing.T, s store.Store) {
	u, err := s.Create(t.Context(), "pending")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Abort()
	_, _ = u.WriteAt([]byte("x"), 0)
	if ks := keys(t, s, ""); len(ks) != 0 {
		t.Fatalf("listed %v", ks)
	}
	if _, err := s.Stat(t.Context(), "pending"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Stat of uncommitted: %v", err)
	}
}

func testListOrderAndPrefix(t *testing.T, s store.Store) {
	for _, k := range []string{"z", "dir1/b", "dir1/a", "dir1x/c", "dir1/sub/d", "small.bin"} {
		Put(t, s, k, []byte(k))
	}
	if got, want := keys(t, s, ""), []string{"dir1/a", "dir1/b", "dir1/sub/d", "dir1x/c", "small.bin", "z"}; !slices.Equal(got, want) {
		t.Errorf("all: %v, want %v", got, want)
	}
	// A prefix is a directory, not a string prefix (compat §3).
	for prefix, want := range map[string][]string{
		"dir1":      {"dir1/a", "dir1/b", "dir1/sub/d"},
		"dir1/":     {"dir1/a", "dir1/b", "dir1/sub/d"},
		"small.bin": nil,
		"missing":   nil,
		"../x":      nil,
	} {
		if got := keys(t, s, prefix); !slices.Equal(got, want) {
			t.Errorf("prefix %q: %v, want %v", prefix, got, want)
		}
	}
}

func testOpenKeepsVersion(t *testing.T, s store.Store) {
	Put(t, s, "v", bytes.Repeat([]byte("1"), 1000))
	o, err := s.Open(t.Context(), "v")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	Put(t, s, "v", bytes.Repeat([]byte("2"), 500))
	buf := make([]byte, 1000)
	if _, err := o.ReadAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf, bytes.Repeat([]byte("1"), 1000)) || o.Info().Size != 1000 {
		t.Fatal("an open version changed when the key was replaced")
	}
}

func testDelete(t *testing.T, s store.Store) {
	Put(t, s, "d/x", []byte("x"))
	Put(t, s, "d/y/z", []byte("z"))
	Put(t, s, "f", []byte("f"))
	if err := s.Delete(t.Context(), "f"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(t.Context(), "d"); err != nil {
		t.Fatal(err)
	}
	if ks := keys(t, s, ""); len(ks) != 0 {
		t.Fatalf("left %v", ks)
	}
	if err := s.Delete(t.Context(), "f"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func testInvalidKeys(t *testing.T, s store.Store) {
	Put(t, s, "keep", []byte("k"))
	for _, k := range []string{"", "/", ".", "..", "../x", "a/../../x", "x\x00y", store.PartialDir + "/x", "//"} {
		if err := s.Delete(t.Context(), k); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", k, err)
		}
		if _, err := s.Create(t.Context(), k); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Create(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	if got := Get(t, s, "keep"); string(got) != "k" {
		t.Fatal("a refused key changed the store")
	}
}

func testEmptyFile(t *testing.T, s store.Store) {
	Put(t, s, "empty", nil)
	i, err := s.Stat(t.Context(), "empty")
	if err != nil || i.Size != 0 || i.Dir {
		t.Fatalf("%+v %v", i, err)
	}
}

func testLastCommitWins(t *testing.T, s store.Store) {
	const n = 8
	data := make([][]byte, n)
	uploads := make([]store.Upload, n)
	for i := range n {
		data[i] = bytes.Repeat([]byte{byte('a' + i)}, 4096*(i+1))
		u, err := s.Create(t.Context(), "same")
		if err != nil {
			t.Fatal(err)
		}
		uploads[i] = u
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for off := 0; off < len(data[i]); off += 4096 {
				_, _ = uploads[i].WriteAt(data[i][off:off+4096], int64(off))
			}
		})
	}
	wg.Wait()
	for i := range n {
		if err := uploads[i].Commit(t.Context(), store.CommitOptions{NoSync: true}); err != nil {
			t.Fatal(err)
		}
	}
	if got := Get(t, s, "same"); !bytes.Equal(got, data[n-1]) {
		t.Fatalf("got %d octets of %q, want the last commit", len(got), got[:1])
	}
}

func testCommitOptions(t *testing.T, s store.Store) {
	mt := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	u, err := s.Create(t.Context(), "m")
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Commit(t.Context(), store.CommitOptions{ModTime: mt, Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	i, err := s.Stat(t.Context(), "m")
	if err != nil || !i.ModTime.Equal(mt) || i.Mode != 0o600 {
		t.Fatalf("%+v %v", i, err)
	}
}
