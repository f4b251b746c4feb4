package metrics_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/metrics"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store/disk"
)

// scrape fetches path from the metrics server at base.
func scrape(t *testing.T, base, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// value is the value of the sample named series (with its labels, as
// exposed) in body; -1 if there is none.
func value(body, series string) float64 {
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// onChunk runs f at a transfer's k-th chunk.
type onChunk struct {
	mu   sync.Mutex
	k, n int
	f    func()
}

func (o *onChunk) Start(string, int64) {}
func (o *onChunk) Transferred(string, int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n++; o.n == o.k {
		o.f()
	}
}

// Metrics scraped while an upload runs show it in flight; after, they
// show it finished, its octets and its time, and a download's too.
func TestMetricsDuringTransfer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	st, err := disk.Open(filepath.Join(t.TempDir(), "storage"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := metrics.New()
	addr, srv, stop, err := servertest.Background(server.Config{Store: st, NoSync: true, Observer: m, MaxSessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	m.Watch(srv.Stats, metrics.StoreReady(st), st)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = m.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	if code, body := scrape(t, base, "/healthz"); code != 200 {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if code, body := scrape(t, base, "/readyz"); code != 200 {
		t.Fatalf("/readyz of an idle server: %d %s", code, body)
	}
	data := make([]byte, 24<<20)
	_, _ = rand.Read(data)
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var during string
	var readyDuring int
	p := &onChunk{k: 2, f: func() {
		_, during = scrape(t, base, "/metrics")
		readyDuring, _ = scrape(t, base, "/readyz")
	}}
	c, err := flaxfile.Dial(ctx, addr, &flaxfile.Options{Connections: 1, Window: 1, Progress: p, Delta: flaxfile.DeltaNever})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	for series, want := range map[string]float64{
		`flaxfile_transfers_started_total{direction="upload",protocol="2"}`: 1,
		`flaxfile_open_uploads`:        1,
		`flaxfile_open_connections`:    1,
		`flaxfile_partial_uploads`:     1, // the upload's own, counted at this first scrape (then kept 30 s)
		`flaxfile_memory_budget_bytes`: server.DefaultMemoryLimit,
	} {
		if got := value(during, series); got != want {
			t.Errorf("during the upload %s = %v, want %v", series, got, want)
		}
	}
	if got := value(during, "flaxfile_received_bytes_total"); got <= 0 || got >= float64(len(data)) {
		t.Errorf("during the upload %v octets received, want some of %d", got, len(data))
	}
	if value(during, `flaxfile_transfers_finished_total{direction="upload",protocol="2",result="ok"}`) > 0 {
		t.Error("the upload counted as finished while it ran")
	}
	if readyDuring != http.StatusServiceUnavailable {
		t.Errorf("/readyz with its one upload session taken: %d, want 503", readyDuring)
	}

	out := filepath.Join(t.TempDir(), "out")
	if _, err := c.GetFile(ctx, "k", out); err != nil {
		t.Fatal(err)
	}
	c.Close() // its GET_END is in, or its handle closes with the connection
	deadline := time.Now().Add(10 * time.Second)
	var after string
	for {
		_, after = scrape(t, base, "/metrics")
		if value(after, `flaxfile_transfers_finished_total{direction="download",protocol="2",result="ok"}`) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling a counter, not waiting for a server
	}
	for series, want := range map[string]float64{
		`flaxfile_transfers_finished_total{direction="upload",protocol="2",result="ok"}`:   1,
		`flaxfile_transfers_started_total{direction="download",protocol="2"}`:              1,
		`flaxfile_transfers_finished_total{direction="download",protocol="2",result="ok"}`: 1,
		`flaxfile_received_bytes_total`:                                                    float64(len(data)),
		`flaxfile_sent_bytes_total`:                                                        float64(len(data)),
		`flaxfile_transfer_duration_seconds_count{direction="upload",protocol="2"}`:        1,
		`flaxfile_open_uploads`:                                                            0,
		`flaxfile_store_operation_seconds_count{op="commit",result="ok"}`:                  1,
		`flaxfile_store_operation_seconds_count{op="open",result="ok"}`:                    1,
	} {
		if got := value(after, series); got != want {
			t.Errorf("after, %s = %v, want %v", series, got, want)
		}
	}
	if value(after, "go_goroutines") <= 0 || value(after, "process_resident_memory_bytes") <= 0 {
		t.Error("the Go runtime's and the process's metrics are missing")
	}
	if code, _ := scrape(t, base, "/readyz"); code != 200 {
		t.Errorf("/readyz after the transfers: %d", code)
	}
}
