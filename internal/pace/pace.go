// Package pace holds transfers to a rate: a token bucket (x/time/rate)
// shared by every connection that draws on it, so that a limit holds for
// a whole transfer, or a whole server, however many connections it uses.
package pace

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Limiter paces octets to a rate. A nil *Limiter does not limit.
type Limiter struct {
	l     *rate.Limiter
	burst int
}

// New returns a Limiter of bps octets a second, or nil for bps <= 0. It
// starts empty: the first octets wait their turn like the rest, so that
// a short transfer does not run ahead of the rate.
func New(bps int64) *Limiter {
	if bps <= 0 {
		return nil
	}
	// A tenth of a second's worth at a time (at least 64 KiB), so that
	// several connections take turns smoothly.
	burst := int(min(max(bps/10, 64<<10), 1<<30))
	l := rate.NewLimiter(rate.Limit(bps), burst)
	l.ReserveN(time.Now(), burst)
	return &Limiter{l: l, burst: burst}
}

// Wait waits until n more octets may go, or ctx ends.
func (p *Limiter) Wait(ctx context.Context, n int64) error {
	if p == nil {
		return nil
	}
	for n > 0 {
		k := min(n, int64(p.burst))
		if err := p.l.WaitN(ctx, int(k)); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		n -= k
	}
	return nil
}

// Rate returns the limit in octets a second (0: none).
func (p *Limiter) Rate() int64 {
	if p == nil {
		return 0
	}
	return int64(p.l.Limit())
}

// ParseRate reads a rate in octets a second: a number with an optional
// suffix K, M, G or T (powers of 1024, as rsync's --bwlimit; "KiB", "MB"
// and the like are taken too, MB as 10^6), optionally followed by "/s".
// "0" means no limit.
func ParseRate(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "/s")
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := t[:i], strings.ToUpper(t[i:])
	mult := map[string]float64{"": 1, "B": 1,
		"K": 1 << 10, "KIB": 1 << 10, "KB": 1e3,
		"M": 1 << 20, "MIB": 1 << 20, "MB": 1e6,
		"G": 1 << 30, "GIB": 1 << 30, "GB": 1e9,
		"T": 1 << 40, "TIB": 1 << 40, "TB": 1e12}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || v < 0 || v*mult > 1<<50 {
		return 0, fmt.Errorf("rate %q: want a number of octets a second, such as 500K, 20M or 1G", s)
	}
	return int64(v * mult), nil
}
