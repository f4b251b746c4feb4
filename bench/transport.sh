#!/usr/bin/env bash
# Transport benchmarks (issue 2): one connection sending 4 MiB messages
# DEALER -> ROUTER over loopback TCP, NULL and CURVE (as libzmq speaks it,
# and between Go peers with the cipher they agree on), against two baselines
# measured in the same run: a raw TCP copy of the same bytes, and one core
# sealing them with XSalsa20-Poly1305.
#
#   bench/transport.sh [COUNT]     (default 5 interleaved runs of each, 2 s each)
#
# Prints the median MB/s of each and the two ratios the targets name:
# NULL / raw TCP (target >= 0.85) and CURVE / seal (target >= 0.60).
set -euo pipefail
# Static, as released (README): a cgo build links libc and starts slower.
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
count=${1:-5}
bin=$(mktemp -d)/zmtp.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" ./internal/zmtp
# Interleave the runs so that drift on a shared machine hits every
# benchmark alike.
out=$(cd internal/zmtp && for _ in $(seq "$count"); do "$bin" -test.run '^$' -test.bench 'Transport' -test.benchtime=2s; done)
echo "$out" | grep -E '^(cpu|Benchmark)'
echo "$out" | awk '
  /^BenchmarkTransport/ {
    name = $1; sub(/^BenchmarkTransport/, "", name); sub(/-[0-9]+$/, "", name)
    for (i = 1; i <= NF; i++) if ($i == "MB/s") v[name] = v[name] " " $(i-1)
  }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    raw = median(v["RawTCP"]); null = median(v["Null"]); cur = median(v["Curve"]); seal = median(v["Seal"]); gocur = median(v["CurveGo"])
    printf "\nmedian MB/s: raw TCP %.0f, NULL %.0f, seal %.0f, CURVE %.0f, CURVE Go peers %.0f\n", raw, null, seal, cur, gocur
    printf "NULL / raw TCP = %.2f (target >= 0.85)\n", null / raw
    printf "CURVE / seal   = %.2f (target >= 0.60)\n", cur / seal
    printf "CURVE Go peers / seal = %.2f\n", gocur / seal
  }'
