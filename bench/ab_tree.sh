#!/usr/bin/env bash
# A/B benchmark of two builds on a tree of many small files: push of a new
# tree and pull of it into an empty directory, on loopback, the builds
# taking turns (each goes first in every other round), memory warmed
# before every run; prints the median seconds of each and the ratio B/A.
#
#   bench/ab_tree.sh REV_A [REV_B] [FILES]   (REV_B defaults to the work tree;
#                                             FILES of 4 KiB, 5000 by default)
#
# ROUNDS (default 5) sets the rounds.
set -euo pipefail
# Static, as released (README): a cgo build links libc and starts slower.
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
rev_a=$1
rev_b=${2:-}
files=${3:-5000}
rounds=${ROUNDS:-5}
. bench/ab_lib.sh
ab_setup "$rev_a" "$rev_b"
for i in $(seq "$files"); do
	d="$work/src/d$((i % 50))"
	mkdir -p "$d"
	head -c 4096 /dev/urandom >"$d/f$i"
done
. bench/warm.sh
warm() { warm_memory "$work" 256; }
declare -A push pull
for r in $(seq "$rounds"); do
	for v in $(ab_order "$r"); do
		addr=addr_$v
		ff() { env FLAXFILE_PASSWORD= XDG_CACHE_HOME="$work/cache" "$work/flaxfile-$v" --server "${!addr}" --quiet "$@"; }
		warm
		push[$v]+="$(timed ff push "$work/src" "t$r") "
		warm
		pull[$v]+="$(timed ff pull "t$r" "$work/back-$v-$r") "
		rm -rf "$work/back-$v-$r"
	done
done
ab_report push s "$rev_a" "$rev_b"
ab_report pull s "$rev_a" "$rev_b"
