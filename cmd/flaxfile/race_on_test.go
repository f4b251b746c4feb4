//go:build race

package main

// raceBuild: the race detector multiplies memory use several times, so
// peak-memory caps are checked only in builds without it (.ci/run runs
// those tests once more without -race).
const raceBuild = true
