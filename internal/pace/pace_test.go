package pace

import (
	"context"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1000": 1000, "500K": 500 << 10, "20M": 20 << 20, "20m/s": 20 << 20,
		"1G": 1 << 30, "1.5M": 3 << 19, "10MB": 10e6, "10MiB": 10 << 20, "2T": 2 << 40,
	} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "M", "-1M", "20X", "1e30", "fast", "20 M B"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) took it", bad)
		}
	}
}

// The bucket starts empty: a second's worth of octets takes about a
// second, not the burst's head start less.
func TestLimiterHoldsRate(t *testing.T) {
	const bps = 4 << 20
	p := New(bps)
	start := time.Now()
	for range 8 { // 1 s of octets, in pieces larger and smaller than the burst
		if err := p.Wait(context.Background(), bps/8); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("a second's worth of octets went in %v", d)
	}
	var none *Limiter
	if err := none.Wait(context.Background(), 1<<40); err != nil || none.Rate() != 0 {
		t.Error("a nil limiter limits")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ctx, bps); err == nil {
		t.Error("a wait outlived its context")
	}
}
