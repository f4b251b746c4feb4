// Package liar is a FlaxFile server that lies, for testing clients: it
// speaks enough of FlaxFile 1.2 and FlaxFile 2 for a client to connect,
// list and download, and each field of Lies turns one answer into an
// attack a real hostile server could make. A client must meet every one
// with a clear error, bounded memory and nothing written where it should
// not be.
package liar

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// Lies are the switches; the zero value is an honest server holding one
// file, Key, of Data.
type Lies struct {
	// V2 answers HELLO, so that the client speaks FlaxFile 2; otherwise
	// the server knows 1.2 only.
	V2 bool
	// Key and Data are the file the server holds.
	Key  string
	Data []byte
	// Size, when not zero, is the size declared for the file (GET,
	// DOWNLOAD_START) instead of len(Data).
	Size int64
	// Chunk, when not zero, is DOWNLOAD_START's chunk size.
	Chunk int64
	// Mode and MTime are declared for the file (FlaxFile 2 GET, listings).
	Mode  int64
	MTime int64
	// EmptyFrames, when not zero, answers every request but PING and HELLO
	// with one message of this many empty frames.
	EmptyFrames int
	// ListEntries, when not zero, makes 1.2's LIST answer a JSON array of
	// this many empty objects.
	ListEntries int
	// EndlessPages makes FlaxFile 2 listings say "more" for ever, each
	// page holding PageEntries entries (none when zero).
	EndlessPages bool
	PageEntries  int
	// Text, when not empty, is sent as the key of every listed entry and
	// as the text of an ERROR answering every other request.
	Text string
	// RangeCodec, when not empty, follows the data of every FlaxFile 2
	// range (sent as it is, at its full length) with this codec frame, as
	// if it were encoded.
	RangeCodec string
	// RangeShift, when not zero, is added to the offset every FlaxFile 2
	// range answers with: data for a range not asked for.
	RangeShift int64
}

// Server runs a liar on 127.0.0.1.
type Server struct {
	lies Lies
	r    *zmtp.Router
	wg   sync.WaitGroup
	stop context.CancelFunc
}

// Start listens on a free port of 127.0.0.1 and serves until Close.
func Start(l Lies) (*Server, error) {
	r, err := zmtp.Listen("127.0.0.1:0", &zmtp.Options{MaxMessageSize: 1 << 30}, nil)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{lies: l, r: r, stop: stop}
	s.wg.Go(func() {
		for {
			c, err := r.Accept(ctx)
			if err != nil {
				return
			}
			s.wg.Go(func() { s.serve(ctx, c) })
		}
	})
	return s, nil
}

// Addr is the address to dial.
func (s *Server) Addr() string { return s.r.Addr().String() }

// Close stops the server and waits for its goroutines.
func (s *Server) Close() {
	s.stop()
	s.r.Close()
	s.wg.Wait()
}

func (s *Server) serve(ctx context.Context, c *zmtp.Conn) {
	defer c.Close()
	for {
		m, err := c.Recv(ctx)
		if err != nil {
			return
		}
		frames := make([][]byte, len(m.Frames))
		for i, f := range m.Frames {
			frames[i] = append([]byte(nil), f...)
		}
		m.Release()
		cmd, args, ok := wire.SplitRequest(frames)
		if !ok {
			continue
		}
		if err := c.Send(ctx, s.answer(cmd, args)...); err != nil {
			return
		}
	}
}

// answer is the reply to one request, delimiter first.
func (s *Server) answer(cmd string, args [][]byte) [][]byte {
	l := &s.lies
	reply := func(fs ...[]byte) [][]byte { return append([][]byte{wire.Delimiter}, fs...) }
	str := func(ss ...string) [][]byte {
		out := make([][]byte, len(ss))
		for i, x := range ss {
			out[i] = []byte(x)
		}
		return reply(out...)
	}
	switch {
	case cmd == wire.CmdPing:
		return str(wire.ReplyPong)
	case cmd == wire.CmdHello && l.V2:
		return str(wire.ReplyOK, wire.Version2, `{"max_chunk":16777216,"block":4194304,"resume":true}`)
	case cmd == wire.CmdHello:
		return str(wire.ReplyError, wire.ErrUnknownCommand)
	case l.EmptyFrames > 0:
		return make([][]byte, l.EmptyFrames)
	case cmd == wire.CmdList && l.ListEntries > 0:
		body := append(bytes.Repeat([]byte("{},"), l.ListEntries)[:3*l.ListEntries-1], ']')
		return reply([]byte(wire.ReplyOK), append([]byte{'['}, body...))
	case cmd == wire.CmdList:
		b, _ := json.Marshal([]wire.ListEntry{{Key: s.key(), Size: s.size(), Mtime: float64(l.MTime) / 1e9}})
		return reply([]byte(wire.ReplyOK), b)
	case cmd == wire.CmdList2 || cmd == wire.CmdListNext:
		return s.page()
	case l.Text != "":
		return str(wire.ReplyError, l.Text)
	case cmd == wire.CmdGet:
		sum := digest.File(int64(len(l.Data)), digest.Chunk(l.Data))
		return str(wire.ReplyOK, "h1", itoa(s.size()), itoa(l.MTime), itoa(l.Mode), sum.String())
	case cmd == wire.CmdGetRange:
		m, err := wire.ParseGetRange(args)
		if err != nil {
			return str(wire.ReplyError, err.Error())
		}
		out := reply(wire.Numbered{Status: wire.ReplyData, N: m.Offset + l.RangeShift, Data: s.slice(m.Offset, m.Len)}.Frames()...)
		if l.RangeCodec != "" {
			out = append(out, []byte(l.RangeCodec))
		}
		return out
	case cmd == wire.CmdGetEnd:
		return str(wire.ReplyOK)
	case cmd == wire.CmdDownloadStart:
		chunk := l.Chunk
		if chunk == 0 {
			chunk = wire.DefaultChunk
		}
		return str(wire.ReplyOK, itoa(s.size()), itoa((s.size()+chunk-1)/chunk), itoa(chunk))
	case cmd == wire.CmdDownloadChunk:
		m, err := wire.ParseDownloadChunk(args)
		if err == nil {
			err = m.ParseID()
		}
		if err != nil {
			return str(wire.ReplyError, err.Error())
		}
		chunk := l.Chunk
		if chunk == 0 {
			chunk = wire.DefaultChunk
		}
		return reply(wire.Numbered{Status: wire.ReplyChunk, NFrame: m.IDFrame, Data: s.slice(m.ID*chunk, chunk)}.Frames()...)
	}
	return str(wire.ReplyError, wire.ErrUnknownCommand)
}

// page is one FlaxFile 2 listing page.
func (s *Server) page() [][]byte {
	l := &s.lies
	var entries []byte
	n := 1
	if l.EndlessPages {
		n = l.PageEntries
	}
	for i := range n {
		key := s.key()
		if l.EndlessPages {
			key = fmt.Sprintf("%s%d", key, i)
		}
		b, _ := json.Marshal(wire.ListEntry2{Key: key, Size: s.size(), MTime: l.MTime, Mode: uint32(l.Mode)})
		entries = append(append(entries, b...), '\n')
	}
	more := "0"
	if l.EndlessPages {
		more = "1"
	}
	return [][]byte{wire.Delimiter, []byte(wire.ReplyOK), []byte("c1"), []byte(more), entries}
}

func (s *Server) key() string {
	if s.lies.Text != "" {
		return s.lies.Text
	}
	return s.lies.Key
}

func (s *Server) size() int64 {
	if s.lies.Size != 0 {
		return s.lies.Size
	}
	return int64(len(s.lies.Data))
}

// slice is the file's octets [off, off+n), zeros past Data up to the
// declared size; at most 64 MiB.
func (s *Server) slice(off, n int64) []byte {
	if off < 0 || n < 0 || off >= s.size() {
		return nil
	}
	n = min(n, s.size()-off, 64<<20)
	out := make([]byte, n)
	if off < int64(len(s.lies.Data)) {
		copy(out, s.lies.Data[off:])
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
