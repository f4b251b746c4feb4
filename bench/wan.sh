#!/usr/bin/env bash
# Delta over a slow link (issue 17): a SIZE_MIB random file (256 by
# default) is on the server, and changed locally in one of three ways:
# 1 MiB rewritten in the middle ("change"), 1 MiB appended ("append"),
# 100 octets inserted at the start ("insert", which shifts every block).
# The new version is pushed through bench/linkproxy standing for a link of
# RATE octets a second and RTT round trip (default 100 Mbit/s, 20 ms),
# against rsync's daemon through the same link in the same run; then the
# other way, a get over the old local copy against rsync's. Each run
# first puts the old version back (directly, untimed). Also on loopback
# without the link: delta against whole-file, to show delta never costs
# there.
#
#   bench/wan.sh [SIZE_MIB]   (ROUNDS, default 3; RATE octets/s; RTT_MS;
#                              CASES, default "change append insert log")
#
# The case "log" is compression's: a 100 MB application log
# (bench/genlog) set to a key the server does not hold, through the same
# link, against rsync -z to a fresh file, and --no-compress once; on
# loopback automatic compression against --no-compress.
#
# Prints seconds and the octets that crossed the link both ways (ours:
# --json's wire_sent + wire_received; rsync: --stats' "Total bytes sent"
# + "Total bytes received", which count the same), medians.
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
go build -o "$work/genlog" ./bench/genlog
. bench/warm.sh
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%s", a[int((NR+1)/2)]}'; }
# spread: every round's seconds, sorted, two decimals.
spread() { tr ' ' '\n' | grep . | sort -n | awk '{printf "%s%.2f", (NR>1?" ":""), $1}'; }

cases=${CASES:-change append insert log}
mib=$((1 << 20))
head -c $((size_mib * mib)) /dev/urandom >"$work/old.bin"
. bench/delta_cases.sh
for c in $cases; do make_case "$c"; done

mkdir -p "$work/store" "$work/rsync"
"$work/flaxfile" serve --host 127.0.0.1 --port 0 --storage-dir "$work/store" -q --log-level info 2>"$work/serve.log" &
until grep -q 'msg=listening' "$work/serve.log" 2>/dev/null; do sleep 0.01; done
addr=$(grep -o 'addr=[0-9.:]*' "$work/serve.log" | head -1 | cut -d= -f2)
port=$((20000 + RANDOM % 20000))
printf 'use chroot = no\nuid = %s\ngid = %s\n[bench]\npath = %s\nread only = false\n' "$(id -u)" "$(id -g)" "$work/rsync" >"$work/rsyncd.conf"
rsync --daemon --no-detach --address=127.0.0.1 --port="$port" --config="$work/rsyncd.conf" &
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
proxies=()
start_link "$addr" ffproxy
start_link "127.0.0.1:$port" rsproxy
ff() { FLAXFILE_PASSWORD= "$work/flaxfile" "$@"; }

# wire JSON: wire_sent + wire_received of our --json output.
wire() { echo $(($(grep -o '"wire_sent":[0-9]*' <<<"$1" | cut -d: -f2) + $(grep -o '"wire_received":[0-9]*' <<<"$1" | cut -d: -f2))); }
# rwire STATS: the same from rsync's --stats.
rwire() { echo $(($(grep 'Total bytes sent' <<<"$1" | tr -dc 0-9) + $(grep 'Total bytes received' <<<"$1" | tr -dc 0-9))); }

declare -A t b
for r in $(seq "$rounds"); do
	for c in $cases; do
		new="$work/new-$c.bin"
		if [ "$c" = log ]; then
			ff --server "$addr" --quiet delete app.log 2>/dev/null || true
			warm_memory "$work" 300; t0=$(now)
			out=$(ff --server "$ffproxy" --json set "$new" app.log)
			t[log.ours]+="$(since "$t0") "; b[log.ours]+="$(wire "$out") "
			cmp -s "$new" "$work/store/app.log"
			rm -f "$work/rsync/app.log"
			warm_memory "$work" 300; t0=$(now)
			out=$(rsync -z --stats "$new" "rsync://$rsproxy/bench/app.log")
			t[log.rsync]+="$(since "$t0") "; b[log.rsync]+="$(rwire "$out") "
			cmp -s "$new" "$work/rsync/app.log"
			for mode in "" --no-compress; do
				ff --server "$addr" --quiet delete app.log 2>/dev/null || true
				warm_memory "$work" 300; t0=$(now)
				out=$(ff --server "$addr" --json set $mode "$new" app.log)
				t[log.loop$mode]+="$(since "$t0") "; b[log.loop$mode]+="$(wire "$out") "
			done
			continue
		fi
		ff --server "$addr" --quiet set --no-delta "$work/old.bin" big.bin
		warm_memory "$work" $((size_mib * 3)); t0=$(now)
		out=$(ff --server "$ffproxy" --json set "$new" big.bin)
		t[$c.ours]+="$(since "$t0") "; b[$c.ours]+="$(wire "$out") "
		cmp -s "$new" "$work/store/big.bin"

		cp "$work/old.bin" "$work/rsync/big.bin"; touch -d '2001-01-01' "$work/rsync/big.bin"
		warm_memory "$work" $((size_mib * 3)); t0=$(now)
		out=$(rsync --stats "$new" "rsync://$rsproxy/bench/big.bin")
		t[$c.rsync]+="$(since "$t0") "; b[$c.rsync]+="$(rwire "$out") "
		cmp -s "$new" "$work/rsync/big.bin"

		# The other way: the old version is the local copy, the server
		# has the new one.
		ff --server "$addr" --quiet set --no-delta "$new" big.bin
		cp "$work/old.bin" "$work/got.bin"
		warm_memory "$work" $((size_mib * 3)); t0=$(now)
		out=$(ff --server "$ffproxy" --json get big.bin "$work/got.bin")
		t[$c.ours_get]+="$(since "$t0") "; b[$c.ours_get]+="$(wire "$out") "
		cmp -s "$new" "$work/got.bin"
		cp "$new" "$work/rsync/big.bin"
		cp "$work/old.bin" "$work/got.bin"; touch -d '2001-01-01' "$work/got.bin"
		warm_memory "$work" $((size_mib * 3)); t0=$(now)
		out=$(rsync --stats "rsync://$rsproxy/bench/big.bin" "$work/got.bin")
		t[$c.rsync_get]+="$(since "$t0") "; b[$c.rsync_get]+="$(rwire "$out") "
		cmp -s "$new" "$work/got.bin"

		for mode in --delta --no-delta; do
			ff --server "$addr" --quiet set --no-delta "$work/old.bin" big.bin
			warm_memory "$work" $((size_mib * 3)); t0=$(now)
			out=$(ff --server "$addr" --json set $mode "$new" big.bin)
			t[$c.loop$mode]+="$(since "$t0") "; b[$c.loop$mode]+="$(wire "$out") "
		done
	done
done
# One whole-file run through the link: what a re-push cost before; and
# the log without compression.
ff --server "$addr" --quiet set --no-delta "$work/old.bin" big.bin
t0=$(now); out=$(ff --server "$ffproxy" --json set --no-delta "$work/old.bin" big.bin)
whole_t="$(since "$t0")"; whole_b="$(wire "$out")"
if [[ " $cases " == *" log "* ]]; then
	ff --server "$addr" --quiet delete app.log 2>/dev/null || true
	t0=$(now); out=$(ff --server "$ffproxy" --json set --no-compress "$work/new-log.bin" app.log)
	t[log.plain]="$(since "$t0")"; b[log.plain]="$(wire "$out")"
fi

echo "$size_mib MiB file; link $((rate * 8 / 1000000)) Mbit/s, ${rtt_ms} ms round trip; $rounds rounds, medians; $(nproc) cores"
for c in $cases; do
	if [ "$c" = log ]; then
		echo "a 100 MB application log to a new key (compression):"
		for k in ours rsync plain loop loop--no-compress; do
			case $k in
			ours) label="set (automatic compression)" ;;
			rsync) label="rsync -z daemon, push" ;;
			plain) label="set --no-compress (one run)" ;;
			loop) label="loopback, no link: set (automatic)" ;;
			loop--no-compress) label="loopback, no link: set --no-compress" ;;
			esac
			printf '  %-42s %8.2f s  %12s octets on the wire  (%s)\n' "$label" "$(echo "${t[log.$k]}" | median)" "$(echo "${b[log.$k]}" | median)" "$(echo "${t[log.$k]}" | spread)"
		done
		continue
	fi
	case $c in
	change) echo "1 MiB rewritten in the middle:" ;;
	append) echo "1 MiB appended:" ;;
	insert) echo "100 octets inserted at the start:" ;;
	esac
	for k in ours rsync ours_get rsync_get loop--delta loop--no-delta; do
		case $k in
		ours) label="set (delta, by default on this link)" ;;
		rsync) label="rsync daemon, push" ;;
		ours_get) label="get over the old local copy (delta)" ;;
		rsync_get) label="rsync daemon, pull" ;;
		loop--delta) label="loopback, no link: set --delta" ;;
		loop--no-delta) label="loopback, no link: set --no-delta" ;;
		esac
		printf '  %-42s %8.2f s  %12s octets on the wire  (%s)\n' "$label" "$(echo "${t[$c.$k]}" | median)" "$(echo "${b[$c.$k]}" | median)" "$(echo "${t[$c.$k]}" | spread)"
	done
done
printf '%-44s %8.2f s  %12s octets on the wire\n' "whole file through the link (--no-delta, one run)" "$whole_t" "$whole_b"
