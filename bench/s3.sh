#!/usr/bin/env bash
# FlaxFile servers in front of an object store (issue 18): set and get of
# a SIZE_MIB random file (1024 by default) through N flaxfile servers on
# one bucket of a SeaweedFS started here (.ci/seaweedfs, on 127.0.0.1),
# N clients at once each through its own server, against the same files
# written and read straight to and from the store with its client
# library (bench/s3direct, minio-go) by N processes at once, in the same
# rounds. For each N of SERVERS (default "1 2 3"): medians of ROUNDS
# (default 3) interleaved rounds, memory warmed before each run, the
# ratio direct/ours (1 = as fast as the store's own client), and each
# server's peak memory (VmHWM). Before each timed job the disk is flushed
# (sync) and memory warmed. With SPREAD=1, one client at a time
# names all N servers (--server A,B,C) and spreads its transfer over them,
# against one direct process.
#
#   bench/s3.sh [SIZE_MIB]   (ROUNDS, SERVERS, SPREAD; FLAXFILE_S3_PORT
#                             for the store's port, default 8333)
#
# BASELINE_BIN=path also runs N servers of another build on their own
# prefix and measures its set and get (set0, get0) in the same rounds;
# JOBS narrows the rounds to some of dput set dget get set0 get0 rget
# (rget: the direct get through a bare relay per client, bench/relay,
# which passes octets on with splice and does nothing else: what one more
# hop costs on this machine, apart from FlaxFile). The
# files the gets read are stored first, untimed. Each job's runs are
# printed with the CPU-seconds the whole machine spent busy during each
# (store, servers, clients and kernel; on this 2-core VM a job whose
# CPU-seconds come near twice its time is bound by the cores), and those
# SeaweedFS spent.
#
# Beside each ratio of medians, the median of the ratios paired by round
# (the direct job's time over ours in the same round).
#
# The store keeps its data under a temporary folder beside the repo (the
# real disk); the files sent live on tmpfs.
set -euo pipefail
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
rounds=${ROUNDS:-3}
servers=${SERVERS:-1 2 3}
spread=${SPREAD:-0}
work=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")")
store=$(mktemp -d -p "$(cd .. && pwd)" flaxfile-s3-bench.XXXXXX)
cleanup() {
	kill $(jobs -p) 2>/dev/null || true
	[ -f "$store/pid" ] && kill "$(cat "$store/pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work" "$store"
}
trap cleanup EXIT
go build -o "$work/flaxfile" ./cmd/flaxfile
go build -o "$work/s3direct" ./bench/s3direct
go build -o "$work/relay" ./bench/relay
eval "$(.ci/seaweedfs "$store")"
ep=$FLAXFILE_TEST_S3
bucket=$FLAXFILE_TEST_S3_BUCKET
. bench/warm.sh
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
# busy: CPU-seconds the whole machine has spent busy so far (/proc/stat:
# user, nice, system, irq, softirq, steal), the store's and the kernel's
# work included.
hz=$(getconf CLK_TCK)
busy() { awk -v hz="$hz" '/^cpu / {printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz}' /proc/stat; }
# storecpu: CPU-seconds SeaweedFS has spent so far (user and system).
storecpu() { awk -v hz="$hz" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$(cat "$store/pid")/stat"; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%s", a[int((NR+1)/2)]}'; }
max_n=0
for n in $servers; do [ "$n" -gt "$max_n" ] && max_n=$n; done
for i in $(seq "$max_n"); do head -c $((size_mib << 20)) /dev/urandom >"$work/src$i"; done
warm() { warm_memory "$work" $((size_mib * (n + 1) + 64)); }
# par F: runs F 1 … F clients at once; fails if any does.
par() {
	local pids=() i
	for i in $(seq "$clients"); do
		"$1" "$i" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
}
dput() { "$work/s3direct" -endpoint "$ep" -bucket "$bucket" put "$work/src$1" "direct/f$1"; }
dget() { "$work/s3direct" -endpoint "$ep" -bucket "$bucket" get "direct/f$1" "$work/outd$1"; }
rget() { "$work/s3direct" -endpoint "http://${raddrs[$(($1 - 1))]}" -bucket "$bucket" get "direct/f$1" "$work/outr$1"; }
# where: client i's server, or with SPREAD=1 all of them.
where() { if [ "$spread" = 1 ]; then (IFS=,; echo "${addrs[*]}"); else echo "${addrs[$(($1 - 1))]}"; fi; }
fset() { ff --server "$(where "$1")" --quiet set "$work/src$1" "f$1"; }
fget() { ff --server "$(where "$1")" --quiet get "f$1" "$work/outf$1"; }
ff() { FLAXFILE_PASSWORD= "$work/flaxfile" "$@"; }
where0() { if [ "$spread" = 1 ]; then (IFS=,; echo "${addrs0[*]}"); else echo "${addrs0[$(($1 - 1))]}"; fi; }
fset0() { ff0 --server "$(where0 "$1")" --quiet set "$work/src$1" "f$1"; }
fget0() { ff0 --server "$(where0 "$1")" --quiet get "f$1" "$work/outf$1"; }
ff0() { FLAXFILE_PASSWORD= "$work/flaxfile0" "$@"; }
jobs=(dput set dget get)
[ -n "${BASELINE_BIN:-}" ] && { cp "$BASELINE_BIN" "$work/flaxfile0"; jobs+=(set0 get0); }
[ -n "${JOBS:-}" ] && read -r -a jobs <<<"$JOBS"
# start_servers BINARY PREFIX: N servers on the bucket's PREFIX, their
# addresses in $started.
start_servers() {
	started=()
	local i log
	for i in $(seq "$n"); do
		log=$work/serve$2$i.log
		"$1" serve --host 127.0.0.1 --port 0 --storage "s3://$bucket/$2?endpoint=$ep" -q --log-level info 2>"$log" &
		spids+=($!)
		until grep -q 'msg=listening' "$log" 2>/dev/null; do sleep 0.01; done
		started+=("$(grep -o 'addr=[0-9.:]*' "$log" | head -1 | cut -d= -f2)")
	done
}

declare -A t c w
echo "$size_mib MiB per client; SeaweedFS at $ep; $rounds rounds, medians; $(nproc) cores"
for n in $servers; do
	clients=$n
	[ "$spread" = 1 ] && clients=1
	spids=()
	start_servers "$work/flaxfile" bench
	addrs=("${started[@]}")
	nours=${#spids[@]}
	raddrs=()
	if [[ " ${jobs[*]} " == *" rget "* ]]; then
		for i in $(seq "$clients"); do
			"$work/relay" -target "${ep#http://}" >"$work/relay$i.addr" &
			spids+=($!)
			until [ -s "$work/relay$i.addr" ]; do sleep 0.01; done
			raddrs+=("$(head -1 "$work/relay$i.addr")")
		done
	fi
	if [ -n "${BASELINE_BIN:-}" ]; then
		start_servers "$work/flaxfile0" bench0
		addrs0=("${started[@]}")
	fi
	# What the gets read, stored first (untimed): the shuffled order may
	# put a get before its set.
	par dput
	par fset
	[ -n "${BASELINE_BIN:-}" ] && par fset0
	for r in $(seq "$rounds"); do
		# A fresh order each round (SEED fixes it for a rerun), so that
		# no job always follows the same one.
		for job in $(printf '%s\n' "${jobs[@]}" | awk -v s="${SEED:-1}$n$r" 'BEGIN {srand(s)} {print rand() "\t" $0}' | sort -n | cut -f2); do
			rm -f "$work"/out*
			# What the last job wrote is flushed first: SeaweedFS's
			# writeback of a 1 GiB set otherwise falls on whatever
			# job comes next (measured: three gets through servers
			# right after a set 5.2-5.7 s, later 3.9 s).
			sync
			warm
			t0=$(now)
			c0=$(busy)
			w0=$(storecpu)
			case $job in
			dput) par dput ;;
			set) par fset ;;
			dget) par dget ;;
			rget) par rget ;;
			get) par fget ;;
			set0) par fset0 ;;
			get0) par fget0 ;;
			esac
			t[$n.$job]+="$(since "$t0") "
			c[$n.$job]+="$(echo "$(busy) - $c0" | bc) "
			w[$n.$job]+="$(echo "$(storecpu) - $w0" | bc) "
			# What a get wrote is checked (direct gets, minio-go's own, are not).
			case $job in get | get0) out=outf ;; rget) out=outr ;; *) out= ;; esac
			if [ -n "$out" ]; then
				for i in $(seq "$clients"); do cmp -s "$work/src$i" "$work/$out$i" || { echo "$job $i: wrong file" >&2; exit 1; }; done
			fi
		done
	done
	hwm=""
	for p in "${spids[@]:0:$nours}"; do hwm+="$(awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$p/status") "; done
	kill "${spids[@]}"
	wait "${spids[@]}" 2>/dev/null || true
	m() { [ -n "${t[$n.$1]:-}" ] && echo "${t[$n.$1]}" | median || echo 0; }
	ratio() { [ "$2" != 0 ] && echo "$1 / $2" | bc -l || echo 0; }
	dput=$(m dput); set_=$(m set); dget=$(m dget); get=$(m get)
	[ "$spread" = 1 ] && printf 'one client spread over '
	printf '%d server(s): set %6.2f s, direct put %6.2f s: %.2f   get %6.2f s, direct get %6.2f s: %.2f   server peak MiB: %s\n' \
		"$n" "$set_" "$dput" "$(ratio "$dput" "$set_")" "$get" "$dget" "$(ratio "$dget" "$get")" "$hwm"
	# paired BASE JOB: the median over rounds of BASE's time over JOB's
	# in the same round, which a slow phase of the VM lasting a round
	# moves less than it moves a ratio of medians.
	paired() {
		[ -n "${t[$n.$1]:-}" ] && [ -n "${t[$n.$2]:-}" ] || { echo 0; return; }
		paste <(echo "${t[$n.$1]}" | tr ' ' '\n' | grep .) <(echo "${t[$n.$2]}" | tr ' ' '\n' | grep .) |
			awk '{printf "%.4f ", $1 / $2}' | median
	}
	printf '   paired by round: set %.2f   get %.2f\n' "$(paired dput set)" "$(paired dget get)"
	if [ -n "${t[$n.rget]:-}" ]; then
		rget=$(m rget)
		printf '   direct get through a bare relay %6.2f s: %.2f, paired by round %.2f\n' "$rget" "$(ratio "$dget" "$rget")" "$(paired dget rget)"
	fi
	if [ -n "${BASELINE_BIN:-}" ]; then
		set0=$(m set0); get0=$(m get0)
		printf '   baseline: set %6.2f s: %.2f   get %6.2f s: %.2f\n' "$set0" "$(ratio "$dput" "$set0")" "$get0" "$(ratio "$dget" "$get0")"
	fi
	for job in "${jobs[@]}"; do
		printf '   %-5s runs: %s\n' "$job" "${t[$n.$job]}"
		printf '   %-5s CPU-s: %s(median %s)\n' "$job" "${c[$n.$job]}" "$(echo "${c[$n.$job]}" | median)"
		printf '   %-5s store CPU-s: %s(median %s)\n' "$job" "${w[$n.$job]}" "$(echo "${w[$n.$job]}" | median)"
	done
done
