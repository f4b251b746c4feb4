package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestReportResumed: a resumed transfer says how much was there already,
// and its throughput counts only what moved.
func TestReportResumed(t *testing.T) {
	var out bytes.Buffer
	e := newEnv(nil, &out, &out)
	moved := int64(100 << 20)
	r := transferResult{Key: "big.bin", Size: 712 << 20, Seconds: 1, BytesPerSecond: float64(moved), BytesSent: &moved}
	if err := report(e, &out, &globals{}, "uploadDone", r, time.Second, ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Resumed", "612.00 MiB already there", "100.00 MiB/s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
}
