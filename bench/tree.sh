#!/usr/bin/env bash
# Directory sync benchmark (issue 5), on loopback and tmpfs, in one run:
#   - small: N files of 4 KiB (default 10000) pushed to an empty server and
#     pulled back, against a local `cp -r` (the floor: creating the files)
#     and rsync in daemon mode on loopback; then a no-change re-push
#     against rsync's no-change run;
#   - big: 1000 x 1 MiB + 10 x 100 MiB pushed and pulled, against rsync;
#   - the peak memory (VmHWM) of client and server for the small tree,
#     for N and 10 x N files.
#
#   bench/tree.sh [N]        (BENCH_DIR=DIR: on that disk, not tmpfs)
#
# Targets: push and pull of the small tree within 3x of cp -r; no-change
# re-push no slower than rsync's; the big tree faster than rsync both ways;
# memory flat from N to 10 x N.
set -euo pipefail
# Static, as released (README): a cgo build links libc and starts slower.
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
n=${1:-10000}
command -v rsync >/dev/null || { echo "bench/tree.sh needs rsync (apt-get install rsync)" >&2; exit 1; }
# BENCH_DIR puts the trees, the server's store and rsync's on that disk
# instead of tmpfs (e.g. BENCH_DIR=.. for the disk the repo is on).
work=$(mktemp -d -p "${BENCH_DIR:-$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/flaxfile" ./cmd/flaxfile
export XDG_CACHE_HOME=$work/cache FLAXFILE_PASSWORD=
now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.3f", $2 - $1 }'; }

# make_tree DIR COUNT SIZE: COUNT files of SIZE octets in 100 directories.
make_tree() { python3 bench/make_tree.py "$@"; }

start_server() { # -> server_pid server_addr, over a fresh store
	rm -rf "$work/store" "$work/server.log"
	"$work/flaxfile" serve --host 127.0.0.1 --port 0 --storage-dir "$work/store" 2>"$work/server.log" &
	server_pid=$!
	pids+=($server_pid)
	until grep -q 'msg=listening' "$work/server.log" 2>/dev/null; do sleep 0.01; done
	server_addr=$(grep -o 'addr=[0-9.:]*' "$work/server.log" | head -1 | cut -d= -f2)
}

# rsync daemon on loopback over a module in $work/rsyncd.
mkdir -p "$work/rsyncd"
cat >"$work/rsyncd.conf" <<CONF
pid file = $work/rsyncd.pid
use chroot = no
uid = $(id -u)
gid = $(id -g)
[m]
path = $work/rsyncd
read only = no
CONF
rsync_port=$((20000 + RANDOM % 20000))
rsync --daemon --no-detach --address=127.0.0.1 --port=$rsync_port --config="$work/rsyncd.conf" &
pids+=($!)
until (exec 3<>/dev/tcp/127.0.0.1/$rsync_port) 2>/dev/null; do sleep 0.01; done
rs="rsync://127.0.0.1:$rsync_port/m"

# time_of CMD...: seconds.
time_of() { local t0 t1; t0=$(now); "$@" >/dev/null; t1=$(now); secs "$t0" "$t1"; }

run_small() {
	local src=$work/small dst
	rm -rf "$src"; make_tree "$src" "$n" 4096
	sync
	cp_t=$(time_of cp -r "$src" "$work/cp-copy"); rm -rf "$work/cp-copy"
	rm -rf "$work/rsyncd/small"
	rs_push=$(time_of rsync -a "$src/" "$rs/small/")
	rs_nochange=$(time_of rsync -a "$src/" "$rs/small/")
	rm -rf "$work/rs-pull"
	rs_pull=$(time_of rsync -a "$rs/small/" "$work/rs-pull/")
	start_server
	echo 5 >"/proc/$server_pid/clear_refs"
	ff_push=$(time_of /usr/bin/time -f "%M" -o "$work/push.rss" "$work/flaxfile" --server "$server_addr" -q push "$src" small)
	ff_nochange=$(time_of "$work/flaxfile" --server "$server_addr" -q push "$src" small)
	rm -rf "$work/ff-pull"
	ff_pull=$(time_of /usr/bin/time -f "%M" -o "$work/pull.rss" "$work/flaxfile" --server "$server_addr" -q pull small "$work/ff-pull")
	server_mib=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$server_pid/status")
	client_mib=$(awk '{ m = ($1 > m ? $1 : m) } END { printf "%.0f", m / 1024 }' "$work/push.rss" "$work/pull.rss")
	diff -r "$src" "$work/ff-pull" >/dev/null || { echo "pulled tree differs" >&2; exit 1; }
	kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
	rm -rf "$work/rs-pull" "$work/ff-pull" "$work/rsyncd/small"
}

run_small
echo "small tree: $n files of 4 KiB; $(nproc) cores; times in seconds"
echo "  cp -r $cp_t | rsync push $rs_push, pull $rs_pull, no-change $rs_nochange"
echo "  flaxfile push $ff_push ($(awk -v a="$ff_push" -v b="$cp_t" 'BEGIN { printf "%.1f", a / b }')x cp), pull $ff_pull ($(awk -v a="$ff_pull" -v b="$cp_t" 'BEGIN { printf "%.1f", a / b }')x cp), no-change $ff_nochange ($(awk -v a="$ff_nochange" -v b="$rs_nochange" 'BEGIN { printf "%.2f", a / b }')x rsync)"
echo "  peak memory: client $client_mib MiB, server $server_mib MiB"
small_client=$client_mib small_server=$server_mib
if [ "${BIG:-1}" = 1 ]; then
	src=$work/big
	rm -rf "$src"; make_tree "$src" 1000 $((1 << 20))
	mkdir -p "$src/large"
	for i in $(seq 10); do head -c $((100 << 20)) /dev/urandom >"$src/large/l$i"; done
	rm -rf "$work/rsyncd/big"
	rs_push=$(time_of rsync -a "$src/" "$rs/big/")
	rs_pull=$(time_of rsync -a "$rs/big/" "$work/rs-pull/")
	rm -rf "$work/rs-pull" "$work/rsyncd/big"
	start_server
	ff_push=$(time_of "$work/flaxfile" --server "$server_addr" -q push "$src" big)
	ff_pull=$(time_of "$work/flaxfile" --server "$server_addr" -q pull big "$work/ff-pull")
	diff -r "$src" "$work/ff-pull" >/dev/null || { echo "pulled big tree differs" >&2; exit 1; }
	kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
	rm -rf "$src" "$work/ff-pull"
	echo "big tree: 1000 x 1 MiB + 10 x 100 MiB"
	echo "  rsync push $rs_push, pull $rs_pull | flaxfile push $ff_push, pull $ff_pull"
fi
if [ "${SCALE:-1}" = 1 ]; then
	n=$((n * 10))
	run_small
	echo "memory at $n files: client $client_mib MiB (was $small_client), server $server_mib MiB (was $small_server)"
	echo "  (times at $n files: push $ff_push, pull $ff_pull, no-change $ff_nochange; cp -r $cp_t; rsync no-change $rs_nochange)"
fi
