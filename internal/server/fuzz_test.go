package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// FuzzRequest sends arbitrary requests, built around every command's
// name, to a live server: each gets a reply (or none, for a malformed
// message), the server never panics, and it still answers PING after.
func FuzzRequest(f *testing.F) {
	cmds := []string{wire.CmdPing, wire.CmdUploadStart, wire.CmdUploadChunk, wire.CmdUploadEnd,
		wire.CmdDownloadStart, wire.CmdDownloadChunk, wire.CmdList, wire.CmdDelete,
		wire.CmdHello, wire.CmdPut, wire.CmdPutChunk, wire.CmdPutEnd, wire.CmdGet, wire.CmdGetRange,
		wire.CmdGetEnd, wire.CmdList2, wire.CmdListNext, wire.CmdPutSmall, wire.CmdGetSmall, wire.CmdHashes, wire.CmdGetBlocks, wire.CmdPutSums, wire.CmdPutPatch, wire.CmdGetSums, wire.CmdPutCuts, wire.CmdPutBuild, wire.CmdGetCuts}
	for i := range cmds {
		f.Add(uint8(i), []byte("k\x00100\x004194304\x000\x00420\x00"+strings.Repeat("ab", 16)))
		f.Add(uint8(i), []byte("../x\x00-1\x00\xff\x00"))
	}
	addr, _ := startWith(f, server.Config{})
	var c *zmtp.Conn
	f.Fuzz(func(t *testing.T, which uint8, args []byte) {
		if c == nil || c.Err() != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var err error
			c, err = zmtp.Dial(ctx, addr, nil)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
		}
		frames := append([][]byte{{}, []byte(cmds[int(which)%len(cmds)])}, bytes.Split(args, []byte{0})...)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Send(ctx, frames...); err != nil {
			t.Fatal(err)
		}
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("no reply to %q: %v", frames[1], err)
		}
		m.Release()
		if err := c.Send(ctx, []byte{}, []byte(wire.CmdPing)); err != nil {
			t.Fatal(err)
		}
		for {
			m, err := c.Recv(ctx)
			if err != nil {
				t.Fatalf("no PONG after %q: %v", frames[1], err)
			}
			pong := len(m.Frames) == 2 && string(m.Frames[1]) == wire.ReplyPong
			m.Release()
			if pong {
				break
			}
		}
	})
}
