#!/usr/bin/env bash
# Re-push over a slow link (issue 17): a 256 MiB random file is on the
# server; 1 MiB in its middle is rewritten and 1 MiB appended; the new
# version is pushed again through bench/linkproxy standing for a link of
# RATE octets a second and RTT round trip (default 100 Mbit/s, 20 ms),
# against rsync's daemon through the same link in the same run. Each
# round first puts the old version back (directly, untimed). Also on
# loopback without the link: delta against whole-file, to show delta
# never costs there.
#
#   bench/wan.sh [SIZE_MIB]   (ROUNDS, default 3; RATE octets/s; RTT_MS)
#
# Also the other way: a get over the old local copy against rsync's. Prints
# seconds and the payload each tool reports moving (ours: --json's
# bytes_sent or bytes_received; rsync: --stats' "Total bytes sent" or
# "received"), medians.
set -euo pipefail
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
size_mib=${1:-256}
rounds=${ROUNDS:-3}
rate=${RATE:-12500000}
rtt_ms=${RTT_MS:-20}
command -v rsync >/dev/null || { echo "bench/wan.sh needs rsync (apt-get install rsync)" >&2; exit 1; }
work=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")")
proxies=()
cleanup() {
	kill $(jobs -p) "${proxies[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/flaxfile" ./cmd/flaxfile
go build -o "$work/linkproxy" ./bench/linkproxy
. bench/warm.sh
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%s", a[int((NR+1)/2)]}'; }

mib=$((1 << 20))
head -c $((size_mib * mib)) /dev/urandom >"$work/old.bin"
cp "$work/old.bin" "$work/new.bin"
head -c $mib /dev/urandom | dd of="$work/new.bin" bs=$mib seek=$((size_mib / 2)) conv=notrunc status=none
head -c $mib /dev/urandom >>"$work/new.bin"

mkdir -p "$work/store" "$work/rsync"
"$work/flaxfile" serve --host 127.0.0.1 --port 0 --storage-dir "$work/store" -q --log-level info 2>"$work/serve.log" &
until grep -q 'msg=listening' "$work/serve.log" 2>/dev/null; do sleep 0.01; done
addr=$(grep -o 'addr=[0-9.:]*' "$work/serve.log" | head -1 | cut -d= -f2)
port=$((20000 + RANDOM % 20000))
printf 'use chroot = no\nuid = %s\ngid = %s\n[bench]\npath = %s\nread only = false\n' "$(id -u)" "$(id -g)" "$work/rsync" >"$work/rsyncd.conf"
rsync --daemon --no-detach --address=127.0.0.1 --port="$port" --config="$work/rsyncd.conf" &
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
delay="$((rtt_ms / 2))ms"
# The proxies start from this shell (not a command substitution's), so
# that the cleanup can stop them; each prints its address first.
proxies=()
exec 3< <(exec "$work/linkproxy" -target "$addr" -delay "$delay" -rate "$rate" -window $((8 * mib)))
proxies+=($!)
read -r -u 3 ffproxy
exec 4< <(exec "$work/linkproxy" -target "127.0.0.1:$port" -delay "$delay" -rate "$rate" -window $((8 * mib)))
proxies+=($!)
read -r -u 4 rsproxy
ff() { FLAXFILE_PASSWORD= "$work/flaxfile" "$@"; }

declare -A t b
for r in $(seq "$rounds"); do
	ff --server "$addr" --quiet set --no-delta "$work/old.bin" big.bin
	warm_memory "$work" $((size_mib * 3)); t0=$(now)
	out=$(ff --server "$ffproxy" --json set "$work/new.bin" big.bin)
	t[ours]+="$(since "$t0") "; b[ours]+="$(grep -o '"bytes_sent":[0-9]*' <<<"$out" | cut -d: -f2) "
	cmp -s "$work/new.bin" "$work/store/big.bin"

	cp "$work/old.bin" "$work/rsync/big.bin"; touch -d '2001-01-01' "$work/rsync/big.bin"
	warm_memory "$work" $((size_mib * 3)); t0=$(now)
	out=$(rsync --stats "$work/new.bin" "rsync://$rsproxy/bench/big.bin")
	t[rsync]+="$(since "$t0") "; b[rsync]+="$(grep 'Total bytes sent' <<<"$out" | tr -dc 0-9) "
	cmp -s "$work/new.bin" "$work/rsync/big.bin"

	# The other way: the old version is the local copy, the server has
	# the new one.
	ff --server "$addr" --quiet set --no-delta "$work/new.bin" big.bin
	cp "$work/old.bin" "$work/got.bin"
	warm_memory "$work" $((size_mib * 3)); t0=$(now)
	out=$(ff --server "$ffproxy" --json get big.bin "$work/got.bin")
	t[ours_get]+="$(since "$t0") "; b[ours_get]+="$(grep -o '"bytes_received":[0-9]*' <<<"$out" | cut -d: -f2) "
	cmp -s "$work/new.bin" "$work/got.bin"
	cp "$work/new.bin" "$work/rsync/big.bin"
	cp "$work/old.bin" "$work/got.bin"; touch -d '2001-01-01' "$work/got.bin"
	warm_memory "$work" $((size_mib * 3)); t0=$(now)
	out=$(rsync --stats "rsync://$rsproxy/bench/big.bin" "$work/got.bin")
	t[rsync_get]+="$(since "$t0") "; b[rsync_get]+="$(grep 'Total bytes received' <<<"$out" | tr -dc 0-9) "
	cmp -s "$work/new.bin" "$work/got.bin"

	for mode in --delta --no-delta; do
		ff --server "$addr" --quiet set --no-delta "$work/old.bin" big.bin
		warm_memory "$work" $((size_mib * 3)); t0=$(now)
		out=$(ff --server "$addr" --json set $mode "$work/new.bin" big.bin)
		t[loop$mode]+="$(since "$t0") "; b[loop$mode]+="$(grep -o '"bytes_sent":[0-9]*' <<<"$out" | cut -d: -f2) "
	done
done
# One whole-file run through the link: what a re-push cost before.
ff --server "$addr" --quiet set --no-delta "$work/old.bin" big.bin
t0=$(now); out=$(ff --server "$ffproxy" --json set --no-delta "$work/new.bin" big.bin)
t[whole]="$(since "$t0")"; b[whole]="$(grep -o '"bytes_sent":[0-9]*' <<<"$out" | cut -d: -f2)"

echo "re-push of $size_mib MiB after 1 MiB rewritten in the middle and 1 MiB appended; link $((rate * 8 / 1000000)) Mbit/s, ${rtt_ms} ms round trip; $rounds rounds, medians; $(nproc) cores"
for k in ours rsync whole ours_get rsync_get loop--delta loop--no-delta; do
	label=$k
	case $k in
	ours) label="flaxfile (delta, by default on this link)" ;;
	rsync) label="rsync daemon" ;;
	ours_get) label="get over the old local copy (delta)" ;;
	rsync_get) label="rsync daemon, the same way" ;;
	whole) label="flaxfile --no-delta (one run)" ;;
	loop--delta) label="loopback, no link: --delta" ;;
	loop--no-delta) label="loopback, no link: --no-delta" ;;
	esac
	printf '  %-42s %8.2f s  %12s octets moved\n' "$label" "$(echo "${t[$k]}" | median)" "$(echo "${b[$k]}" | median)"
done
