#!/usr/bin/env bash
# A/B benchmark of two builds over a slow link (issue 17's delta cases):
# a SIZE_MIB random file (256 by default) is on each build's server, and
# its new version (CASE: "change", 1 MiB rewritten in the middle;
# "append", 1 MiB appended; "insert", 100 octets at the start) is set
# through bench/linkproxy (RATE octets/s, default 100 Mbit/s; RTT_MS,
# default 20), then got over the old local copy; the builds' clients and
# servers take turns round by round, the old version put back (directly,
# untimed) before each run. Prints the medians and the ratio B/A.
#
#   bench/ab_wan.sh REV_A [REV_B] [SIZE_MIB]   (REV_B: the work tree)
#
# ROUNDS (default 7), CASES (default "change append insert").
set -euo pipefail
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
rev_a=$1
rev_b=${2:-}
size_mib=${3:-256}
rounds=${ROUNDS:-7}
cases=${CASES:-change append insert}
rate=${RATE:-12500000}
rtt_ms=${RTT_MS:-20}
. bench/ab_lib.sh
ab_setup "$rev_a" "$rev_b"
go build -o "$work/linkproxy" ./bench/linkproxy
mib=$((1 << 20))
head -c $((size_mib * mib)) /dev/urandom >"$work/old.bin"
. bench/delta_cases.sh
for c in $cases; do make_case "$c"; done
# One link per build.
proxies=()
trap 'kill "${proxies[@]}" 2>/dev/null || true; ab_cleanup' EXIT
start_link "$addr_a" link_a
start_link "$addr_b" link_b
. bench/warm.sh
ff() { env FLAXFILE_PASSWORD= "$work/flaxfile-$1" "${@:2}"; }
for c in $cases; do
	declare -A "set_$c" "get_$c"
done
for r in $(seq "$rounds"); do
	for c in $cases; do
		new="$work/new-$c.bin"
		for v in $(ab_order "$r"); do
			addr=addr_$v link=link_$v
			ff "$v" --server "${!addr}" --quiet set --no-delta "$work/old.bin" big.bin
			warm_memory "$work" $((size_mib * 4))
			declare -n s="set_$c"
			s[$v]+="$(timed ff "$v" --server "${!link}" --quiet set "$new" big.bin) "
			ff "$v" --server "${!addr}" --quiet set --no-delta "$new" big.bin
			cp "$work/old.bin" "$work/got-$v.bin"
			warm_memory "$work" $((size_mib * 4))
			declare -n g="get_$c"
			g[$v]+="$(timed ff "$v" --server "${!link}" --quiet get big.bin "$work/got-$v.bin") "
			cmp -s "$new" "$work/got-$v.bin" || { echo "build $v: the file got differs" >&2; exit 1; }
		done
	done
done
echo "$size_mib MiB; link $((rate * 8 / 1000000)) Mbit/s, $rtt_ms ms round trip; $rounds rounds, medians (seconds)"
for c in $cases; do
	ab_report "set_$c" s "$rev_a" "$rev_b"
	ab_report "get_$c" s "$rev_a" "$rev_b"
done
