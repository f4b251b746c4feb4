package flaxfile_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/liar"
)

// FuzzClientAgainstLiar drives the client's whole get, list and walk
// against a server whose lies the fuzzer chooses: every call returns (no
// panic, no hang past its deadline), and the process allocates less than
// a memory cap meanwhile (the liar's own allocations included, so its
// lies are kept small: sizes beyond the client's 16 MiB limit are
// refused by the client before any data moves).
func FuzzClientAgainstLiar(f *testing.F) {
	f.Add(true, int64(3), int64(0), uint16(0), uint16(0), false, uint8(0), "", int64(420), int64(1))
	f.Add(false, int64(1<<40), int64(1), uint16(0), uint16(0), false, uint8(0), "", int64(0), int64(0))
	f.Add(true, int64(1<<62), int64(0), uint16(0), uint16(0), false, uint8(0), "", int64(0o7777), int64(-1))
	f.Add(false, int64(5), int64(2), uint16(60000), uint16(0), false, uint8(0), "", int64(0), int64(0))
	f.Add(false, int64(5), int64(0), uint16(0), uint16(5000), false, uint8(0), "", int64(0), int64(0))
	f.Add(true, int64(5), int64(0), uint16(0), uint16(0), true, uint8(3), "\x1b]0;x\x07", int64(0), int64(1<<62))
	const memCap = 128 << 20
	f.Fuzz(func(t *testing.T, v2 bool, size, chunk int64, emptyFrames, listEntries uint16, endless bool, pageEntries uint8, text string, mode, mtime int64) {
		srv, err := liar.Start(liar.Lies{V2: v2, Key: "k", Data: []byte("some data"), Size: size, Chunk: chunk,
			Mode: mode, MTime: mtime, EmptyFrames: int(emptyFrames), ListEntries: int(listEntries),
			EndlessPages: endless, PageEntries: int(pageEntries), Text: text})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		dir := t.TempDir()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c, err := flaxfile.Dial(ctx, srv.Addr(), &flaxfile.Options{MaxFileSize: 16 << 20, MaxListEntries: 10000,
			ListTimeout: time.Second, ReplyTimeout: time.Second, ConnectTimeout: time.Second})
		if err == nil {
			_, _ = c.GetFile(ctx, "k", filepath.Join(dir, "out"))
			_, _ = c.List(ctx, "", true)
			_ = c.Walk(ctx, "", true, func(flaxfile.Entry) error { return nil })
			c.Close()
		}
		runtime.ReadMemStats(&after)
		if ctx.Err() != nil {
			t.Fatal("a call ran past its own deadlines into the test's")
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > memCap {
			t.Fatalf("allocated %d MiB, cap %d", n>>20, memCap>>20)
		}
	})
}
