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
cd "$(dirname "$0")/.."
rev_a=$1
rev_b=${2:-}
files=${3:-5000}
rounds=${ROUNDS:-5}
work=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")")
tree=$(mktemp -d)
cleanup() {
	kill $(jobs -p) 2>/dev/null || true
	git worktree remove --force "$tree/a" 2>/dev/null || true
	git worktree remove --force "$tree/b" 2>/dev/null || true
	rm -rf "$work" "$tree"
}
trap cleanup EXIT
git worktree add -q "$tree/a" "$rev_a"
(cd "$tree/a" && go build -o "$work/flaxfile-a" ./cmd/flaxfile)
if [ -n "$rev_b" ]; then
	git worktree add -q "$tree/b" "$rev_b"
	(cd "$tree/b" && go build -o "$work/flaxfile-b" ./cmd/flaxfile)
else
	go build -o "$work/flaxfile-b" ./cmd/flaxfile
fi
for i in $(seq "$files"); do
	d="$work/src/d$((i % 50))"
	mkdir -p "$d"
	head -c 4096 /dev/urandom >"$d/f$i"
done
. bench/warm.sh
warm() { warm_memory "$work" 256; }
start_server() { # NAME -> prints its address
	mkdir -p "$work/store-$1"
	"$work/flaxfile-$1" serve --host 127.0.0.1 --port 0 --storage-dir "$work/store-$1" --no-fsync >/dev/null \
		2>"$work/log-$1" &
	for _ in $(seq 200); do
		addr=$(grep -o 'msg=listening addr=[^ ]*' "$work/log-$1" | head -1 | cut -d= -f3)
		[ -n "$addr" ] && { echo "$addr"; return; }
		sleep 0.05
	done
	echo "server $1 did not start" >&2
	exit 1
}
addr_a=$(start_server a)
addr_b=$(start_server b)
now() { date +%s.%N; }
timed() { local t0; t0=$(now); "$@" >/dev/null || { echo "failed: $*" >&2; kill $$; }; echo "$(now) - $t0" | bc; }
declare -A push pull
for r in $(seq "$rounds"); do
	order="a b"
	[ $((r % 2)) = 0 ] && order="b a"
	for v in $order; do
		addr=addr_$v
		ff() { env FLAXFILE_PASSWORD= XDG_CACHE_HOME="$work/cache" "$work/flaxfile-$v" --server "${!addr}" --quiet "$@"; }
		warm
		push[$v]+="$(timed ff push "$work/src" "t$r") "
		warm
		pull[$v]+="$(timed ff pull "t$r" "$work/back-$v-$r") "
		rm -rf "$work/back-$v-$r"
	done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for op in push pull; do
	declare -n runs=$op
	ma=$(echo "${runs[a]}" | median)
	mb=$(echo "${runs[b]}" | median)
	echo "$op  A $rev_a: ${ma}s (runs: ${runs[a]})  B ${rev_b:-work tree}: ${mb}s (runs: ${runs[b]})  B/A $(echo "scale=2; $mb / $ma" | bc)"
done
