#!/usr/bin/env bash
# Disk benchmark: set and get of one random file (1 GiB by default) on
# loopback with files on a real disk, against, in the same run:
#   - raw: a raw TCP copy of the file into a file on the disk (sendfile ->
#     splice), no flush;
#   - durable: the same followed by fdatasync, the least time a durable
#     copy can take;
#   - rsync: rsync's daemon (rsync://), when rsync is installed;
#   - scp: scp to and from sshd on 127.0.0.1, when a passwordless key
#     login to root@127.0.0.1 works (SCP=1 to try).
# FlaxFile's server runs with its default fsync before publishing; its
# client's get flushes as it does by default (getnf: the same get with
# --no-fsync, the client leaving the file in the page cache as rsync and
# scp do). Rounds are interleaved,
# memory is warmed before every run, and each figure is the median of
# ROUNDS (default 3) rounds, in seconds; ratios are to the durable limit.
#
#   bench/disk.sh [DIR] [SIZE_MIB]   (DIR on the disk to measure, default:
#                                     a temporary directory beside the repo)
#
# FLAXFILE_BIN=path measures that flaxfile binary instead of a fresh build;
# BASELINE_BIN=path also measures another one in the same rounds (set0,
# get0), its server beside ours, for a before/after comparison; JOBS
# narrows the run to some of raw durable set get getnf set0 get0
# rsync_set rsync_get scp_set scp_get.
set -euo pipefail
# Static, as released (README): a cgo build links libc and starts slower.
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
disk=${1:-}
size_mib=${2:-1024}
rounds=${ROUNDS:-3}
if [ -z "$disk" ]; then
	disk=$(mktemp -d -p "$(cd .. && pwd)" flaxfile-disk-bench.XXXXXX)
else
	disk=$(mktemp -d -p "$disk" flaxfile-disk-bench.XXXXXX)
fi
shm=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")")
cleanup() {
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$disk" "$shm"
}
trap cleanup EXIT
if [ -n "${FLAXFILE_BIN:-}" ]; then # another build to compare
	cp "$FLAXFILE_BIN" "$shm/flaxfile"
else
	go build -o "$shm/flaxfile" ./cmd/flaxfile
fi
go build -o "$shm/rawcopy" ./bench/rawcopy
# The source lives on the disk too: both sides of every tool read and
# write the disk being measured.
head -c $((size_mib << 20)) /dev/urandom >"$disk/src.bin"
sync
. bench/warm.sh
warm() { warm_memory "$shm" $((size_mib * 5 / 4 + 64)); }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
drop() { rm -f "$disk"/out.raw "$disk"/out.get "$disk"/out.rsync "$disk"/out.scp2 "$disk"/store/big.bin "$disk"/store0/big.bin "$disk"/rsync/big.bin; sync; }

raw() { # $1: "sync" to flush the copy before the clock stops
	"$shm/rawcopy" recv "$disk/out.raw" >"$shm/raw.addr" &
	local rpid=$!
	while [ ! -s "$shm/raw.addr" ]; do sleep 0.01; done
	warm
	local t0
	t0=$(now)
	"$shm/rawcopy" send "$disk/src.bin" "$(cat "$shm/raw.addr")"
	wait $rpid
	[ "$1" = sync ] && dd if=/dev/null of="$disk/out.raw" oflag=append conv=notrunc,fdatasync status=none
	since "$t0"
	rm -f "$shm/raw.addr"
}

mkdir -p "$disk/store"
# Servers start from this shell (not a command substitution's subshell),
# so that the cleanup's kill reaches them.
serve() { # BINARY STORE LOG
	"$1" serve --host 127.0.0.1 --port 0 --storage-dir "$2" -q --log-level info 2>"$3" &
}
listening() { # LOG -> prints the address once the server listens
	until grep -q 'msg=listening' "$1" 2>/dev/null; do sleep 0.01; done
	grep -o 'addr=[0-9.:]*' "$1" | head -1 | cut -d= -f2
}
serve "$shm/flaxfile" "$disk/store" "$shm/serve.log"
addr=$(listening "$shm/serve.log")
ff() { FLAXFILE_PASSWORD= "$shm/flaxfile" --server "$addr" --quiet "$@"; }
if [ -n "${BASELINE_BIN:-}" ]; then
	cp "$BASELINE_BIN" "$shm/flaxfile0"
	mkdir -p "$disk/store0"
	serve "$shm/flaxfile0" "$disk/store0" "$shm/serve0.log"
	addr0=$(listening "$shm/serve0.log")
	ff0() { FLAXFILE_PASSWORD= "$shm/flaxfile0" --server "$addr0" --quiet "$@"; }
fi

have_rsync=""
if command -v rsync >/dev/null; then
	mkdir -p "$disk/rsync"
	port=$((20000 + RANDOM % 20000))
	printf 'use chroot = no\nuid = %s\ngid = %s\n[bench]\npath = %s\nread only = false\n' "$(id -u)" "$(id -g)" "$disk/rsync" >"$shm/rsyncd.conf"
	rsync --daemon --no-detach --address=127.0.0.1 --port="$port" --config="$shm/rsyncd.conf" &
	for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
	have_rsync=1
fi
have_scp=""
if [ -n "${SCP:-}" ] && ssh -o BatchMode=yes -o StrictHostKeyChecking=no root@127.0.0.1 true 2>/dev/null; then
	have_scp=1
fi

declare -A t
add() { t[$1]+="$2 "; }
# Each measurement is a job; every round runs them all in a shuffled
# order, so that no tool always follows the same one (this disk's speed
# depends on what it wrote just before: measured, a build in the slot after
# the durable copy ran 1.5x slower than the same build two slots later). A get first stores its file
# (untimed) when the store lacks it.
stored() { # FF-FUNCTION STORE-DIR
	[ -f "$2/big.bin" ] || "$1" set "$disk/src.bin" big.bin
	sync
}
job_raw() { drop; add raw "$(raw nosync)"; }
job_durable() { drop; add durable "$(raw sync)"; }
job_set() { drop; warm; t0=$(now); ff set "$disk/src.bin" big.bin; add set "$(since "$t0")"; cmp -s "$disk/src.bin" "$disk/store/big.bin"; }
job_get() { rm -f "$disk/out.get"; stored ff "$disk/store"; warm; t0=$(now); ff get big.bin "$disk/out.get"; add get "$(since "$t0")"; cmp -s "$disk/src.bin" "$disk/out.get"; }
job_getnf() { rm -f "$disk/out.get"; stored ff "$disk/store"; warm; t0=$(now); ff get --no-fsync big.bin "$disk/out.get"; add getnf "$(since "$t0")"; cmp -s "$disk/src.bin" "$disk/out.get"; }
job_set0() { drop; warm; t0=$(now); ff0 set "$disk/src.bin" big.bin; add set0 "$(since "$t0")"; cmp -s "$disk/src.bin" "$disk/store0/big.bin"; }
job_get0() { rm -f "$disk/out.get"; stored ff0 "$disk/store0"; warm; t0=$(now); ff0 get big.bin "$disk/out.get"; add get0 "$(since "$t0")"; cmp -s "$disk/src.bin" "$disk/out.get"; }
job_rsync_set() { drop; warm; t0=$(now); rsync "$disk/src.bin" "rsync://127.0.0.1:$port/bench/big.bin"; add rsync_set "$(since "$t0")"; }
job_rsync_get() {
	rm -f "$disk/out.rsync"
	[ -f "$disk/rsync/big.bin" ] || { rsync "$disk/src.bin" "rsync://127.0.0.1:$port/bench/big.bin"; sync; }
	warm; t0=$(now); rsync "rsync://127.0.0.1:$port/bench/big.bin" "$disk/out.rsync"; add rsync_get "$(since "$t0")"
}
job_scp_set() { drop; warm; t0=$(now); scp -q -o BatchMode=yes "$disk/src.bin" "root@127.0.0.1:$disk/out.scp"; add scp_set "$(since "$t0")"; }
job_scp_get() {
	rm -f "$disk/out.scp2"; [ -f "$disk/out.scp" ] || cp "$disk/src.bin" "$disk/out.scp"; sync
	warm; t0=$(now); scp -q -o BatchMode=yes "root@127.0.0.1:$disk/out.scp" "$disk/out.scp2"; add scp_get "$(since "$t0")"
}
jobs=(raw durable set get getnf)
[ -n "${BASELINE_BIN:-}" ] && jobs+=(set0 get0)
[ -n "$have_rsync" ] && jobs+=(rsync_set rsync_get)
[ -n "$have_scp" ] && jobs+=(scp_set scp_get)
if [ -n "${JOBS:-}" ]; then # e.g. JOBS="set get set0 get0" for an A/B alone
	read -r -a jobs <<<"$JOBS"
fi
for r in $(seq "$rounds"); do
	# A fresh order each round (SEED fixes it for a rerun): rotating one
	# order kept each job behind the same neighbour every round.
	for j in $(printf '%s\n' "${jobs[@]}" | awk -v s="${SEED:-1}$r" 'BEGIN {srand(s)} {print rand() "\t" $0}' | sort -n | cut -f2); do
		"job_$j"
	done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'; }
fs=$(df -T "$disk" | awk 'NR==2 {print $2}')
echo "$size_mib MiB on $fs ($disk), $rounds rounds, medians in seconds:"
d=$(echo "${t[durable]:-0}" | median)
for k in raw durable set get getnf set0 get0 rsync_set rsync_get scp_set scp_get; do
	[ -n "${t[$k]:-}" ] || continue
	m=$(echo "${t[$k]}" | median)
	printf '  %-10s %6ss  (runs: %s) durable/this %s\n' "$k" "$m" "${t[$k]}" "$(echo "scale=2; $d / $m" | bc)"
done
