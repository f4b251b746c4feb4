#!/usr/bin/env bash
# Trees of small files against rsync in daemon mode, in the same run: a push
# of a new tree, the same push again (nothing changed: "nochange"), and a
# pull of it into an empty directory, by each tool in
# turn (who goes first alternates round by round), memory warmed before
# every run, medians of the rounds and our time over rsync's. The server
# keeps its default (it flushes before it publishes); rsync flushes nothing.
#
#   bench/treevs.sh [FILES] [SIZE]   (default 5000 files of 4096 octets)
#
# BENCH_DIR: the disk to run on (default: the one the repository is on,
# not tmpfs); ROUNDS (default 5); FLAXFILE_BIN: a build to measure instead
# of the work tree's; BASELINE_BIN: a second build measured in the same
# rounds; DIRS: the directories the files are spread over (100).
#
# Nothing is deleted until the end: ext4 makes a file created soon after
# many were deleted wait (its inode allocator skips recently freed inodes),
# which would fall on whichever run came after a cleanup. Run it where the
# space for ROUNDS x 3 copies of the tree is free. Run as root, each
# timed run also starts from a clean cache (dirty pages written, the
# cache dropped, the source tree read back in): the inode allocator's
# check looks each candidate up in the cache, and a cache full of the
# earlier rounds' inode tables made the same push take 0.5 s or 2.5 s.
set -euo pipefail
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
files=${1:-5000}
size=${2:-4096}
rounds=${ROUNDS:-5}
command -v rsync >/dev/null || { echo "bench/treevs.sh needs rsync (apt-get install rsync)" >&2; exit 1; }
work=$(mktemp -d -p "${BENCH_DIR:-..}")
work=$(cd "$work" && pwd)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
if [ -n "${FLAXFILE_BIN:-}" ]; then cp "$FLAXFILE_BIN" "$work/ff-new"; else go build -o "$work/ff-new" ./cmd/flaxfile; fi
tools="rsync new"
if [ -n "${BASELINE_BIN:-}" ]; then cp "$BASELINE_BIN" "$work/ff-old"; tools="rsync new old"; fi
export XDG_CACHE_HOME=$work/cache FLAXFILE_PASSWORD=
. bench/warm.sh
now() { date +%s.%N; }
timed() { local t0 t1; t0=$(now); "$@" >/dev/null; t1=$(now); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

python3 bench/make_tree.py "$work/src" "$files" "$size" "${DIRS:-100}"
sync
# settle: before each timed run, the cache as described above, then
# memory warmed.
settle() {
	sync
	if [ -w /proc/sys/vm/drop_caches ]; then
		echo 1 >/proc/sys/vm/drop_caches
		find "$work/src" -type f -exec cat {} + >/dev/null
	fi
	warm_memory "$work" 256
}

mkdir -p "$work/rsyncd"
printf 'pid file = %s\nuse chroot = no\nuid = %s\ngid = %s\n[m]\npath = %s\nread only = no\n' \
	"$work/rsyncd.pid" "$(id -u)" "$(id -g)" "$work/rsyncd" >"$work/rsyncd.conf"
rsync_port=$((20000 + RANDOM % 20000))
rsync --daemon --no-detach --address=127.0.0.1 --port=$rsync_port --config="$work/rsyncd.conf" &
pids+=($!)
until (exec 3<>/dev/tcp/127.0.0.1/$rsync_port) 2>/dev/null; do sleep 0.01; done

declare -A addr push nochange pull
for v in ${tools#rsync }; do
	"$work/ff-$v" serve --host 127.0.0.1 --port 0 --storage-dir "$work/store-$v" 2>"$work/server-$v.log" &
	pids+=($!)
	until grep -q 'msg=listening' "$work/server-$v.log" 2>/dev/null; do sleep 0.01; done
	addr[$v]=$(grep -o 'addr=[0-9.:]*' "$work/server-$v.log" | head -1 | cut -d= -f2)
done

for r in $(seq "$rounds"); do
	set -- $tools
	order="$*"
	[ $((r % 2)) = 0 ] && order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' ')
	for v in $order; do
		settle
		if [ "$v" = rsync ]; then
			push[$v]+="$(timed rsync -a "$work/src/" "rsync://127.0.0.1:$rsync_port/m/t$r/") "
			settle
			nochange[$v]+="$(timed rsync -a "$work/src/" "rsync://127.0.0.1:$rsync_port/m/t$r/") "
			settle
			pull[$v]+="$(timed rsync -a "rsync://127.0.0.1:$rsync_port/m/t$r/" "$work/back-$v-$r/") "
		else
			push[$v]+="$(timed "$work/ff-$v" --server "${addr[$v]}" --quiet push "$work/src" "t$r") "
			settle
			nochange[$v]+="$(timed "$work/ff-$v" --server "${addr[$v]}" --quiet push "$work/src" "t$r") "
			settle
			pull[$v]+="$(timed "$work/ff-$v" --server "${addr[$v]}" --quiet pull "t$r" "$work/back-$v-$r") "
			diff -rq "$work/src" "$work/back-$v-$r" >/dev/null || { echo "$v: pulled tree differs" >&2; exit 1; }
		fi
	done
done
echo "$files files of $size octets on $(df --output=fstype "$work" | tail -1), $rounds rounds, medians (runs in order)"
for op in push nochange pull; do
	declare -n runs=$op
	base=$(echo "${runs[rsync]}" | median)
	for v in $tools; do
		m=$(echo "${runs[$v]}" | median)
		printf '  %s %-6s %6.3f s  %s of rsync  (%s)\n' "$op" "$v" "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.2f", a / b }')" "${runs[$v]}"
	done
done
