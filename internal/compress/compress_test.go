package compress

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"testing"
)

func logLines(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "2026-12-05T20:%02d:%02d.%03dZ INFO request done path=/api/v1/items/%d status=200 ms=%d\n", i/60%60, i%60, i%1000, i*7919%10007, i%97)
	}
	return b.Bytes()[:n]
}

// A chunk of text shrinks at both levels and comes back whole; random
// octets do not pay and are left as they are.
func TestRoundTrip(t *testing.T) {
	text := logLines(4 << 20)
	for _, l := range []Level{Fast, Strong} {
		frame, ok := Compress(nil, text, l)
		if !ok || len(frame) > len(text)/4 {
			t.Fatalf("%v: %d octets of text make a frame of %d (pays %v)", l, len(text), len(frame), ok)
		}
		got, err := Decompress(make([]byte, 0, len(text)), frame, len(text))
		if err != nil || !bytes.Equal(got, text) {
			t.Fatalf("%v: round trip: %v", l, err)
		}
	}
	noise := make([]byte, 1<<20)
	_, _ = rand.Read(noise)
	if out, ok := Compress([]byte("x"), noise, Fast); ok || string(out) != "x" {
		t.Fatalf("random octets: pays %v, dst %d octets", ok, len(out))
	}
	if _, ok := Compress(nil, text, Off); ok {
		t.Fatal("Off compressed")
	}
}

// A frame that decodes to other than the length expected, or declares
// more than MaxOut, or is not a frame, is refused.
func TestDecompressRefuses(t *testing.T) {
	text := logLines(1 << 20)
	frame, _ := Compress(nil, text, Fast)
	for _, tc := range []struct {
		name  string
		frame []byte
		n     int
		room  int
	}{
		{"shorter than expected", frame, len(text) + 1, len(text) + 1},
		{"longer than expected", frame, len(text) - 1, len(text)},
		{"no room", frame, len(text), 10},
		{"beyond MaxOut", frame, MaxOut + 1, MaxOut + 1},
		{"garbage", []byte("not a zstd frame at all"), 10, 10},
		{"truncated", frame[:len(frame)/2], len(text), len(text)},
	} {
		if _, err := Decompress(make([]byte, 0, tc.room), tc.frame, tc.n); !errors.Is(err, ErrFrame) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestParseLevel(t *testing.T) {
	for _, l := range []Level{Off, Fast, Strong} {
		if got, ok := ParseLevel(l.String()); !ok || got != l {
			t.Errorf("%v: %v %v", l, got, ok)
		}
	}
	if _, ok := ParseLevel("best"); ok {
		t.Error("unknown level accepted")
	}
}

func BenchmarkCompress(b *testing.B) {
	text := logLines(4 << 20)
	for _, l := range []Level{Fast, Strong} {
		b.Run(l.String(), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			var frame []byte
			for b.Loop() {
				frame, _ = Compress(frame[:0], text, l)
			}
			b.ReportMetric(float64(len(frame))/float64(len(text)), "ratio")
		})
	}
}

// A chunk that shrinks at neither its start nor its middle is left as it
// is after compressing those probes alone: its whole frame, longer than
// the chunk, is never made (it outgrew its buffer: a new chunk-sized
// allocation each time). One that shrinks in either place is compressed
// whole.
func TestIncompressibleSkippedCheaply(t *testing.T) {
	noise := make([]byte, 4<<20)
	_, _ = rand.Read(noise)
	dst := make([]byte, 0, len(noise))
	Compress(dst, noise, Fast) // the encoder's own tables, made once
	for _, l := range []Level{Fast, Strong} {
		if a := testing.AllocsPerRun(5, func() { Compress(dst, noise, l) }); a > 2 {
			t.Errorf("%v: %.0f allocations for an incompressible chunk", l, a)
		}
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range 4 {
		if _, ok := Compress(dst, noise, Fast); ok {
			t.Fatal("random octets paid")
		}
	}
	runtime.ReadMemStats(&m1)
	if grew := m1.TotalAlloc - m0.TotalAlloc; grew > 1<<20 {
		t.Errorf("%d octets allocated for 4 incompressible chunks", grew)
	}
	text := logLines(len(noise) / 2)
	for _, mixed := range [][]byte{append(noise[:len(noise)/2:len(noise)/2], text...), append(append([]byte(nil), text...), noise[:len(noise)/2]...)} {
		frame, ok := Compress(nil, mixed, Fast)
		if !ok || len(frame) > len(mixed)*3/5 {
			t.Fatalf("half text: pays %v, %d octets of %d", ok, len(frame), len(mixed))
		}
		if got, err := Decompress(make([]byte, 0, len(mixed)), frame, len(mixed)); err != nil || !bytes.Equal(got, mixed) {
			t.Fatalf("half text: round trip: %v", err)
		}
	}
}
