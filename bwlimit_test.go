package flaxfile_test

import (
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
)

// A bandwidth limit holds a whole transfer, all its connections together,
// to its rate: a transfer of a second's worth of octets takes at least
// about a second (a lower bound only: a loaded machine may take
// longer), both ways and both protocols; the server's limits likewise.
func TestBandwidthLimit(t *testing.T) {
	ctx := ctxFor(t)
	const rate = 8 << 20
	src, data := randomFile(t, rate)
	atLeast := func(what string, d time.Duration) {
		t.Helper()
		t.Logf("%s: %v", what, d.Round(time.Millisecond))
		if d < 900*time.Millisecond {
			t.Errorf("%s of two seconds' worth at the limit took %v", what, d)
		}
	}
	addr, _ := servertest.Start(t, server.Config{}, nil)
	for _, proto := range []string{"", "1.2"} {
		c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{BandwidthLimit: rate, Connections: 4, Protocol: proto, Delta: flaxfile.DeltaNever})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := c.SetFile(ctx, "k", src); err != nil {
			t.Fatal(err)
		}
		atLeast("client-limited set "+proto, time.Since(start))
		start = time.Now()
		mustGet(ctx, t, c, "k", data)
		atLeast("client-limited get "+proto, time.Since(start))
		c.Close()
	}

	for _, cfg := range []server.Config{{BandwidthLimit: rate}, {BandwidthLimitPerClient: rate}} {
		addr, _ := servertest.Start(t, cfg, nil)
		c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Connections: 4, Delta: flaxfile.DeltaNever})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := c.SetFile(ctx, "k", src); err != nil {
			t.Fatal(err)
		}
		atLeast("server-limited set", time.Since(start))
		start = time.Now()
		mustGet(ctx, t, c, "k", data)
		atLeast("server-limited get", time.Since(start))
		c.Close()
	}
}
