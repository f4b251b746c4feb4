package flaxfile_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/auth"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store/disk"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// TestKeyFileAccess: in key-file mode each client key has the rights its
// line in the authorized-keys file gives; anything beyond is refused and
// changes nothing; an unknown key cannot connect.
func TestKeyFileAccess(t *testing.T) {
	ctx := ctxFor(t)
	addr, st, srvPub, secrets := keyFileServer(t, map[string]string{"rw": "rw", "ro": "ro", "team": "rw team"})
	rw, ro, team := secrets["rw"], secrets["ro"], secrets["team"]
	_, stranger, _ := flaxfile.GenerateKey()
	dir := st.Dir()
	dial := func(k flaxfile.Key) (*flaxfile.Client, error) {
		return flaxfile.Dial(ctx, addr, &flaxfile.Options{ServerKey: srvPub, ClientKey: k})
	}
	src, data := randomFile(t, 5<<20)

	c, err := dial(rw)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.SetFile(ctx, "shared/f", src); err != nil {
		t.Fatal(err)
	}

	r, err := dial(ro)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := filepath.Join(t.TempDir(), "out")
	if _, err := r.GetFile(ctx, "shared/f", out); err != nil {
		t.Fatalf("read-only get: %v", err)
	}
	if _, err := r.SetFile(ctx, "shared/f", out); !errors.Is(err, flaxfile.ErrNotAuthorized) {
		t.Fatalf("read-only set: %v", err)
	}
	if err := r.Delete(ctx, "shared/f"); !errors.Is(err, flaxfile.ErrNotAuthorized) {
		t.Fatalf("read-only delete: %v", err)
	}
	ro12, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{ServerKey: srvPub, ClientKey: ro, Protocol: "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	defer ro12.Close()
	if _, err := ro12.SetFile(ctx, "shared/g", out); !errors.Is(err, flaxfile.ErrNotAuthorized) {
		t.Fatalf("read-only set with 1.2's commands: %v", err)
	}

	tm, err := dial(team)
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	if _, err := tm.SetFile(ctx, "team/a", src); err != nil {
		t.Fatalf("confined set inside: %v", err)
	}
	if _, err := tm.SetFile(ctx, "other/a", src); !errors.Is(err, flaxfile.ErrNotAuthorized) {
		t.Fatalf("confined set outside: %v", err)
	}
	if _, err := tm.GetFile(ctx, "shared/f", out); !errors.Is(err, flaxfile.ErrNotAuthorized) {
		t.Fatalf("confined get outside: %v", err)
	}
	var keys []string
	if err := tm.Walk(ctx, "", false, func(e flaxfile.Entry) error { keys = append(keys, e.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "team/a" {
		t.Fatalf("confined listing shows %q", keys)
	}
	// Nothing the refused requests named changed on disk.
	if got, _ := os.ReadFile(filepath.Join(dir, "shared/f")); !bytes.Equal(got, data) {
		t.Fatal("shared/f changed")
	}
	for _, p := range []string{"other/a", "shared/g"} {
		if _, err := os.Stat(filepath.Join(dir, p)); !os.IsNotExist(err) {
			t.Fatalf("%s exists", p)
		}
	}

	start := time.Now()
	if _, err := dial(stranger); !errors.Is(err, flaxfile.ErrNotAuthorized) || time.Since(start) > 5*time.Second {
		t.Fatalf("unknown key: %v after %v", err, time.Since(start))
	}
}

// keyFileServer starts a key-file server whose authorized keys give each
// name its rights ("rw", "ro team", "admin"…), and returns its address,
// store and public key and each name's secret key.
func keyFileServer(t *testing.T, rights map[string]string) (string, *disk.Store, flaxfile.Key, map[string]flaxfile.Key) {
	t.Helper()
	srvPub, srvSec, _ := flaxfile.GenerateKey()
	keys := map[string]flaxfile.Key{}
	text := ""
	for name, r := range rights {
		_, sec, _ := flaxfile.GenerateKey()
		pub, _ := flaxfile.PublicKeyOf(sec)
		keys[name] = sec
		text += pub.String() + " " + r + "\n"
	}
	authFile := filepath.Join(t.TempDir(), "authorized_keys")
	if err := os.WriteFile(authFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := auth.Load(authFile)
	if err != nil {
		t.Fatal(err)
	}
	mech, err := curve.NewServer(curve.Key(srvSec), func(k curve.Key) error { _, err := list.Lookup(k); return err })
	if err != nil {
		t.Fatal(err)
	}
	addr, st := servertest.Start(t, server.Config{Access: list}, mech)
	return addr, st, srvPub, keys
}
