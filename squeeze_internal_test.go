package flaxfile

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile/internal/compress"
)

func text(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d: user=%d action=read path=/data/%d\n", i, i*31%977, i*7919%10007)
	}
	return b.Bytes()[:n]
}

// measured makes z look as if its link had carried rate octets a second.
func measured(z *squeezer, rate float64) {
	z.first = time.Now().Add(-time.Second)
	z.done, z.wire = 10, int64(rate)
}

// sampled makes z look as if its sample had shown ratio at both levels
// and speed octets a second on a core (the real measure depends on the
// machine, and the race detector slows it twentyfold).
func sampled(z *squeezer, ratio, speed float64) *squeezer {
	z.sample.Do(func() {})
	for _, l := range []compress.Level{compress.Fast, compress.Strong} {
		z.ratio[l], z.speed[l] = ratio, speed
	}
	return z
}

// The automatic choice: nothing on a fast or unmeasured short link,
// nothing for data that does not shrink, a level on a slow link for data
// that does; --compress compresses whatever the link.
func TestSqueezerChooses(t *testing.T) {
	up := func(mode CompressMode, long bool, ratio float64) *squeezer {
		return sampled(&squeezer{mode: mode, long: long, src: bytes.NewReader(nil), size: 1 << 20, sizes: map[int64]int64{}}, ratio, 400e6)
	}
	for _, tc := range []struct {
		name string
		z    *squeezer
		rate float64 // 0: not measured
		off  bool
	}{
		{"short link, not measured", up(CompressAuto, false, 0.2), 0, true},
		{"long link, not measured, text", up(CompressAuto, true, 0.2), 0, false},
		{"measured slow, text", up(CompressAuto, false, 0.2), 12.5e6, false},
		{"measured fast, text", up(CompressAuto, true, 0.2), 2e9, true},
		{"measured slow, random", up(CompressAuto, true, 1), 12.5e6, true},
		{"measured slow, compression slower still", sampled(up(CompressAuto, true, 0.9), 0.9, 0.5e6), 12.5e6, true},
		{"forced, fast link", up(CompressAlways, false, 0.2), 2e9, false},
		{"forced, random", up(CompressAlways, false, 1), 0, false},
		{"download, long link", &squeezer{mode: CompressAuto, long: true}, 0, false},
		{"download, measured fast", &squeezer{mode: CompressAuto, long: true}, 2e9, true},
		{"download, short link at the machines' pace", &squeezer{mode: CompressAuto}, 160e6, true},
		{"download, short slow link", &squeezer{mode: CompressAuto}, 12.5e6, false},
		{"download, long link at 160 MB/s", &squeezer{mode: CompressAuto, long: true}, 160e6, false},
	} {
		if tc.rate > 0 {
			measured(tc.z, tc.rate)
		}
		if got := tc.z.level(); (got == compress.Off) != tc.off {
			t.Errorf("%s: level %v", tc.name, got)
		}
	}
	// A download whose replies keep coming as they are stops asking, but
	// for now and then.
	z := &squeezer{mode: CompressAuto, long: true}
	for range 4 {
		z.received(4<<20, false)
	}
	if got := z.level(); got != compress.Off {
		t.Errorf("after four replies that did not shrink: %v", got)
	}
	for range 12 {
		z.received(4<<20, false)
	}
	if got := z.level(); got == compress.Off {
		t.Error("never asks again")
	}
	var none *squeezer
	if none.level() != compress.Off {
		t.Error("a nil squeezer compresses")
	}
}

// A link's pace counts from the first answer: a download whose first
// ranges waited on a busy store (half a second) and whose answers then
// came at loopback pace is not taken for a slow link; one whose answers
// keep coming slowly is.
func TestSqueezerRateFromFirstAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		gap  time.Duration // between answers after the first
		off  bool
	}{{"fast after a slow opening", 0, true}, {"slow throughout", 400 * time.Millisecond, false}} {
		z := &squeezer{mode: CompressAuto}
		if z.level() != compress.Off {
			t.Fatalf("%s: compresses before anything is known on a short link", tc.name)
		}
		z.received(16<<20, false) // the first answer, after the opening
		// What follows: two answers over 100 ms (time moved back
		// instead of waited), or over 0.9 s.
		z.first = z.first.Add(-100*time.Millisecond - 2*tc.gap)
		for range 2 {
			z.received(16<<20, false)
		}
		if got := z.level(); (got == compress.Off) != tc.off {
			t.Errorf("%s: level %v at %.0f MB/s", tc.name, got, z.rateLocked()/1e6)
		}
	}
}

// The sample tells text, which shrinks, from random octets, which do not.
func TestSqueezerSamples(t *testing.T) {
	noise := make([]byte, 1<<20)
	_, _ = rand.Read(noise)
	for _, tc := range []struct {
		name   string
		data   []byte
		shrink bool
	}{{"text", text(1 << 20), true}, {"random", noise, false}} {
		z := &squeezer{src: bytes.NewReader(tc.data), size: int64(len(tc.data))}
		z.measure()
		for _, l := range []compress.Level{compress.Fast, compress.Strong} {
			if (z.ratio[l] < 0.5) != tc.shrink || z.speed[l] <= 0 {
				t.Errorf("%s at %v: ratio %.2f, speed %.0f", tc.name, l, z.ratio[l], z.speed[l])
			}
		}
	}
}
