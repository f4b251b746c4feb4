//go:build !pprof

package main

import "errors"

// startCPUProfile refuses: profiling is built in only with `-tags pprof`,
// which keeps runtime/pprof (and its compression) out of every start.
func startCPUProfile(string) error {
	return errors.New("--cpu-profile needs a build with profiling: go build -tags pprof ./cmd/flaxfile")
}

// stopCPUProfile has nothing to stop.
func stopCPUProfile() {}
