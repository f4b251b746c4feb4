#!/usr/bin/env bash
# Start-up: `flaxfile version` against a hello-world Go binary built by the
# same toolchain the same way (static, as released), the runs interleaved,
# medians and the gap.
#
#   bench/startup.sh [RUNS]   (default 200)
#
# GODEBUG=inittrace=1 flaxfile version shows what the gap is made of.
set -euo pipefail
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
runs=${1:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/flaxfile" ./cmd/flaxfile
mkdir "$work/hello"
printf 'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("hello\\n") }\n' >"$work/hello/main.go"
(cd "$work/hello" && printf 'module hello\n' >go.mod && go build -o "$work/hello-world" .)
. bench/warm.sh
warm_memory "$(dirname "$work")" 512
go run ./bench/startup -n "$runs" "$work/hello-world" -- "$work/flaxfile" version
