package flaxfile_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/dirsync"
	"github.com/flaxfile/flaxfile/internal/pyzmq"
	"github.com/flaxfile/flaxfile/internal/treetest"
)

// TestAgainstPython12Server runs our client against a small pyzmq server
// that behaves as FlaxFile 1.2 does, chunk-size quirk included, plain and
// encrypted.
func TestAgainstPython12Server(t *testing.T) {
	for _, password := range []string{"", "test"} {
		t.Run(map[bool]string{true: "CURVE", false: "NULL"}[password != ""], func(t *testing.T) {
			ctx := ctxFor(t)
			dir := filepath.Join(t.TempDir(), "storage")
			args := []string{dir}
			if password != "" {
				_, sec, _ := flaxfile.ServerKeysFromPassword(password)
				args = append(args, sec.String())
			}
			peer := pyzmq.Start(t, "testdata/server12.py", args...)
			addr := "127.0.0.1:" + peer.Line(t)
			c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: password})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// The 1.2 server answers the FlaxFile 2 hello with "Unknown
			// command": the client falls back without a word.
			if c.Protocol() != "1.2" {
				t.Fatalf("protocol %s with a 1.2 server", c.Protocol())
			}
			if want := map[bool]string{true: "xsalsa20-poly1305"}[password != ""]; c.Cipher() != want {
				t.Fatalf("cipher %q with a 1.2 server, want %q", c.Cipher(), want)
			}
			if _, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: password, Protocol: "2"}); err == nil {
				t.Fatal("Protocol 2 accepted by a 1.2 server")
			}
			for _, size := range []int{0, 1, 5 << 20, 20_000_000} {
				src, data := randomFile(t, size)
				key := "k/" + itoa(size)
				res, err := c.SetFile(ctx, key, src)
				if err != nil {
					t.Fatalf("set %d: %v", size, err)
				}
				if res.Size != int64(size) {
					t.Fatalf("set %d: server stored %d", size, res.Size)
				}
				stored, err := os.ReadFile(filepath.Join(dir, key))
				if err != nil || !bytes.Equal(stored, data) {
					t.Fatalf("set %d: stored file differs (%v)", size, err)
				}
				out := filepath.Join(t.TempDir(), "out")
				if _, err := c.GetFile(ctx, key, out); err != nil {
					t.Fatalf("get %d: %v", size, err)
				}
				got, _ := os.ReadFile(out)
				if !bytes.Equal(got, data) {
					t.Fatalf("get %d: downloaded file differs", size)
				}
			}
			es, err := c.List(ctx, "k", false)
			if err != nil || len(es) != 4 {
				t.Fatalf("list: %v %+v", err, es)
			}
			if err := c.Delete(ctx, "k/1"); err != nil {
				t.Fatal(err)
			}
			// push and pull speak 1.2's commands to it.
			tree := filepath.Join(t.TempDir(), "tree")
			treetest.Write(t, tree, map[string]string{"a": "alpha", "d/b": "beta", "d/e/c": "gamma"})
			res, err := dirsync.Push(ctx, c, tree, "tree", &dirsync.Options{NoCache: true})
			if err != nil || res.Sent != 3 {
				t.Fatalf("push: %+v, %v", res, err)
			}
			if res, err := dirsync.Push(ctx, c, tree, "tree", &dirsync.Options{NoCache: true}); err != nil || res.Sent != 0 {
				t.Fatalf("second push: %+v, %v", res, err)
			}
			back := filepath.Join(t.TempDir(), "back")
			if res, err := dirsync.Pull(ctx, c, "tree", back, &dirsync.Options{NoCache: true}); err != nil || res.Sent != 3 {
				t.Fatalf("pull: %+v, %v", res, err)
			}
			if got := treetest.Read(t, back); got["d/e/c"] != "gamma" || len(got) != 3 {
				t.Fatalf("pulled %v", got)
			}
			if err := c.Delete(ctx, "k/1"); !errors.Is(err, flaxfile.ErrNotFound) {
				t.Fatalf("delete missing: %v", err)
			}
		})
	}
}

// TestWrongPasswordAgainstLibzmq: libzmq drops a HELLO it cannot open;
// we say so within the connect timeout instead of hanging.
func TestWrongPasswordAgainstLibzmq(t *testing.T) {
	ctx := ctxFor(t)
	_, sec, _ := flaxfile.ServerKeysFromPassword("right")
	peer := pyzmq.Start(t, "testdata/server12.py", t.TempDir(), sec.String())
	addr := "127.0.0.1:" + peer.Line(t)
	if _, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: "wrong"}); !errors.Is(err, flaxfile.ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := flaxfile.Dial(ctx, addr, nil); !errors.Is(err, flaxfile.ErrEncryptionMismatch) {
		t.Fatalf("no password: %v", err)
	}
}
