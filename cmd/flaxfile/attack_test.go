package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// serverCap is the peak memory a server at its default limits may reach
// under any attack of a client.
const serverCap = 256 << 20

// rawConn is a NULL ZMTP connection made by hand, for writing what no
// well-behaved client would.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	g := zmtp.Greeting{Major: 3, Minor: 1, Mechanism: "NULL"}.Marshal()
	ready := zmtp.AppendCommandFrame(nil, "READY", zmtp.Metadata{{Name: zmtp.PropSocketType, Value: []byte("DEALER")}}.Append(nil))
	if _, err := nc.Write(append(g[:], ready...)); err != nil {
		t.Fatal(err)
	}
	var buf [zmtp.GreetingSize]byte
	var hdr [zmtp.MaxHeaderSize]byte
	if _, err := io.ReadFull(nc, buf[:]); err != nil {
		t.Fatal(err)
	}
	h, err := zmtp.ReadFrameHeader(nc, &hdr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, nc, int64(h.Size)); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, nc) }() // replies
	return nc
}

// message encodes one message of frames.
func message(frames ...[]byte) []byte {
	var b []byte
	for i, f := range frames {
		flags := byte(0)
		if i < len(frames)-1 {
			flags = zmtp.FlagMore
		}
		b = append(zmtp.AppendFrameHeader(b, flags, uint64(len(f))), f...)
	}
	return b
}

// writeUntilStuck writes b to nc until it is all written, the server
// closes, or the server stops reading for a second (its socket buffers
// full: it is holding what it took).
func writeUntilStuck(nc net.Conn, b []byte) {
	for len(b) > 0 {
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		n, err := nc.Write(b[:min(len(b), 1<<20)])
		if err != nil {
			return
		}
		b = b[n:]
	}
}

// attackWith opens n raw connections and writes what(i) on the i-th,
// all at once, until each is written or stuck; it returns the
// connections, still open.
func attackWith(t *testing.T, addr string, n int, what func(i int) []byte) []net.Conn {
	var wg sync.WaitGroup
	conns := make([]net.Conn, n)
	for i := range n {
		conns[i] = rawConn(t, addr)
		b := what(i)
		wg.Go(func() { writeUntilStuck(conns[i], b) })
	}
	wg.Wait()
	return conns
}

// peakMiB is a process's peak resident memory (VmHWM) in MiB.
func peakMiB(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb >> 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// TestServerAttacks runs `flaxfile serve` at its default limits against
// each attack a client made on the old code, measures its peak memory
// (VmHWM) and checks that a normal set and get work right after.
func TestServerAttacks(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak memory is read from /proc")
	}
	tib10 := []byte(strconv.FormatInt(10<<40, 10))
	attacks := []struct {
		name string
		run  func(t *testing.T, addr string) []net.Conn
	}{
		{"endless empty frames on two connections", func(t *testing.T, addr string) []net.Conn {
			flood := bytes.Repeat([]byte{zmtp.FlagMore, 0}, 17<<20) // 34 MiB on the wire each
			return attackWith(t, addr, 2, func(int) []byte { return flood })
		}},
		{"128 pipelined PUTs declaring 10 TiB", func(t *testing.T, addr string) []net.Conn {
			return attackWith(t, addr, 8, func(c int) []byte {
				var b []byte
				for i := range 16 {
					id := fmt.Sprintf("%032x", c*16+i)
					b = append(b, message(nil, []byte("FLAXFILE_PUT"), []byte("huge"+id), tib10, []byte("4194304"), []byte("0"), []byte("420"), []byte(id))...)
				}
				return b
			})
		}},
		{"10 1.2 sessions x 61 chunks before chunk 0", func(t *testing.T, addr string) []net.Conn {
			return attackWith(t, addr, 10, func(s int) []byte {
				b := message(nil, []byte("UPLOAD_START_CONCURRENT"), []byte("sess"+strconv.Itoa(s)), []byte("early"+strconv.Itoa(s)), []byte("1073741824"), []byte("1"))
				for id := 1; id <= 61; id++ {
					b = append(b, message(nil, []byte("UPLOAD_CHUNK_CONCURRENT"), []byte(strconv.Itoa(id)), make([]byte, 1<<20+id))...)
				}
				return b
			})
		}},
		{"8 unfinished 60 MiB messages of 32,767-octet frames", func(t *testing.T, addr string) []net.Conn {
			frame := append(zmtp.AppendFrameHeader(nil, zmtp.FlagMore, 32767), make([]byte, 32767)...)
			msg := bytes.Repeat(frame, (60<<20)/len(frame))
			return attackWith(t, addr, 8, func(int) []byte { return msg })
		}},
	}
	src, data := randomSource(t, 8<<20)
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			srv, addr := startServe(t, filepath.Join(t.TempDir(), "storage"))
			jsonRun(t, "--server", addr, "set", src, "normal")
			before := peakMiB(t, srv.Process.Pid)
			conns := a.run(t, addr)
			during := peakMiB(t, srv.Process.Pid)
			// A normal get and list right after, the attackers still
			// connected (their requests hold what they hold).
			out := filepath.Join(t.TempDir(), "out")
			jsonRun(t, "--server", addr, "get", "normal", out)
			if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
				t.Fatal("the normal get after the attack differs")
			}
			jsonRun(t, "--server", addr, "list")
			// Once they have gone, uploads too.
			for _, nc := range conns {
				nc.Close()
			}
			jsonRun(t, "--server", addr, "set", src, "again")
			t.Logf("server peak memory %d MiB (%d MiB before the attack)", during, before)
			if during<<20 > serverCap && !raceBuild {
				t.Fatalf("server peak memory %d MiB, cap %d", during, serverCap>>20)
			}
		})
	}
}

// TestUnfinishedMessagesDoNotStallUploads: connections that stop half way
// through large messages hold the memory budget only until the message
// idle timeout ends them; an upload waiting behind them then completes.
func TestUnfinishedMessagesDoNotStallUploads(t *testing.T) {
	addr, _ := servertest.Start(t, server.Config{MemoryLimit: 4 << 20, MessageIdleTimeout: 300 * time.Millisecond}, nil)
	frame := append(zmtp.AppendFrameHeader(nil, zmtp.FlagMore, 32767), make([]byte, 32767)...)
	_ = attackWith(t, addr, 8, func(int) []byte { return bytes.Repeat(frame, (6<<20)/len(frame)) })
	src, data := randomSource(t, 8<<20)
	start := time.Now()
	r := jsonRun(t, "--server", addr, "set", src, "after")
	t.Logf("set after the attack took %v (%d octets sent)", time.Since(start).Round(time.Millisecond), *r.BytesSent)
	out := filepath.Join(t.TempDir(), "out")
	jsonRun(t, "--server", addr, "get", "after", out)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatal("file differs")
	}
}
