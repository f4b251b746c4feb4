package flaxfile_test

import (
	"testing"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
)

// STATUS says what the server did since it started and what is open
// now; a 1.2 client can learn only what it measures itself.
func TestStatus(t *testing.T) {
	ctx := ctxFor(t)
	addr, _ := servertest.Start(t, server.Config{Version: "v9.9.9", StoreKind: "disk"}, nil)
	c, err := flaxfile.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, data := randomFile(t, 3<<20)
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case st.Protocol != "2" || st.Version != "v9.9.9" || st.Encryption != "none" || st.Store != "disk" || st.Limited:
		t.Errorf("status says %+v", st)
	case st.Totals.Uploads != 1 || st.Totals.BytesIn != int64(len(data)) || st.InFlight.Connections < 1:
		t.Errorf("status counts %+v, in flight %+v", st.Totals, st.InFlight)
	case st.Limits.MaxUploads != server.DefaultMaxSessions || st.Limits.MemoryBytes != server.DefaultMemoryLimit:
		t.Errorf("status limits %+v", st.Limits)
	case st.Partials == nil || st.Partials.Count != 0 || st.FreeBytes == nil || *st.FreeBytes <= 0:
		t.Errorf("status partials %+v, free %v", st.Partials, st.FreeBytes)
	case len(st.Clients) < 1 || st.Uptime <= 0 || st.RoundTrip <= 0:
		t.Errorf("status clients %+v, uptime %v, round trip %v", st.Clients, st.Uptime, st.RoundTrip)
	}
	c12, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Protocol: "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	defer c12.Close()
	if st, err := c12.Status(ctx); err != nil || !st.Limited || st.Protocol != "1.2" || st.Address == "" {
		t.Errorf("status through 1.2: %+v, %v", st, err)
	}
}
