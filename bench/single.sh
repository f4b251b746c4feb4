#!/usr/bin/env bash
# Single-file benchmark (issue 3): set and get of one random file (1 GiB by
# default) on loopback with FlaxFile's 1.2 protocol between our client and
# server, against baselines measured in the same run:
#   - a raw TCP copy of the same file (sendfile -> splice), for plaintext;
#   - one core sealing 4 MiB messages with XSalsa20-Poly1305, for CURVE.
# Each round measures its own baselines; every figure of a round is the
# better of two runs, interleaved; the ratios reported are medians of each
# round's ratio. Each server runs for the whole benchmark, as
# servers do. It also reports each server's peak memory (VmHWM, reset
# before each set) during a set.
#
#   bench/single.sh [SIZE_MIB]      (default 1024)
#
# GETTIME=1 prints the resource use of each get (GNU time).
# PROTOCOL=1.2 or PROTOCOL=2 chooses the protocol (default 2: what two Go
# peers negotiate). Encrypted, two Go peers agree on AES-256-GCM (or
# ChaCha20-Poly1305) for the frames; PROTOCOL=1.2 keeps CurveZMQ's
# XSalsa20-Poly1305, as 1.2 peers do. The baseline is XSalsa20-Poly1305
# either way, as the targets name it.
#
# Targets, 1.2 protocol (issue 3): set and get >= 0.60 of the raw copy,
# plaintext; >= 0.50 of the seal rate encrypted. FlaxFile 2 (issue 4):
# >= 0.90 plaintext, >= 0.70 encrypted. Peak server memory during the set
# <= 128 MiB for both.
set -euo pipefail
# Static, as released (README): a cgo build links libc and starts slower.
export CGO_ENABLED=0
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
proto=${PROTOCOL:-2}
# A tmpfs keeps disk writeback out of the figures when there is one.
work=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")")
trap 'rm -rf "$work"' EXIT
go build -o "$work/flaxfile" ./cmd/flaxfile
go build -o "$work/rawcopy" ./bench/rawcopy
head -c $((size_mib << 20)) /dev/urandom >"$work/src.bin"
bytes=$((size_mib << 20))
. bench/warm.sh
warm() { warm_memory "$work" $((size_mib * 5 / 4 + 64)); }

now() { date +%s.%N; }
rate() { echo "$1 $2 $3" | awk '{ printf "%.0f", $1 / ($3 - $2) / 1e6 }'; } # MB/s

# Baseline 1: raw TCP copy, sendfile -> splice.
raw() {
	rm -f "$work/raw.out"
	"$work/rawcopy" recv "$work/raw.out" >"$work/raw.addr" &
	local rpid=$!
	while [ ! -s "$work/raw.addr" ]; do sleep 0.01; done
	local t0 t1
	warm
	t0=$(now)
	"$work/rawcopy" send "$work/src.bin" "$(cat "$work/raw.addr")"
	wait $rpid
	t1=$(now)
	rm -f "$work/raw.addr" "$work/raw.out"
	rate $bytes "$t0" "$t1"
}

# Baseline 2: one core sealing with XSalsa20-Poly1305, measured each round.
go test -c -o "$work/zmtp.test" ./internal/zmtp
seal() { (cd internal/zmtp && "$work/zmtp.test" -test.run '^$' -test.bench 'TransportSeal$' -test.benchtime=1s) | awk '/MB\/s/ { for (i = 1; i <= NF; i++) if ($i == "MB/s") print int($(i-1)) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

start_server() { # NAME PASSWORD -> sets NAME_pid, NAME_addr
	rm -rf "$work/store-$1" "$work/server-$1.log"
	FLAXFILE_PASSWORD=$2 "$work/flaxfile" serve --host 127.0.0.1 --port 0 --storage-dir "$work/store-$1" --no-fsync 2>"$work/server-$1.log" &
	eval "$1_pid=$!"
	until grep -q 'msg=listening' "$work/server-$1.log" 2>/dev/null; do sleep 0.01; done
	eval "$1_addr=$(grep -o 'addr=[0-9.:]*' "$work/server-$1.log" | head -1 | cut -d= -f2)"
}
hwm_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
reset_hwm() { echo 5 >"/proc/$1/clear_refs"; }

measure() { # NAME PASSWORD -> sets set_rate get_rate set_hwm
	local addr pid t0 t1
	eval "addr=\$$1_addr pid=\$$1_pid"
	reset_hwm "$pid"
	warm
	t0=$(now)
	FLAXFILE_PASSWORD=$2 "$work/flaxfile" --server "$addr" --protocol "$proto" --quiet set "$work/src.bin" big.bin
	t1=$(now)
	set_hwm=$(hwm_mib "$pid")
	set_rate=$(rate $bytes "$t0" "$t1")
	cmp -s "$work/src.bin" "$work/store-$1/big.bin" || { echo "stored file differs" >&2; exit 1; }
	warm
	t0=$(now)
	FLAXFILE_PASSWORD=$2 ${GETTIME:+/usr/bin/time -f "get: %e s wall %U user %S sys %R minfl %c ctxsw"} "$work/flaxfile" --server "$addr" --protocol "$proto" --quiet get big.bin "$work/get.out"
	t1=$(now)
	get_rate=$(rate $bytes "$t0" "$t1")
	cmp -s "$work/src.bin" "$work/get.out" || { echo "downloaded file differs" >&2; exit 1; }
	rm -f "$work/get.out"
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
rounds=${ROUNDS:-3}
# Two long-running servers, as in use: plaintext and encrypted.
start_server plain ""
start_server curve "bench-password-123"
trap 'kill $plain_pid $curve_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
# One untimed round first: on a virtual machine, memory the guest has not
# touched before costs several times more to fill the first time (seen
# here: 0.5 GB/s against 6 GB/s for the same writes), which would land on
# whichever run comes first.
raw >/dev/null
measure plain ""
measure curve "bench-password-123"
raws="" seals="" p_sets="" p_gets="" c_sets="" c_gets="" p_hwm=0 c_hwm=0
ps_r="" pg_r="" cs_r="" cg_r="" # each round's rates over that round's baseline
# Interleave the rounds so that drift on a shared machine hits all alike.
max() { echo $(($1 > $2 ? $1 : $2)); }
# best_of_two NAME PASSWORD BASELINE -> sets base best_set best_get
# best_hwm: the baseline, a set and get, the baseline again and another
# set and get, interleaved; the better of the two runs of each. The raw
# copy is one connection and the noisiest figure here, and taking the
# better of two for it alone would compare a best case with a typical one.
best_of_two() {
	local b1 s1 g1 h1
	b1=$($3)
	measure "$1" "$2"
	s1=$set_rate g1=$get_rate h1=$set_hwm
	base=$($3)
	measure "$1" "$2"
	base=$(max "$b1" "$base") best_set=$(max "$s1" "$set_rate") best_get=$(max "$g1" "$get_rate") best_hwm=$(max "$h1" "$set_hwm")
}
for _ in $(seq "$rounds"); do
	best_of_two plain "" raw
	raws="$raws $base" p_sets="$p_sets $best_set" p_gets="$p_gets $best_get" p_hwm=$(max "$best_hwm" "$p_hwm")
	ps_r="$ps_r $(ratio "$best_set" "$base")" pg_r="$pg_r $(ratio "$best_get" "$base")"
	best_of_two curve "bench-password-123" seal
	seals="$seals $base" c_sets="$c_sets $best_set" c_gets="$c_gets $best_get" c_hwm=$(max "$best_hwm" "$c_hwm")
	cs_r="$cs_r $(ratio "$best_set" "$base")" cg_r="$cg_r $(ratio "$best_get" "$base")"
done
raw_rate=$(echo "$raws" | median) seal=$(echo "$seals" | median)
p_set=$(echo "$p_sets" | median) p_get=$(echo "$p_gets" | median)
c_set=$(echo "$c_sets" | median) c_get=$(echo "$c_gets" | median)

echo "protocol $proto; file: $size_mib MiB, $rounds interleaved rounds, medians; machine: $(nproc) cores, $(uname -r)"
echo "raw TCP copy (sendfile->splice): $raw_rate MB/s (runs:$raws)"
echo "seal, one core (XSalsa20-Poly1305): $seal MB/s (runs:$seals)"
echo "plain set runs:$p_sets  get runs:$p_gets  (over that round's raw copy:$ps_r |$pg_r)"
echo "CURVE ($([ "$proto" = 1.2 ] && echo "XSalsa20-Poly1305" || echo "the cipher Go peers agree on")) set runs:$c_sets  get runs:$c_gets  (over that round's seal:$cs_r |$cg_r)"
pt=0.90 ct=0.70
[ "$proto" = 1.2 ] && pt=0.60 ct=0.50
# The ratios are medians of each round's ratio to its own baseline, which
# drift on a shared machine affects least.
awk -v pt=$pt -v ct=$ct -v ps="$p_set" -v pg="$p_get" -v cs="$c_set" -v cg="$c_get" -v ph="$p_hwm" -v ch="$c_hwm" \
	-v psr="$(echo "$ps_r" | median)" -v pgr="$(echo "$pg_r" | median)" -v csr="$(echo "$cs_r" | median)" -v cgr="$(echo "$cg_r" | median)" 'BEGIN {
	printf "plain  set %5d MB/s = %.2f of raw   get %5d MB/s = %.2f of raw   (target >= %s)\n", ps, psr, pg, pgr, pt
	printf "CURVE  set %5d MB/s = %.2f of seal  get %5d MB/s = %.2f of seal  (target >= %s)\n", cs, csr, cg, cgr, ct
	printf "peak server memory during a set (highest of the rounds): plain %d MiB, CURVE %d MiB (target <= 128)\n", ph, ch
}'
