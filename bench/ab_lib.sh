# Sourced by bench/ab.sh and bench/ab_tree.sh: two builds of flaxfile
# side by side, each with its own server, and what their runs share.
#
#   ab_setup REV_A REV_B   builds $work/flaxfile-a and -b (REV_B empty:
#                          the work tree), sets $work and the cleanup,
#                          and starts one server per build: $addr_a, $addr_b
#   ab_order R             the builds' order in round R (alternating)
#   timed CMD...           runs CMD, prints its seconds
#   median                 the median of the numbers on stdin
#   ab_report OP UNIT A B  prints the medians of the runs in the
#                          associative array named OP, and their ratio

ab_setup() {
	local rev_a=$1 rev_b=$2
	# AB_DIR puts everything on that disk instead of tmpfs; AB_FSYNC=1
	# keeps the servers' flush before publishing (their default).
	work=$(mktemp -d -p "${AB_DIR:-$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}")
	ab_tree=$(mktemp -d)
	trap ab_cleanup EXIT
	git worktree add -q "$ab_tree/a" "$rev_a"
	(cd "$ab_tree/a" && go build -o "$work/flaxfile-a" ./cmd/flaxfile)
	if [ -n "$rev_b" ]; then
		git worktree add -q "$ab_tree/b" "$rev_b"
		(cd "$ab_tree/b" && go build -o "$work/flaxfile-b" ./cmd/flaxfile)
	else
		go build -o "$work/flaxfile-b" ./cmd/flaxfile
	fi
	# Started from this shell (not a command substitution's subshell), so
	# that the cleanup's kill reaches them.
	ab_server a
	ab_server b
	addr_a=$(ab_addr a)
	addr_b=$(ab_addr b)
}

ab_cleanup() {
	kill $(jobs -p) 2>/dev/null || true
	git worktree remove --force "$ab_tree/a" 2>/dev/null || true
	git worktree remove --force "$ab_tree/b" 2>/dev/null || true
	rm -rf "$work" "$ab_tree"
}

ab_server() { # NAME: starts its server in the background
	mkdir -p "$work/store-$1"
	local flush=--no-fsync
	[ -n "${AB_FSYNC:-}" ] && flush=--log-level=info
	"$work/flaxfile-$1" serve --host 127.0.0.1 --port 0 --storage-dir "$work/store-$1" "$flush" >/dev/null \
		2>"$work/log-$1" &
}

ab_addr() { # NAME -> prints its server's address once it listens
	local addr
	for _ in $(seq 200); do
		addr=$(grep -o 'msg=listening addr=[^ ]*' "$work/log-$1" | head -1 | cut -d= -f3)
		[ -n "$addr" ] && { echo "$addr"; return; }
		sleep 0.05
	done
	echo "server $1 did not start" >&2
	exit 1
}

# ab_order: each build goes first in every other round (the second run of
# a round was measured to gain a few per cent from the first's warm-up).
ab_order() { if [ $(($1 % 2)) = 0 ]; then echo "b a"; else echo "a b"; fi; }

now() { date +%s.%N; }
timed() { local t0; t0=$(now); "$@" >/dev/null || { echo "failed: $*" >&2; kill $$; }; echo "$(now) - $t0" | bc; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ab_report() {
	declare -n runs=$1
	local ma mb
	ma=$(echo "${runs[a]}" | median)
	mb=$(echo "${runs[b]}" | median)
	echo "$1  A $3: $ma $2 (runs: ${runs[a]})  B ${4:-work tree}: $mb $2 (runs: ${runs[b]})  B/A $(echo "scale=2; $mb / $ma" | bc)"
}
