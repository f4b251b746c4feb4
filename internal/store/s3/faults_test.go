package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/collectors"
	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/s3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// storeProxy runs a toxiproxy between a FlaxFile server and the test's
// object store, to take the store away and give it back.
func storeProxy(t *testing.T) *toxiproxy.Proxy {
	t.Helper()
	open(t) // skips (or fails under CI) without a store
	u, err := url.Parse(os.Getenv("FLAXFILE_TEST_S3"))
	if err != nil {
		t.Fatal(err)
	}
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	srv.Metrics.ProxyMetrics = collectors.NewProxyMetricCollectors()
	p := toxiproxy.NewProxy(srv, t.Name(), "127.0.0.1:0", u.Host)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// blackhole makes the store stop answering (a stopped or unreachable
// SeaweedFS: requests hang, nothing comes back).
func blackhole(t *testing.T, p *toxiproxy.Proxy) {
	for _, stream := range []string{"upstream", "downstream"} {
		js := fmt.Sprintf(`{"name":"down-%s","type":"timeout","stream":%q,"attributes":{"timeout":0}}`, stream, stream)
		if _, err := p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
			t.Error(err)
		}
	}
}

// The store goes away in the middle of an upload: the client gets a
// clear error within the server's bound on store requests (not its own
// reply timeout, longer here), nothing is published; once the store is
// back, the rerun resumes and sends only the parts the store lacked.
func TestStoreDownMidUpload(t *testing.T) {
	p := storeProxy(t)
	var id [6]byte
	_, _ = rand.Read(id[:])
	prefix := "t/" + hex.EncodeToString(id[:])
	const bound = 3 * time.Second
	addr := serve(t, openVia(t, "http://"+p.Listen, prefix, bound))
	direct := openAt(t, prefix)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const part = 8 << 20
	data := make([]byte, 5*part+1000)
	_, _ = rand.Read(data)
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cut := &cutAfter{k: 2, cancel: func() { blackhole(t, p) }}
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Progress: cut, Connections: 1, Window: 1, ReplyTimeout: time.Minute, Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.SetFile(ctx, "k", src)
	took := time.Since(start)
	c.Close()
	if err == nil {
		t.Fatal("the upload finished with the store gone")
	}
	if !strings.Contains(err.Error(), "sending part") {
		t.Errorf("unclear error: %v", err)
	}
	if took > 4*bound { // the parts before the outage took well under a second
		t.Errorf("the error took %v (store requests bounded by %v)", took, bound)
	}
	if _, err := direct.Stat(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("with the store gone mid-upload the key is %v, want not found", err)
	}
	for _, stream := range []string{"upstream", "downstream"} {
		if err := p.Toxics.RemoveToxic(ctx, "down-"+stream); err != nil {
			t.Fatal(err)
		}
	}
	c, err = flaxfile.Dial(ctx, addr, &flaxfile.Options{Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.SetFile(ctx, "k", src)
	if err != nil {
		t.Fatalf("rerun with the store back: %v", err)
	}
	if want := int64(len(data)) - 2*part; res.Moved != want {
		t.Errorf("the rerun moved %d octets, want %d (the 2 parts sent before the outage are kept)", res.Moved, want)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := c.GetFile(ctx, "k", out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatal("the file published after the outage is not the one sent")
	}
}

// A store that stops answering must fail a transfer on the server before
// the client's reply timeout, so that the client hears why.
func TestStoreTimeoutUnderReplyTimeout(t *testing.T) {
	if s3.DefaultTimeout >= flaxfile.DefaultReplyTimeout {
		t.Fatalf("store requests bounded by %v, clients wait %v for a reply", s3.DefaultTimeout, flaxfile.DefaultReplyTimeout)
	}
}
