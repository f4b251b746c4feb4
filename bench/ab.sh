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
cd "$(dirname "$0")/.."
rev_a=$1
rev_b=${2:-}
size_mib=${3:-1024}
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
head -c $((size_mib << 20)) /dev/urandom >"$work/src.bin"
. bench/warm.sh
warm() { warm_memory "$work" $((size_mib * 5 / 4 + 64)); }

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
timed() { local t0; t0=$(now); "$@" >/dev/null; echo "$(now) - $t0" | bc; }
mbps() { echo "scale=0; $size_mib * 1048576 / $1 / 1000000" | bc; }
declare -A set get
for r in $(seq "$rounds"); do
	# Each build goes first in every other round: the second run of a
	# round was measured to gain a few per cent from the first's warm-up.
	order="a b"
	[ $((r % 2)) = 0 ] && order="b a"
	for v in $order; do
		addr=addr_$v
		warm
		set[$v]+="$(mbps "$(timed env FLAXFILE_PASSWORD= "$work/flaxfile-$v" --server "${!addr}" --quiet set "$work/src.bin" big.bin)") "
		rm -f "$work/out.bin"
		warm
		get[$v]+="$(mbps "$(timed env FLAXFILE_PASSWORD= "$work/flaxfile-$v" --server "${!addr}" --quiet get big.bin "$work/out.bin")") "
		rm -f "$work/out.bin"
	done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for op in set get; do
	declare -n runs=$op
	ma=$(echo "${runs[a]}" | median)
	mb=$(echo "${runs[b]}" | median)
	echo "$op  A $rev_a: $ma MB/s (runs: ${runs[a]})  B ${rev_b:-work tree}: $mb MB/s (runs: ${runs[b]})  B/A $(echo "scale=2; $mb / $ma" | bc)"
done
