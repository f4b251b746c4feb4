package flaxfile_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
)

// cutter is a client's Progress that cuts an upload short after two
// chunks when armed.
type cutter struct {
	mu     sync.Mutex
	n      int
	cancel context.CancelFunc
}

func (c *cutter) Start(string, int64) {}

func (c *cutter) Transferred(string, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n++; c.n == 2 && c.cancel != nil {
		c.cancel()
	}
}

// cut uploads src to key through cl, cut short after two chunks: a
// partial upload is left on the server.
func cut(t *testing.T, cl *flaxfile.Client, c *cutter, key, src string) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxFor(t))
	defer cancel()
	c.mu.Lock()
	c.n, c.cancel = 0, cancel
	c.mu.Unlock()
	if _, err := cl.SetFile(ctx, key, src); err == nil {
		t.Fatalf("the upload of %s was not cut short", key)
	}
}

// keysOf lists the keys of partial uploads.
func keysOf(ps []flaxfile.PartialUpload) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Key)
	}
	slices.Sort(out)
	return out
}

// An interrupted upload is listed with its size and what the server
// holds; cleared, it is gone and the next run starts from nothing.
func TestPartialsListAndClear(t *testing.T) {
	ctx := ctxFor(t)
	addr, _ := servertest.Start(t, server.Config{}, nil)
	cu := &cutter{}
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Connections: 1, Window: 1, Progress: cu, Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, data := randomFile(t, 24<<20)
	cut(t, c, cu, "dir/k", src)
	ps, err := c.Partials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Key != "dir/k" || ps[0].Size != int64(len(data)) || ps[0].Held <= 0 || ps[0].ModTime.IsZero() {
		t.Fatalf("partials after a cut-short upload: %+v", ps)
	}
	if n, err := c.ClearPartials(ctx, "other"); err != nil || n != 0 {
		t.Fatalf("clearing another key's: %d, %v", n, err)
	}
	if n, err := c.ClearPartials(ctx); err != nil || n != 1 {
		t.Fatalf("clearing all: %d, %v", n, err)
	}
	if ps, err := c.Partials(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("partials after clearing: %+v, %v", ps, err)
	}
	cu.mu.Lock()
	cu.cancel = nil
	cu.mu.Unlock()
	res, err := c.SetFile(ctx, "dir/k", src)
	if err != nil || res.Moved != int64(len(data)) {
		t.Fatalf("after clearing, the upload moved %v octets (%v), want all %d", res, err, len(data))
	}
	if _, err := c.ClearPartials(ctx, "../x"); err == nil {
		t.Error("a key outside the store was taken")
	}
	c12, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	defer c12.Close()
	if _, err := c12.Partials(ctx); err == nil {
		t.Error("a 1.2 client listed partial uploads")
	}
}

// With key files, a key sees and clears the partial uploads of the keys
// it may write; an admin key all; a read-only key none.
func TestPartialsRights(t *testing.T) {
	ctx := ctxFor(t)
	addr, _, srvPub, secret := keyFileServer(t, map[string]string{"team": "rw team", "other": "rw other", "ro": "ro", "admin": "admin"})
	cu := &cutter{}
	cl := map[string]*flaxfile.Client{}
	for name, k := range secret {
		c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{ServerKey: srvPub, ClientKey: k, Connections: 1, Window: 1, Progress: cu, Delta: flaxfile.DeltaNever})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cl[name] = c
	}
	src, _ := randomFile(t, 24<<20)
	cut(t, cl["team"], cu, "team/a", src)
	cut(t, cl["other"], cu, "other/b", src)
	for name, want := range map[string][]string{"team": {"team/a"}, "other": {"other/b"}, "ro": nil, "admin": {"other/b", "team/a"}} {
		ps, err := cl[name].Partials(ctx)
		if err != nil || !slices.Equal(keysOf(ps), want) {
			t.Errorf("%s sees %v (%v), want %v", name, keysOf(ps), err, want)
		}
	}
	for name, want := range map[string]bool{"team": false, "ro": false, "admin": true} {
		st, err := cl[name].Status(ctx)
		if err != nil || st.Encryption != "key-file" || (len(st.Clients) > 0) != want {
			t.Errorf("%s's status: %v (%s, %d clients), want clients shown %v", name, err, st.Encryption, len(st.Clients), want)
		} else if want && st.Clients[0].Key == "" {
			t.Errorf("an admin's status does not show clients' keys: %+v", st.Clients)
		}
	}
	if _, err := cl["ro"].ClearPartials(ctx); !errors.Is(err, flaxfile.ErrNotAuthorized) {
		t.Errorf("a read-only key cleared: %v", err)
	}
	if n, err := cl["team"].ClearPartials(ctx, "other/b"); err != nil || n != 0 {
		t.Errorf("team cleared %d of another's (%v)", n, err)
	}
	if n, err := cl["team"].ClearPartials(ctx); err != nil || n != 1 {
		t.Errorf("team cleared %d of its own (%v), want 1", n, err)
	}
	if n, err := cl["admin"].ClearPartials(ctx); err != nil || n != 1 {
		t.Errorf("admin cleared %d (%v), want the 1 left", n, err)
	}
}
