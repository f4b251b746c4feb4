package flaxfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// sinkDownload is a download of size octets into a partial file in a
// temporary directory, with a sink for 16 MiB ranges.
func sinkDownload(t *testing.T, size int64) (*download, *rangeSink) {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "out.part"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := os.Create(filepath.Join(dir, "out.part.journal"))
	if err != nil {
		t.Fatal(err)
	}
	n := digest.Blocks(size)
	d := &download{c: &Client{}, rf: remoteFile{Key: "k", Size: size}, f: f, j: j, blocks: make([]digest.Sum, n), have: make([]bool, n)}
	t.Cleanup(func() { f.Close(); j.Close() })
	return d, newRangeSink(d, &sync.Mutex{}, 16<<20)
}

// dataHead is the head of a DATA reply for the range at off, as a sink
// sees it.
func dataHead(off string) [][]byte { return [][]byte{{}, []byte(wire.ReplyData), []byte(off)} }

// TestRangeSinkTakesOnlyWhatWasAsked: a range goes to the file only when
// it was asked for on the connection, has the range's length and spans
// more than one piece, and only once; nothing after close.
func TestRangeSinkTakesOnlyWhatWasAsked(t *testing.T) {
	const size = 40 << 20
	_, s := sinkDownload(t, size)
	if tg, _ := s.Place(dataHead("0"), 16<<20); tg.Pieces != nil {
		t.Fatal("a range not asked for was taken")
	}
	s.ask(0)
	if tg, _ := s.Place(dataHead("0"), 16<<20-1); tg.Pieces != nil {
		t.Fatal("a range of the wrong length was taken")
	}
	if tg, _ := s.Place(dataHead("0"), 16<<20); tg.Pieces == nil {
		t.Fatal("a range asked for was not taken")
	}
	if tg, _ := s.Place(dataHead("0"), 16<<20); tg.Pieces != nil {
		t.Fatal("the same range was taken twice")
	}
	s.ask(32 << 20) // the last range: 8 MiB
	if tg, _ := s.Place(dataHead("33554432"), 8<<20); tg.Pieces == nil {
		t.Fatal("the short last range was not taken")
	}
	s.ask(16 << 20)
	s.close()
	if tg, _ := s.Place(dataHead("16777216"), 16<<20); tg.Pieces != nil {
		t.Fatal("a range was taken after close")
	}
	_, one := sinkDownload(t, 4<<20)
	one.ask(0)
	if tg, _ := one.Place(dataHead("0"), 4<<20); tg.Pieces != nil {
		t.Fatalf("a one-block range (%d octets) was taken", digest.BlockSize)
	}
}

// TestRangeSinkFailureOverRecordedBlocks: a range whose data went into
// the file over blocks already recorded (through another connection),
// and whose reply then does not stand, stops the file from being
// published, keeping it for a rerun; over blocks not recorded, it
// changes nothing; and a piece that comes after close is not written.
func TestRangeSinkFailureOverRecordedBlocks(t *testing.T) {
	const size = 16 << 20
	good := bytes.Repeat([]byte("good data "), size/10+1)[:size]
	bad := bytes.Repeat([]byte{'x'}, zmtp.PieceSize)

	d, s := sinkDownload(t, size)
	s.ask(0)
	tg, _ := s.Place(dataHead("0"), size)
	if err := d.record(0, digest.Chunk(good)); err != nil {
		t.Fatal(err)
	}
	if err := tg.Pieces(bad); err != nil {
		t.Fatal(err)
	}
	s.close() // the reply was never handled
	err := d.publish(filepath.Join(t.TempDir(), "out"))
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("published over overwritten blocks: %v", err)
	}
	if _, err := os.Stat(d.f.Name()); err != nil {
		t.Fatalf("the partial file is gone: %v", err)
	}

	d, s = sinkDownload(t, size)
	s.ask(0)
	tg, _ = s.Place(dataHead("0"), size)
	if err := tg.Pieces(bad); err != nil {
		t.Fatal(err)
	}
	s.close()
	if err := tg.Pieces(bad); !errors.Is(err, errSinkClosed) {
		t.Fatalf("a piece after close: %v", err)
	}
	if fi, _ := d.f.Stat(); fi.Size() != int64(len(bad)) {
		t.Fatalf("the file holds %d octets, want %d", fi.Size(), len(bad))
	}
	d.jmu.Lock()
	spoiled := d.spoiled
	d.jmu.Unlock()
	if spoiled {
		t.Fatal("a failed range over blocks not recorded spoiled the download")
	}
}
