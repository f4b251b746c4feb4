#!/usr/bin/env bash
# Size sweep: set and get through the CLI (process start included) of
# files of 1, 16, 64, 256 and 1024 MiB on tmpfs, against a raw TCP copy of
# the same file (sendfile -> splice, its two processes started the same
# way), rounds interleaved, memory warmed before every run, medians.
# Prints a table and writes bench/out/sizes.dat for bench/plot.sh.
#
#   bench/sizes.sh [SIZES_MIB...]   (default 1 16 64 256 1024)
#
# ROUNDS (default 3); PASSWORD=… measures the encrypted path (the raw copy
# stays plaintext: the ratio is then to the plaintext limit).
set -euo pipefail
# Static, as released (README): a cgo build links libc and starts slower.
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
sizes=("${@:-1 16 64 256 1024}")
read -r -a sizes <<<"${sizes[*]}"
rounds=${ROUNDS:-3}
work=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")")
cleanup() {
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/flaxfile" ./cmd/flaxfile
go build -o "$work/rawcopy" ./bench/rawcopy
. bench/warm.sh
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
mkdir -p "$work/store"
FLAXFILE_PASSWORD=${PASSWORD:-} "$work/flaxfile" serve --host 127.0.0.1 --port 0 --storage-dir "$work/store" --no-fsync -q --log-level info 2>"$work/serve.log" &
until grep -q 'msg=listening' "$work/serve.log" 2>/dev/null; do sleep 0.01; done
addr=$(grep -o 'addr=[0-9.:]*' "$work/serve.log" | head -1 | cut -d= -f2)
ff() { FLAXFILE_PASSWORD=${PASSWORD:-} "$work/flaxfile" --server "$addr" --quiet "$@"; }
raw() {
	rm -f "$work/raw.out"
	local t0 addr rpid
	t0=$(now)
	# The receiver prints its address when it listens: read it as it comes
	# (no polling, which would add its own sleeps to the raw copy's time).
	exec 3< <(exec "$work/rawcopy" recv "$work/raw.out")
	rpid=$!
	read -r -u 3 addr
	"$work/rawcopy" send "$1" "$addr"
	wait $rpid
	exec 3<&-
	since "$t0"
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%.4f", a[int((NR+1)/2)]}'; }
mkdir -p bench/out
out=bench/out/sizes.dat
echo "# MiB raw_s set_s get_s raw_MBps set_MBps get_MBps" >"$out"
printf '%8s %9s %9s %9s %8s %8s\n' MiB raw_s set_s get_s set/raw get/raw
for mib in "${sizes[@]}"; do
	head -c $((mib << 20)) /dev/urandom >"$work/src.bin"
	declare -A t=()
	for r in $(seq "$rounds"); do
		warm_memory "$work" $((mib * 2 + 64)); t[raw]+="$(raw "$work/src.bin") "
		warm_memory "$work" $((mib * 2 + 64)); t0=$(now); ff set "$work/src.bin" f.bin; t[set]+="$(since "$t0") "
		rm -f "$work/out.bin"
		warm_memory "$work" $((mib * 2 + 64)); t0=$(now); ff get f.bin "$work/out.bin"; t[get]+="$(since "$t0") "
		cmp -s "$work/src.bin" "$work/out.bin"
		rm -f "$work/out.bin" "$work/raw.out"
	done
	r=$(echo "${t[raw]}" | median) s=$(echo "${t[set]}" | median) g=$(echo "${t[get]}" | median)
	printf '%8s %9s %9s %9s %8.2f %8.2f\n' "$mib" "$r" "$s" "$g" "$(echo "$r / $s" | bc -l)" "$(echo "$r / $g" | bc -l)"
	mb=$(echo "$mib * 1048576 / 1000000" | bc -l)
	echo "$mib $r $s $g $(echo "$mb / $r" | bc -l) $(echo "$mb / $s" | bc -l) $(echo "$mb / $g" | bc -l)" >>"$out"
	unset t
done
echo "wrote $out"
