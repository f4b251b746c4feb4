#!/usr/bin/env bash
# A/B benchmark of two builds: set and get of one random file (1 GiB by
# default) on loopback, plaintext, the two builds' clients and servers
# taking turns round by round, memory warmed before every run; prints the
# median of each and the ratio B/A. For checking that a change costs
# nothing: the machine drifts too much between separate runs.
#
#   bench/ab.sh REV_A [REV_B] [SIZE_MIB]   (REV_B defaults to the work tree)
#
# ROUNDS (default 5) sets the rounds; the builds take turns going first.
set -euo pipefail
# Static, as released (README): a cgo build links libc and starts slower.
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
rev_a=$1
rev_b=${2:-}
size_mib=${3:-1024}
rounds=${ROUNDS:-5}
. bench/ab_lib.sh
ab_setup "$rev_a" "$rev_b"
head -c $((size_mib << 20)) /dev/urandom >"$work/src.bin"
. bench/warm.sh
warm() { warm_memory "$work" $((size_mib * 5 / 4 + 64)); }

mbps() { echo "scale=0; $size_mib * 1048576 / $1 / 1000000" | bc; }
declare -A set get
for r in $(seq "$rounds"); do
	for v in $(ab_order "$r"); do
		addr=addr_$v
		warm
		set[$v]+="$(mbps "$(timed env FLAXFILE_PASSWORD= "$work/flaxfile-$v" --server "${!addr}" --quiet set "$work/src.bin" big.bin)") "
		rm -f "$work/out.bin"
		warm
		get[$v]+="$(mbps "$(timed env FLAXFILE_PASSWORD= "$work/flaxfile-$v" --server "${!addr}" --quiet get big.bin "$work/out.bin")") "
		rm -f "$work/out.bin"
	done
done
ab_report set "MB/s" "$rev_a" "$rev_b"
ab_report get "MB/s" "$rev_a" "$rev_b"
