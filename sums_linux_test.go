package flaxfile_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"golang.org/x/sys/unix"
)

// sumsRecord reads the block hashes kept beside a stored file, and skips
// the test where the file system keeps no user attributes.
func sumsRecord(t *testing.T, path string) []byte {
	t.Helper()
	buf := make([]byte, 16<<10)
	n, err := unix.Getxattr(path, "user.flaxfile.sums", buf)
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
		t.Skip("no user extended attributes here")
	}
	if err != nil {
		t.Fatalf("no block hashes kept with %s: %v", path, err)
	}
	return buf[:n]
}

// deltaServer is a server over a disk store in dir and a client of it
// that always uses delta.
func deltaServer(t *testing.T) (*flaxfile.Client, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "storage")
	addr, _, stop := servertest.StartIn(t, dir, server.Config{}, nil)
	t.Cleanup(stop)
	c, err := flaxfile.Dial(ctxFor(t), addr, &flaxfile.Options{Delta: flaxfile.DeltaAlways})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, dir
}

// A file published by an upload keeps its block hashes beside it, and a
// delta upload against it takes them from there. A record that lies (the
// stored file changed under it, its time put back) costs only a round:
// the block whose copy hashes otherwise is sent, the record is dropped,
// and the key holds exactly the new file.
func TestDeltaUploadUsesRecordedSums(t *testing.T) {
	ctx := ctxFor(t)
	c, dir := deltaServer(t)
	const block = digest.BlockSize
	src, data := randomFile(t, 4*block+100)
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	stored := filepath.Join(dir, "k")
	rec := sumsRecord(t, stored)
	for i := range int64(5) {
		want := digest.Block(data[i*block : min(int64(len(data)), (i+1)*block)])
		if !bytes.Contains(rec, want[:]) {
			t.Fatalf("the kept record lacks block %d's hash", i)
		}
	}

	// The stored file's block 2 changes in place, its time put back: the
	// record still looks current, and says block 2 is the client's.
	fi, err := os.Stat(stored)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(stored, os.O_WRONLY, 0)
	if err != nil {
		if !errors.Is(err, os.ErrPermission) {
			t.Fatal(err)
		}
		if err := os.Chmod(stored, 0o644); err != nil {
			t.Fatal(err)
		}
		if f, err = os.OpenFile(stored, os.O_WRONLY, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xee}, 1000), 2*block+5); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(stored, time.Time{}, fi.ModTime()); err != nil {
		t.Fatal(err)
	}

	// The client changes block 0 only.
	data[7] ^= 0xff
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := c.SetFile(ctx, "k", src)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(stored); !bytes.Equal(got, data) {
		t.Fatal("the key does not hold the file set")
	}
	t.Logf("moved %d octets", res.Moved)
	if res.Moved < block {
		t.Fatalf("moved %d octets: block 2, which the record lied about, was not sent", res.Moved)
	}
	// A record for the new file replaced the dropped one.
	rec = sumsRecord(t, stored)
	want := digest.Block(data[:block])
	if !bytes.Contains(rec, want[:]) {
		t.Fatal("the record kept with the new file lacks its block 0")
	}
}

// A delta get compares the local copy with the server's block hashes:
// those recorded with the file, or, once the record is gone, hashed from
// it; either way only the changed block's piece comes.
func TestDeltaDownloadWithAndWithoutRecord(t *testing.T) {
	ctx := ctxFor(t)
	c, dir := deltaServer(t)
	const block = digest.BlockSize
	src, data := randomFile(t, 6*block)
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	stored := filepath.Join(dir, "k")
	sumsRecord(t, stored)
	for _, record := range []bool{true, false} {
		if !record {
			if err := unix.Removexattr(stored, "user.flaxfile.sums"); err != nil {
				t.Fatal(err)
			}
		}
		out := filepath.Join(t.TempDir(), "out")
		local := bytes.Clone(data)
		local[4*block+99] ^= 0xff
		if err := os.WriteFile(out, local, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := c.GetFile(ctx, "k", out)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Fatalf("record %v: the delta get wrote another file", record)
		}
		if res.Moved != 64<<10 {
			t.Fatalf("record %v: the delta get moved %d octets, want the changed 64 KiB piece", record, res.Moved)
		}
	}
}
