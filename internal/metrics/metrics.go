// Package metrics exports what a FlaxFile server does to Prometheus, with
// the official Go client, on an HTTP address of its own (never the data
// port): /metrics, /healthz (the process answers) and /readyz (the store
// takes writes and the server is within its limits and not stopping).
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is a server's metrics: it is the server's Observer (events:
// transfers, refusals, store operations) and reads the server's Stats when
// scraped (what is open now, octets moved, memory budget).
type Metrics struct {
	reg      *prometheus.Registry
	started  *prometheus.CounterVec
	finished *prometheus.CounterVec
	duration *prometheus.HistogramVec
	refused  *prometheus.CounterVec
	storeOps *prometheus.HistogramVec
	stats    func() server.Stats
	ready    func(context.Context) error
}

// New returns metrics to give the server as its Observer; Watch then
// names the server they read.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.started = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flaxfile_transfers_started_total",
		Help: "Transfers begun, by protocol (1.2, 2) and direction (upload, download)."}, []string{"protocol", "direction"})
	m.finished = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flaxfile_transfers_finished_total",
		Help: "Transfers ended, by protocol, direction and result (ok, checksum, failed, aborted, interrupted, expired)."},
		[]string{"protocol", "direction", "result"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "flaxfile_transfer_duration_seconds",
		Help:    "Time from a transfer's start to its end, of those that ended ok.",
		Buckets: prometheus.ExponentialBuckets(0.005, 4, 10)}, []string{"protocol", "direction"})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flaxfile_refusals_total",
		Help: "Requests and connections refused by a limit (sessions, space, permission, shutting_down, connections, message_size)."}, []string{"limit"})
	m.storeOps = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "flaxfile_store_operation_seconds",
		Help:    "Latency of store operations (open, open_partial, commit, delete), by result (ok, error).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}, []string{"op", "result"})
	m.reg.MustRegister(m.started, m.finished, m.duration, m.refused, m.storeOps,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Watch makes the metrics read stats when scraped, and /readyz ask ready
// (nil: always ready but for the limits); a store that counts its
// partial uploads (store.PartialAdmin) is asked at most every
// partialsEvery.
func (m *Metrics) Watch(stats func() server.Stats, ready func(context.Context) error, st store.Store) {
	m.stats, m.ready = stats, ready
	if pa, ok := st.(store.PartialAdmin); ok {
		m.watchPartials(pa)
	}
	gauge := func(name, help string, f func(server.Stats) int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(f(stats())) })
	}
	counter := func(name, help string, f func(server.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(stats())) })
	}
	m.reg.MustRegister(
		counter("flaxfile_received_bytes_total", "Payload octets received (uploads).", func(s server.Stats) int64 { return s.BytesUploaded }),
		counter("flaxfile_sent_bytes_total", "Payload octets sent (downloads).", func(s server.Stats) int64 { return s.BytesDownloaded }),
		counter("flaxfile_handshakes_total", "Connections whose handshake succeeded.", func(s server.Stats) int64 { return s.Connections }),
		gauge("flaxfile_open_connections", "Connections open now.", func(s server.Stats) int64 { return s.OpenConnections }),
		gauge("flaxfile_open_uploads", "Upload sessions open now (both protocols).", func(s server.Stats) int64 { return s.OpenUploads }),
		gauge("flaxfile_open_download_handles", "FlaxFile 2 download handles open now.", func(s server.Stats) int64 { return s.OpenHandles }),
		gauge("flaxfile_memory_budget_used_bytes", "Memory budget held by received and read data.", func(s server.Stats) int64 { return s.BudgetInUse }),
		gauge("flaxfile_memory_budget_bytes", "The memory budget (--memory-limit).", func(s server.Stats) int64 { return s.BudgetLimit }),
		gauge("flaxfile_draining", "1 while the server is stopping.", func(s server.Stats) int64 {
			if s.Draining {
				return 1
			}
			return 0
		}),
	)
}

// partialsEvery is how often the partial uploads are counted at most: a
// count reads a directory, or lists an object store.
const partialsEvery = 30 * time.Second

// watchPartials exports the partial uploads pa keeps, counted again
// when a scrape finds the last count older than partialsEvery.
func (m *Metrics) watchPartials(pa store.PartialAdmin) {
	var mu sync.Mutex
	var at time.Time
	var n, octets int64
	count := func() (int64, int64) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(at) >= partialsEvery {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if c, o, err := store.CountPartials(ctx, pa); err == nil {
				n, octets, at = int64(c), o, time.Now()
			}
		}
		return n, octets
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "flaxfile_partial_uploads", Help: "Interrupted uploads kept for a resume (counted at most every 30 s)."},
			func() float64 { c, _ := count(); return float64(c) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "flaxfile_partial_upload_bytes", Help: "Octets the interrupted uploads hold (counted at most every 30 s)."},
			func() float64 { _, o := count(); return float64(o) }),
	)
}

// TransferStarted implements server.Observer.
func (m *Metrics) TransferStarted(protocol, direction string) {
	m.started.WithLabelValues(protocol, direction).Inc()
}

// TransferEnded implements server.Observer.
func (m *Metrics) TransferEnded(protocol, direction, result string, d time.Duration) {
	m.finished.WithLabelValues(protocol, direction, result).Inc()
	if result == "ok" {
		m.duration.WithLabelValues(protocol, direction).Observe(d.Seconds())
	}
}

// Refused implements server.Observer.
func (m *Metrics) Refused(limit string) { m.refused.WithLabelValues(limit).Inc() }

// StoreOp implements server.Observer.
func (m *Metrics) StoreOp(op string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.storeOps.WithLabelValues(op, result).Observe(d.Seconds())
}

// Handler serves /metrics, /healthz and /readyz.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := m.notReady(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}

// notReady says why the server should not be sent new work, or nil.
func (m *Metrics) notReady(ctx context.Context) error {
	if m.stats != nil {
		s := m.stats()
		switch {
		case s.Draining:
			return errors.New("stopping")
		case s.MaxUploads > 0 && s.OpenUploads >= s.MaxUploads:
			return errors.New("upload sessions at their limit")
		}
	}
	if m.ready != nil {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return m.ready(ctx)
	}
	return nil
}

// Serve serves Handler on ln until ctx ends.
func (m *Metrics) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	})
	defer stop()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// StoreReady checks that st takes writes: it answers a Stat (a request,
// for a store across a network), starts a version of a file and writes an
// octet into it (then drops it, never committed), and, where it can tell,
// has free space.
func StoreReady(st store.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		const probe = ".flaxfile-ready-probe"
		if _, err := st.Stat(ctx, probe); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("store: %w", err)
		}
		up, err := st.Create(ctx, probe)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		_, err = up.WriteAt([]byte{0}, 0)
		if aerr := up.Abort(); err == nil {
			err = aerr
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if sp, ok := st.(store.Spacer); ok {
			if free, err := sp.Free(ctx); err == nil && free <= 0 {
				return errors.New("store: no free space")
			}
		}
		return nil
	}
}
