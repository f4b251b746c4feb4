# Sourced by bench/wan.sh and bench/ab_wan.sh: the delta cases' files,
# and the emulated link.
# make_case CASE writes the new version of $work/old.bin ($size_mib MiB)
# for CASE into $work/new-CASE.bin: "change" (1 MiB rewritten in the
# middle), "append" (1 MiB appended), "insert" (100 octets at the start),
# "log" (a 100 MB application log, $work/genlog's).
make_case() {
	local out="$work/new-$1.bin" mib=$((1 << 20))
	case $1 in
	change)
		cp "$work/old.bin" "$out"
		head -c $mib /dev/urandom | dd of="$out" bs=$mib seek=$((size_mib / 2)) conv=notrunc status=none ;;
	append) { cat "$work/old.bin"; head -c $mib /dev/urandom; } >"$out" ;;
	insert) { head -c 100 /dev/urandom; cat "$work/old.bin"; } >"$out" ;;
	log) "$work/genlog" -size 100000000 >"$out" ;;
	*) echo "unknown case $1" >&2; return 2 ;;
	esac
}

# start_link TARGET VAR starts $work/linkproxy to TARGET as the emulated
# link ($rtt_ms round trip, $rate octets a second) and sets VAR to its
# address. It starts from the calling shell, not a command substitution,
# so that the caller's cleanup can stop it: its pid is added to proxies
# (a process substitution is no job).
start_link() {
	local fd
	exec {fd}< <(exec "$work/linkproxy" -target "$1" -delay "$((rtt_ms / 2))ms" -rate "$rate" -window $((8 << 20)))
	proxies+=($!)
	read -r -u "$fd" "$2"
}
