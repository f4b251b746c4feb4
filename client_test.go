package flaxfile_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/zmtp"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
	"github.com/zeebo/xxh3"
)

// startServer runs a server on 127.0.0.1:0 over a fresh store; password
// "" means plaintext.
func startServer(t testing.TB, password string) (addr, dir string) {
	t.Helper()
	var mech zmtp.Mechanism
	if password != "" {
		mech = servertest.Password(t, password)
	}
	addr, st := servertest.Start(t, server.Config{}, mech)
	return addr, st.Dir()
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

type counter struct{ n atomic.Int64 }

func (c *counter) Start(string, int64)           {}
func (c *counter) Transferred(_ string, n int64) { c.n.Add(n) }

// mustGet downloads key into a temporary file, fails the test unless it
// holds want, and returns its path.
func mustGet(ctx context.Context, t *testing.T, c *flaxfile.Client, key string, want []byte) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	if _, err := c.GetFile(ctx, key, out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Fatalf("%s: downloaded file differs", key)
	}
	return out
}

func randomFile(t *testing.T, n int) (string, []byte) {
	data := make([]byte, n)
	_, _ = rand.Read(data)
	p := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func TestSetGetRoundTrip(t *testing.T) {
	for _, proto := range []string{"1.2", "2"} {
		for _, password := range []string{"", "s3cret-pass-123"} {
			testSetGetRoundTrip(t, proto, password)
		}
	}
}

func testSetGetRoundTrip(t *testing.T, proto, password string) {
	{
		addr, dir := startServer(t, password)
		for _, size := range []int{0, 1, 1<<20 + 1, 20_000_000} {
			t.Run(proto+"/"+map[bool]string{true: "CURVE", false: "NULL"}[password != ""]+"/"+itoa(size), func(t *testing.T) {
				ctx := ctxFor(t)
				prog := &counter{}
				c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: password, Progress: prog, Protocol: proto})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				src, data := randomFile(t, size)
				key := "dir/f" + itoa(size)
				res, err := c.SetFile(ctx, key, src)
				if err != nil {
					t.Fatal(err)
				}
				// Both protocols check FlaxFile 2's file hash (the 1.2
				// commands do with our server when chunks are whole blocks).
				fileSum, _, _ := digest.Reader(bytes.NewReader(data), int64(size), nil)
				want := "xxh3-128-blocks:" + fileSum.String()
				if c.Protocol() != proto || res.Protocol != proto || res.Moved != int64(size) {
					t.Fatalf("protocol %s, result says %s, moved %d", c.Protocol(), res.Protocol, res.Moved)
				}
				if res.Checksum != want || res.Size != int64(size) {
					t.Fatalf("server reports %d octets, checksum %s", res.Size, res.Checksum)
				}
				stored, err := os.ReadFile(filepath.Join(dir, key))
				if err != nil || !bytes.Equal(stored, data) {
					t.Fatalf("stored file differs (%v)", err)
				}
				out := filepath.Join(t.TempDir(), "a", "b", "out")
				if _, err := c.GetFile(ctx, key, out); err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(out)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("downloaded file differs (%v)", err)
				}
				if prog.n.Load() != 2*int64(size) {
					t.Fatalf("progress counted %d, want %d", prog.n.Load(), 2*size)
				}
			})
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestListAndDelete(t *testing.T) {
	ctx := ctxFor(t)
	addr, _ := startServer(t, "")
	c, err := flaxfile.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, k := range []string{"p/a", "p/b/c", "q"} {
		if _, err := c.Set(ctx, k, bytes.NewReader([]byte("abc")), 3); err != nil {
			t.Fatal(err)
		}
	}
	es, err := c.List(ctx, "p", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Key != "p/a" || es[1].Key != "p/b/c" || es[0].Hash != "78af5f94892f3950" {
		t.Fatalf("list %+v", es)
	}
	if err := c.Delete(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "p"); !errors.Is(err, flaxfile.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := c.Delete(ctx, ""); !errors.Is(err, flaxfile.ErrInvalidKey) {
		t.Fatalf("delete of the root: %v", err)
	}
	if _, err := c.GetFile(ctx, "missing", filepath.Join(t.TempDir(), "x")); !errors.Is(err, flaxfile.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	es, _ = c.List(ctx, "", false)
	if len(es) != 1 || es[0].Key != "q" {
		t.Fatalf("after delete: %+v", es)
	}
}

func TestEncryptionErrors(t *testing.T) {
	ctx := ctxFor(t)
	enc, _ := startServer(t, "right")
	plain, _ := startServer(t, "")
	for _, tc := range []struct {
		addr, password string
		want           error
	}{
		{enc, "wrong", flaxfile.ErrWrongPassword},
		{enc, "", flaxfile.ErrEncryptionMismatch},
		{plain, "right", flaxfile.ErrEncryptionMismatch},
	} {
		start := time.Now()
		_, err := flaxfile.Dial(ctx, tc.addr, &flaxfile.Options{Password: tc.password})
		if !errors.Is(err, tc.want) {
			t.Errorf("password %q: got %v, want %v", tc.password, err, tc.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("password %q: took %v", tc.password, d)
		}
	}
}

// TestEncryptedCipher: two Go peers seal with a faster cipher than
// CurveZMQ's, a forced 1.2 keeps CurveZMQ's, and files cross whole both
// ways with either.
func TestEncryptedCipher(t *testing.T) {
	ctx := ctxFor(t)
	addr, _ := startServer(t, "pw")
	for _, tc := range []struct{ protocol, want string }{
		{"", "aes-256-gcm|chacha20-poly1305"},
		{"1.2", curve.CipherXSalsa20},
	} {
		c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: "pw", Protocol: tc.protocol})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if !slices.Contains(strings.Split(tc.want, "|"), c.Cipher()) {
			t.Errorf("protocol %q: cipher %q, want %s", tc.protocol, c.Cipher(), tc.want)
		}
		src, data := randomFile(t, 9<<20+7)
		key := "cipher-" + tc.protocol + "x"
		if _, err := c.SetFile(ctx, key, src); err != nil {
			t.Fatal(err)
		}
		mustGet(ctx, t, c, key, data)
	}
}

// TestSmallServerBudgetEncrypted: with a server memory budget far below
// one chunk, encrypted transfers still complete (one chunk at a time),
// in both directions.
func TestSmallServerBudgetEncrypted(t *testing.T) {
	ctx := ctxFor(t)
	_, sec, err := flaxfile.ServerKeysFromPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	mech, err := curve.NewServer(curve.Key(sec), nil)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := servertest.Start(t, server.Config{MemoryLimit: 1 << 20}, mech)
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: "pw", MemoryLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, data := randomFile(t, 13<<20)
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	mustGet(ctx, t, c, "k", data)
}

// With the 1.2 commands and chunks that are whole blocks, the client and
// the server agree on the file hash whatever order the chunks go in, by
// buffer (encrypted) or by sendfile (plaintext).
func TestSetBlockHashAnyOrder(t *testing.T) {
	for _, password := range []string{"", "pw"} {
		t.Run(map[bool]string{true: "CURVE", false: "NULL"}[password != ""], func(t *testing.T) {
			ctx := ctxFor(t)
			addr, dir := startServer(t, password)
			c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: password, ChunkSize: 8 << 20, Connections: 5, Window: 2, Protocol: "1.2"})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			src, data := randomFile(t, 70<<20+12345)
			res, err := c.SetFile(ctx, "mix", src)
			if err != nil {
				t.Fatal(err)
			}
			want, _, _ := digest.Reader(bytes.NewReader(data), int64(len(data)), nil)
			if res.Checksum != "xxh3-128-blocks:"+want.String() {
				t.Fatalf("checksum %s, want %s", res.Checksum, want)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "mix")); !bytes.Equal(got, data) {
				t.Fatal("stored file differs")
			}
		})
	}
}

// With chunks that are not whole blocks, orderedHash must give the
// XXH3-128 of the whole file whatever order the chunks are sent in and
// whichever way (inline or read back).
func TestSetChecksumAnyOrder(t *testing.T) {
	ctx := ctxFor(t)
	addr, dir := startServer(t, "pw")
	// Many small chunks over many connections, encrypted: chunks are
	// hashed inline and read back in a mix.
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Password: "pw", ChunkSize: 64 << 10, Connections: 7, Window: 3, Protocol: "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, data := randomFile(t, 3<<20+12345)
	res, err := c.SetFile(ctx, "mix", src)
	if err != nil {
		t.Fatal(err)
	}
	sum := xxh3.Hash128(data).Bytes()
	if res.Checksum != "xxh3-128:"+hex.EncodeToString(sum[:]) {
		t.Fatalf("checksum %s", res.Checksum)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "mix")); !bytes.Equal(got, data) {
		t.Fatal("stored file differs")
	}
}

// A download whose writes fail is an error, never a success with holes:
// the 1.2 commands splice plaintext chunks into the file and must look at
// what the splice reported; FlaxFile 2 writes from the buffer.
func TestGetWriteFailure(t *testing.T) {
	for _, proto := range []string{"1.2", "2"} {
		t.Run(proto, func(t *testing.T) {
			ctx := ctxFor(t)
			addr, _ := startServer(t, "")
			c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: proto})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			src, _ := randomFile(t, 9<<20)
			if _, err := c.SetFile(ctx, "f", src); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "ro")
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			ro, err := os.Open(p) // read-only: every write fails
			if err != nil {
				t.Fatal(err)
			}
			defer ro.Close()
			if _, err := c.Get(ctx, "f", ro); err == nil {
				t.Fatal("a download whose writes all failed succeeded")
			}
		})
	}
}

// FlaxFile 2 sizes transfers by the measured round trip: on a short one, up to
// 16 connections for a plaintext upload and 4 for a download, 4 MiB
// chunks (16 connections on a long round trip, which a loaded machine can
// pass for once), uploads with twice the window of downloads; Options
// override each part.
func TestPlanOnLoopback(t *testing.T) {
	ctx := ctxFor(t)
	plain, _ := startServer(t, "")
	encrypted, _ := startServer(t, "pw")
	for _, o := range []struct {
		addr                         string
		opts                         flaxfile.Options
		upConns, downConns, up, down int
	}{
		{plain, flaxfile.Options{}, 16, 4, 8, 4},
		{encrypted, flaxfile.Options{Password: "pw"}, 4, 4, 8, 4},
		{plain, flaxfile.Options{Connections: 2, Window: 3}, 2, 2, 3, 3},
	} {
		c, err := flaxfile.Dial(ctx, o.addr, &o.opts)
		if err != nil {
			t.Fatal(err)
		}
		src, _ := randomFile(t, 80<<20)
		up, err := c.SetFile(ctx, "plan", src)
		if err != nil {
			t.Fatal(err)
		}
		down, err := c.GetFile(ctx, "plan", filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		// Connections join while chunks remain (spread): the count is the
		// plan's at most, exactly it when chosen (TestSizing2 checks the plan).
		conns := func(n, want int) bool { return n == want || o.opts.Connections == 0 && n >= 1 && n <= 16 }
		if !conns(up.Connections, o.upConns) || !conns(down.Connections, o.downConns) || up.Window != o.up || down.Window != o.down {
			t.Errorf("options %+v: set %d×%d, get %d×%d; want %d×%d and %d×%d", o.opts, up.Connections, up.Window, down.Connections, down.Window, o.upConns, o.up, o.downConns, o.down)
		}
	}
}
