package flaxfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/collectors"
	"github.com/flaxfile/flaxfile"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// faultProxy runs a toxiproxy between the test and upstream; toxics are
// toxiproxy's JSON, e.g. {"type":"latency","attributes":{"latency":100}}.
func faultProxy(t *testing.T, upstream string) *toxiproxy.Proxy {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	srv.Metrics.ProxyMetrics = collectors.NewProxyMetricCollectors()
	p := toxiproxy.NewProxy(srv, t.Name(), "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

func addToxic(t *testing.T, p *toxiproxy.Proxy, name, typ, stream, attrs string) {
	js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"attributes":%s}`, name, typ, stream, attrs)
	if _, err := p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		t.Fatal(err)
	}
}

// roundTrip sets and gets src through addr and checks both copies.
func roundTrip(t *testing.T, addr, dir, key, src string, data []byte, o *flaxfile.Options) error {
	ctx := ctxFor(t)
	c, err := flaxfile.Dial(ctx, addr, o)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.SetFile(ctx, key, src); err != nil {
		return err
	}
	if got, _ := os.ReadFile(filepath.Join(dir, key)); !bytes.Equal(got, data) {
		t.Fatalf("%s: stored file differs", key)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := c.GetFile(ctx, key, out); err != nil {
		return err
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatalf("%s: downloaded file differs", key)
	}
	return nil
}

// TestFaultsSlowLink: 100 ms of latency each way and a 10 MB/s cap, then
// a slicer cutting the stream into small random pieces: transfers
// complete, both protocols, files exact.
func TestFaultsSlowLink(t *testing.T) {
	addr, dir := startServer(t, "")
	src, data := randomFile(t, 6<<20)
	p := faultProxy(t, addr)
	for _, s := range []string{"upstream", "downstream"} {
		addToxic(t, p, "lat-"+s, "latency", s, `{"latency":100,"jitter":10}`)
		addToxic(t, p, "bw-"+s, "bandwidth", s, `{"rate":10000}`)
	}
	for _, proto := range []string{"2", "1.2"} {
		if err := roundTrip(t, p.Listen, dir, "slow"+proto, src, data, &flaxfile.Options{Protocol: proto}); err != nil {
			t.Fatalf("protocol %s through latency and a bandwidth cap: %v", proto, err)
		}
	}
	for _, s := range []string{"upstream", "downstream"} {
		p.Toxics.RemoveToxic(t.Context(), "lat-"+s)
		p.Toxics.RemoveToxic(t.Context(), "bw-"+s)
		addToxic(t, p, "slice-"+s, "slicer", s, `{"average_size":700,"size_variation":650,"delay":0}`)
	}
	for _, proto := range []string{"2", "1.2"} {
		if err := roundTrip(t, p.Listen, dir, "sliced"+proto, src, data, &flaxfile.Options{Protocol: proto}); err != nil {
			t.Fatalf("protocol %s through a slicer: %v", proto, err)
		}
	}
}

// onFirstChunk calls fn once, when the first chunk has been acknowledged.
type onFirstChunk struct {
	once sync.Once
	fn   func()
}

func (o *onFirstChunk) Start(string, int64)           {}
func (o *onFirstChunk) Transferred(_ string, n int64) { o.once.Do(o.fn) }

// TestFaultsResetAndStall: a connection cut after 9 MiB, and a connection
// that stops passing data, make a transfer fail clearly (within the reply
// timeout for the stall); with the fault gone, the rerun resumes and the
// files are exact; the server serves others throughout.
func TestFaultsResetAndStall(t *testing.T) {
	addr, dir := startServer(t, "")
	src, data := randomFile(t, 12<<20)
	size := int64(len(data))
	ctx := ctxFor(t)
	for _, fault := range []struct{ name, typ, attrs string }{
		{"reset", "limit_data", `{"bytes":9437184}`}, // two chunks and a part
		{"stall", "timeout", `{"timeout":0}`},
	} {
		p := faultProxy(t, addr)
		o := &flaxfile.Options{Connections: 1, Window: 2, ChunkSize: 4 << 20, ReplyTimeout: 2 * time.Second}
		if fault.typ == "timeout" {
			// Stall once the first chunk is in.
			o.Progress = &onFirstChunk{fn: func() { addToxic(t, p, fault.name, fault.typ, "upstream", fault.attrs) }}
		} else {
			addToxic(t, p, fault.name, fault.typ, "upstream", fault.attrs)
		}
		c, err := flaxfile.Dial(ctx, p.Listen, o)
		if err != nil {
			t.Fatal(err)
		}
		key := "f-" + fault.name
		start := time.Now()
		_, err = c.SetFile(ctx, key, src)
		c.Close()
		if err == nil {
			t.Fatalf("%s: the upload went through the fault", fault.name)
		}
		if fault.typ == "timeout" && (!errors.Is(err, flaxfile.ErrTimeout) || time.Since(start) > 30*time.Second) {
			t.Fatalf("stall: %v after %v, want a timeout", err, time.Since(start))
		}
		if _, err := os.Stat(filepath.Join(dir, key)); !os.IsNotExist(err) {
			t.Fatalf("%s: published after the fault", fault.name)
		}
		// Others are served meanwhile.
		if err := roundTrip(t, addr, dir, "other-"+fault.name, src, data, nil); err != nil {
			t.Fatalf("%s: another client: %v", fault.name, err)
		}
		p.Toxics.RemoveToxic(t.Context(), fault.name)
		c, err = flaxfile.Dial(ctx, p.Listen, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.SetFile(ctx, key, src)
		c.Close()
		if err != nil {
			t.Fatalf("%s: rerun: %v", fault.name, err)
		}
		if res.Moved >= size {
			t.Errorf("%s: the rerun sent everything again (%d octets)", fault.name, res.Moved)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, key)); !bytes.Equal(got, data) {
			t.Fatalf("%s: stored file differs", fault.name)
		}
	}
	// A download cut part way resumes too.
	p := faultProxy(t, addr)
	addToxic(t, p, "cut", "limit_data", "downstream", `{"bytes":5242880}`)
	c, err := flaxfile.Dial(ctx, p.Listen, &flaxfile.Options{Connections: 1, Window: 1, ChunkSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := c.GetFile(ctx, "f-reset", out); err == nil {
		t.Fatal("the download went through the cut")
	}
	c.Close()
	p.Toxics.RemoveToxic(t.Context(), "cut")
	c, err = flaxfile.Dial(ctx, p.Listen, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.GetFile(ctx, "f-reset", out)
	if err != nil || res.Moved >= size {
		t.Fatalf("download rerun: %v, moved %v", err, res)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatal("downloaded file differs")
	}
}
