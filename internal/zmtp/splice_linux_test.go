package zmtp

import (
	"bytes"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSpliceTapFallsBack: when the tee pipe is smaller than the data
// pipe, so that tee cannot duplicate a whole piece, the tap reads the file
// back instead and still gets every octet, in order.
func TestSpliceTapFallsBack(t *testing.T) {
	for _, name := range []string{"tee", "read back"} {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			body := make([]byte, 3<<20)
			rand.Read(body)
			go func() {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					return
				}
				defer c.Close()
				c.Write(body)
			}()
			nc, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			f, err := os.Create(filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			s := newSplicer()
			defer s.close()
			if name == "read back" {
				if s.tr, s.tw, err = newPipe(); err != nil {
					t.Fatal(err)
				}
				s.tap = make([]byte, tapBuffer)
				// One page: smaller than most pieces the data pipe takes.
				if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(s.tw), fSetPipeSize, 4096); e != 0 {
					t.Fatal(e)
				}
			}
			var tap bytes.Buffer
			const at = 5
			if err := s.spliceTo(nc, Target{File: f, Offset: at, Tap: &tap}, int64(len(body))); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tap.Bytes(), body) {
				t.Fatalf("tap got %d octets, not the body's %d", tap.Len(), len(body))
			}
			got, err := os.ReadFile(f.Name())
			if err != nil || !bytes.Equal(got[at:], body) {
				t.Fatalf("file differs (%v)", err)
			}
		})
	}
}
