#!/usr/bin/env bash
# Bandwidth limits (issue 19): a LIMITED_MIB file (200 by default) set and
# got with --bwlimit RATE (20M by default) should take LIMITED_MIB / RATE
# seconds (10 s), and an unlimited FREE_MIB transfer (1024) on the same
# server at the same time should take as long as it takes alone. On
# loopback, files and server on tmpfs; ROUNDS (default 3) interleaved
# rounds, memory warmed before each run, medians.
#
#   bench/bwlimit.sh      (ROUNDS, RATE, LIMITED_MIB, FREE_MIB)
set -euo pipefail
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
rate=${RATE:-20M}
lim_mib=${LIMITED_MIB:-200}
free_mib=${FREE_MIB:-1024}
work=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")")
cleanup() {
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/flaxfile" ./cmd/flaxfile
head -c $((lim_mib << 20)) /dev/urandom >"$work/lim"
head -c $((free_mib << 20)) /dev/urandom >"$work/free"
. bench/warm.sh
warm() { warm_memory "$work" $((lim_mib + free_mib * 2 + 64)); }
now() { date +%s.%N; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%s", a[int((NR+1)/2)]}'; }
ff() { FLAXFILE_PASSWORD= "$work/flaxfile" --server "$addr" --quiet "$@"; }

FLAXFILE_PASSWORD= "$work/flaxfile" serve --host 127.0.0.1 --port 0 --storage-dir "$work/store" --no-fsync --log-level info 2>"$work/serve.log" &
until grep -q 'msg=listening' "$work/serve.log" 2>/dev/null; do sleep 0.01; done
addr=$(grep -o 'addr=[0-9.:]*' "$work/serve.log" | head -1 | cut -d= -f2)
ff set "$work/free" free
ff set "$work/lim" lim

declare -A t
for r in $(seq "$rounds"); do
	for job in free-set lim-set both-set free-get lim-get both-get; do
		rm -f "$work"/out*
		warm
		case $job in
		free-set)
			t0=$(now); ff set "$work/free" free; t[$job]+="$(echo "$(now) - $t0" | bc) " ;;
		lim-set)
			t0=$(now); ff set --bwlimit "$rate" "$work/lim" lim; t[$job]+="$(echo "$(now) - $t0" | bc) " ;;
		both-set)
			ff set --bwlimit "$rate" "$work/lim" lim &
			lpid=$!
			t0=$(now); ff set "$work/free" free; t[$job]+="$(echo "$(now) - $t0" | bc) "
			wait $lpid ;;
		free-get)
			t0=$(now); ff get free "$work/outf"; t[$job]+="$(echo "$(now) - $t0" | bc) " ;;
		lim-get)
			t0=$(now); ff get --bwlimit "$rate" lim "$work/outl"; t[$job]+="$(echo "$(now) - $t0" | bc) " ;;
		both-get)
			ff get --bwlimit "$rate" lim "$work/outl" &
			lpid=$!
			t0=$(now); ff get free "$work/outf"; t[$job]+="$(echo "$(now) - $t0" | bc) "
			wait $lpid ;;
		esac
	done
	cmp -s "$work/free" "$work/outf" && cmp -s "$work/lim" "$work/outl" || { echo "wrong file" >&2; exit 1; }
done
bytes=$((lim_mib << 20))
want=$(echo "$lim_mib / $(echo "$rate" | sed 's/[Mm]$//')" | bc -l)
echo "$lim_mib MiB at --bwlimit $rate (want $(printf %.1f "$want") s), and $free_mib MiB unlimited, on one server; $rounds rounds, medians; $(nproc) cores"
for d in set get; do
	lim=$(echo "${t[lim-$d]}" | median); free=$(echo "${t[free-$d]}" | median); both=$(echo "${t[both-$d]}" | median)
	printf '%s: limited %6.2f s (%.2f of the wanted time)   unlimited alone %5.2f s, beside the limited one %5.2f s: %.2f\n' \
		"$d" "$lim" "$(echo "$lim / $want" | bc -l)" "$free" "$both" "$(echo "$free / $both" | bc -l)"
done
