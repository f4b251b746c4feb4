//go:build pprof

package main

import (
	"os"
	"runtime/pprof"
)

// startCPUProfile starts writing a CPU profile to path (a development
// aid: `go build -tags pprof`, then --cpu-profile FILE).
func startCPUProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	return nil
}

// stopCPUProfile ends the profile startCPUProfile began.
func stopCPUProfile() { pprof.StopCPUProfile() }
