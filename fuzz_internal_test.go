package flaxfile

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// FuzzReplies feeds arbitrary replies to every parser of server replies:
// none panics, and what they accept is consistent.
func FuzzReplies(f *testing.F) {
	f.Add([]byte("OK\x00id\x00"), int64(10))
	f.Add([]byte("OK\x00h\x0010\x0099\x00420\x0000112233445566778899aabbccddeeff"), int64(5))
	f.Add([]byte("OK\x0010\x001\x0016777216"), int64(0))
	f.Add([]byte("\x003\x001\x00420\x00x\x00abc"), int64(3))
	dir := f.TempDir()
	c := &Client{v2: true, opts: Options{MaxFileSize: DefaultMaxFileSize, MaxListEntries: 100}}
	f.Fuzz(func(t *testing.T, raw []byte, size int64) {
		frames := bytes.Split(raw, []byte{0})
		r := &reply{m: &zmtp.Message{Frames: append([][]byte{{}}, frames...)}, frames: frames}
		if have, err := parseHave(r, size); err == nil {
			for i := range have {
				if i < 0 || i >= (size+4<<20-1)/(4<<20) {
					t.Fatalf("block %d accepted for a %d-octet file", i, size)
				}
			}
		}
		if rf, _, err := parseGet(r, "k"); err == nil && (rf.Size < 0 || rf.MTime < 0) {
			t.Fatalf("negative size or time accepted: %+v", rf)
		}
		if st, err := parseDownloadStart(frames); err == nil && (st.Size < 0 || st.Chunk <= 0 || st.Chunks < 0) {
			t.Fatalf("bad DOWNLOAD_START accepted: %+v", st)
		}
		var n int64
		_, _, _ = c.page(r, &n, func(Entry) error { return nil })
		if files, err := wire.ParseGetSmallReply(append([][]byte{[]byte(wire.ReplyOK)}, frames...), 1); err == nil {
			_, _ = writeSmall(FileSpec{Key: "k", Path: filepath.Join(dir, "out")}, localDir{root: dir}, files[0], 0o022)
		}
	})
}
