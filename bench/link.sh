#!/usr/bin/env bash
# Long-link benchmark (issue 4): set and get of one random file (1 GiB by
# default) through bench/linkproxy, which delays each direction by 25 ms
# and lets each TCP connection hold at most 4 MiB in flight (a 50 ms round
# trip with a 4 MiB window), against 16 parallel raw TCP copies of the same
# file through the same proxy (bench/rawcopy, sendfile -> splice), in the
# same run, interleaved. It also reports the server's peak memory.
#
#   bench/link.sh [SIZE_MIB]        (default 1024)
#
# PROTOCOL=1.2 or 2 (default 2); PASSWORD=... encrypts.
# Target (FlaxFile 2): set and get >= 0.80 of the 16 raw copies; peak
# server memory <= 128 MiB.
set -euo pipefail
# Static, as released (README): a cgo build links libc and starts slower.
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
proto=${PROTOCOL:-2}
export FLAXFILE_PASSWORD=${PASSWORD:-}
work=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/flaxfile" ./cmd/flaxfile
go build -o "$work/rawcopy" ./bench/rawcopy
go build -o "$work/linkproxy" ./bench/linkproxy
head -c $((size_mib << 20)) /dev/urandom >"$work/src.bin"
bytes=$((size_mib << 20))
. bench/warm.sh
warm() { warm_memory "$work" $((size_mib * 5 / 4 + 64)); }
now() { date +%s.%N; }
rate() { echo "$1 $2 $3" | awk '{ printf "%.0f", $1 / ($3 - $2) / 1e6 }'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
wait_line() { until [ -s "$1" ]; do sleep 0.01; done; head -1 "$1"; }

# start_proxy TARGET -> sets proxy_pid and proxy_addr.
start_proxy() {
	rm -f "$work/proxy.addr"
	"$work/linkproxy" -target "$1" -delay 25ms -window $((4 << 20)) >"$work/proxy.addr" 2>>"$work/proxy.log" &
	proxy_pid=$!
	pids+=($proxy_pid)
	proxy_addr=$(wait_line "$work/proxy.addr")
}

raw16() { # -> sets raw_rate
	rm -f "$work/raw.out" "$work/raw.addr"
	"$work/rawcopy" recv "$work/raw.out" 16 >"$work/raw.addr" &
	local rpid=$! t0 t1
	start_proxy "$(wait_line "$work/raw.addr")"
	warm
	t0=$(now)
	"$work/rawcopy" send "$work/src.bin" "$proxy_addr" 16
	wait $rpid
	t1=$(now)
	kill "$proxy_pid"
	cmp -s "$work/src.bin" "$work/raw.out" || { echo "raw copy differs" >&2; exit 1; }
	rm -f "$work/raw.out"
	raw_rate=$(rate $bytes "$t0" "$t1")
}

rm -rf "$work/store"
"$work/flaxfile" serve --host 127.0.0.1 --port 0 --storage-dir "$work/store" --no-fsync 2>"$work/server.log" &
spid=$!
pids+=($spid)
until grep -q 'msg=listening' "$work/server.log" 2>/dev/null; do sleep 0.01; done
saddr=$(grep -o 'addr=[0-9.:]*' "$work/server.log" | head -1 | cut -d= -f2)
start_proxy "$saddr"
paddr=$proxy_addr

measure() {
	local t0 t1
	echo 5 >"/proc/$spid/clear_refs"
	warm
	t0=$(now)
	"$work/flaxfile" --server "$paddr" --protocol "$proto" --quiet set "$work/src.bin" big.bin
	t1=$(now)
	set_rate=$(rate $bytes "$t0" "$t1")
	hwm=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$spid/status")
	cmp -s "$work/src.bin" "$work/store/big.bin" || { echo "stored file differs" >&2; exit 1; }
	warm
	t0=$(now)
	"$work/flaxfile" --server "$paddr" --protocol "$proto" --quiet get big.bin "$work/get.out"
	t1=$(now)
	get_rate=$(rate $bytes "$t0" "$t1")
	cmp -s "$work/src.bin" "$work/get.out" || { echo "downloaded file differs" >&2; exit 1; }
	rm -f "$work/get.out"
}

rounds=${ROUNDS:-3}
raw16 # warm-up
measure
raws="" sets="" gets="" peak=0 set_r="" get_r=""
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
for _ in $(seq "$rounds"); do
	raw16
	raws="$raws $raw_rate"
	measure
	sets="$sets $set_rate" gets="$gets $get_rate" peak=$((hwm > peak ? hwm : peak))
	# Each round over its own baseline: drift between rounds cancels.
	set_r="$set_r $(ratio "$set_rate" "$raw_rate")" get_r="$get_r $(ratio "$get_rate" "$raw_rate")"
done
r=$(echo "$raws" | median) s=$(echo "$sets" | median) g=$(echo "$gets" | median)
echo "protocol $proto$([ -n "$FLAXFILE_PASSWORD" ] && echo ", encrypted"); $size_mib MiB through a 25 ms each way, 4 MiB-window proxy; $rounds rounds, medians; $(nproc) cores"
echo "16 raw copies:$raws MB/s;  set:$sets;  get:$gets  (over that round's raw copies:$set_r |$get_r)"
awk -v r="$r" -v s="$s" -v g="$g" -v m="$peak" -v sr="$(echo "$set_r" | median)" -v gr="$(echo "$get_r" | median)" 'BEGIN {
	printf "set %d MB/s = %.2f of 16 raw copies (%d MB/s); get %d MB/s = %.2f (target >= 0.80; medians of each round'"'"'s ratio)\n", s, sr, r, g, gr
	printf "peak server memory during a set: %d MiB (target <= 128)\n", m
}'
