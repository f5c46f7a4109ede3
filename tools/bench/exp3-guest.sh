#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest part of scripts/bench-exp3.sh (runs inside the QEMU guest):
#   exp3-guest.sh OUT TOP RUNS CONFIGS DURATION
# Builds the 2-path SRv6 topology of the selftests once. The server hB
# runs tpc (its namespace's default congestion control) with EXP3 on for
# its clients' prefix fd00:a::/64 only; the client hA keeps the default
# congestion control, so its requests and ACKs follow the routing table
# (branch 0, 3 ms core delay A->B). The server's RTT on path k is then
# 4 x 1 ms (access hops) + 3 ms + branch k's B->A core delay: 10 ms on
# the fast path (3 ms) and FACTOR x 10 ms on the slow one (FACTOR x 10 - 7
# ms), the per-direction delays of the paper's flap graphs.
#
# Per configuration and run: fresh EXP3 state (the paths are deleted and
# added again), path 0 fast and path 1 slow, tpcctl monitor --json,
# lighttpd on hB serving a 100 kB object, ab -c 4 -t DURATION on hA; SWAP_AT
# s after ab starts, the B->A delays of the two branches swap (path 0 slow,
# path 1 fast). Raw data in OUT/raw/<config>/:
#   run<N>.tsv        ab -g: one line per request (ttime = completion, ms)
#   run<N>.ab         ab's summary
#   run<N>.events.jsonl  tpcctl monitor --json (path events, exp3 updates)
#   run<N>.stats0.json / run<N>.stats1.json  tpcctl stats --json before/after
#   run<N>.exp3.json  tpcctl exp3 show --json at the end
#   run<N>.times      CLOCK_MONOTONIC (ns) of the run's steps, key=value
out=$1
top=$2
runs=$3
configs=$4
duration=$5
. "$top/scripts/guest-env.sh"
sel=$out/kselftest/tcp_pathchanger
# shellcheck source=../testing/selftests/tcp_pathchanger/tpc_lib.sh
. "$sel/tpc_lib.sh"
# shellcheck source=../testing/selftests/tcp_pathchanger/tpc_srv6_lib.sh
. "$sel/tpc_srv6_lib.sh"

SWAP_AT=10		# s after ab starts
OBJ_BYTES=102400	# the object (100 kB)
CONC=4			# ab -c
FAST=3			# ms, core delay of every A->B direction and of the fast B->A
SRV=fd00:a::/64		# the server's view of its clients: EXP3 is on for it
PORT=80

insmod "$TPC_KO" || exit 1
knob() {
	echo "$2" >"/proc/sys/net/tpc/$1"
}
# Failover stays out of this benchmark; EXP3 only where tpcctl turns it on.
knob strategy 0 && knob exp3 0 || { rmmod tcp_pathchanger; exit 1; }

# CLOCK_MONOTONIC in ns, cheaply: bash's $EPOCHREALTIME minus an offset
# measured once (the guest's clocks do not jump: no NTP).
mono_offset_us=$(python3 -c 'import time; print(time.time_ns() // 1000 - time.monotonic_ns() // 1000)')
mono_ns() {
	local r=${EPOCHREALTIME/./}
	echo $(( (r - mono_offset_us) * 1000 ))
}

# Scratch space in the guest's own memory: the monitor writes a line per
# event, which the 9p share of OUT would make expensive.
tmp=$(mktemp -d)
www=$tmp/www
mkdir -p "$www"
head -c "$OBJ_BYTES" /dev/urandom >"$www/obj"
cat >"$tmp/lighttpd.conf" <<EOF
server.bind = "[$SRV6_B]"
server.port = $PORT
server.document-root = "$www"
server.errorlog = "$tmp/lighttpd.err"
server.max-connections = 1024
server.max-fds = 4096
server.max-keep-alive-requests = 0
mimetype.assign = ("" => "application/octet-stream")
EOF

# name -> "gamma preset factor hook_bytes"
config() {
	local re='^(random|exp3_g([0-9.]+)|ascoded_g([0-9.]+))_f([0-9]+)_h([0-9]+)([kM]?)$'
	[[ $1 =~ $re ]] || return 1
	local gamma preset=textbook hook=${BASH_REMATCH[5]}
	case ${BASH_REMATCH[1]} in
	random) gamma=1 ;;
	exp3_g*) gamma=${BASH_REMATCH[2]} ;;
	ascoded_g*) gamma=${BASH_REMATCH[3]}; preset=as-coded ;;
	esac
	case ${BASH_REMATCH[6]} in
	k) hook=$((hook * 1024)) ;;
	M) hook=$((hook * 1048576)) ;;
	esac
	echo "$gamma $preset ${BASH_REMATCH[4]} $hook"
}

# delays REV0 REV1: the B->A core delays of branches 0 and 1 (ms), both
# tc commands at once; only those that change are run.
delays() {
	local p d pids=() rc=0
	for p in 0 1; do
		d=${*:$((p + 1)):1}
		[ "${SRV6_CORE_REV[p]:-}" = "$d" ] && continue
		SRV6_CORE_REV[p]=$d
		srv6_netem "$p" rev &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	return $rc
}

one_run() {
	local dir=$1 run=$2 gamma=$3 preset=$4 slow=$5 hook=$6
	local t_begin t_ab t_swap0 t_swap1 t_end real_ab real_swap mon srv ab left
	t_begin=$(mono_ns)
	# The monitor subscribes at the ring's head: start it first, so that
	# it is surely reading by the time the first connection comes.
	"$TPCCTL" monitor --json >"$tmp/events.jsonl" 2>"$tmp/monitor.err" &
	mon=$!
	# Fresh EXP3 state: deleting the prefixes forgets the learned weights.
	srv6_remove_paths
	if ! srv6_install_paths 2 ||
		! "$TPCCTL" set exp3 on gamma "$gamma" preset "$preset" hook "$hook" prefix "$SRV" ||
		! delays "$FAST" "$slow"; then
		kill "$mon"
		wait "$mon"
		return 1
	fi
	"$TPCCTL" exp3 show --json >"$tmp/exp3_start.json" 2>&1
	"$TPCCTL" stats --json >"$dir/run$run.stats0.json"
	ip netns exec "$hB" lighttpd -D -f "$tmp/lighttpd.conf" &
	srv=$!
	wait_listen "$hB" "$PORT" || { kill "$mon" "$srv"; wait "$mon" "$srv"; return 1; }
	# The swap's tc commands go to two tc processes started now, reading
	# their batch from FIFOs: starting tc in the loaded guest takes
	# seconds, a line to a waiting tc is immediate.
	local p tcs=()
	for p in 0 1; do
		rm -f "$tmp/tc$p"
		mkfifo "$tmp/tc$p"
		tc -force -n "${SRV6_CD[p]}" -batch "$tmp/tc$p" &
		tcs+=($!)
	done
	exec 7<>"$tmp/tc0" 8<>"$tmp/tc1"
	t_ab=$(mono_ns)
	real_ab=$EPOCHREALTIME
	ip netns exec "$hA" ab -r -c "$CONC" -t "$duration" -n 10000000 \
		-g "$tmp/ab.tsv" "http://[$SRV6_B]:$PORT/obj" >"$tmp/ab.out" 2>&1 7>&- 8>&- &
	ab=$!
	left=$(( SWAP_AT * 1000000000 - ($(mono_ns) - t_ab) ))
	[ $left -gt 0 ] && sleep "$((left / 1000000000)).$(printf %09d $((left % 1000000000)))"
	# The swap: path 0 becomes slow, path 1 fast (B->A core delays), as
	# srv6_netem would do it. Its time is taken after both lines are
	# written (run<N>.times has the time before them too).
	t_swap0=$(mono_ns)
	real_swap=$EPOCHREALTIME
	echo "qdisc change dev to-cs parent 1:1 handle 10: netem delay ${slow}ms limit 100000" >&7
	echo "qdisc change dev to-cs parent 1:1 handle 10: netem delay ${FAST}ms limit 100000" >&8
	t_swap1=$(mono_ns)
	SRV6_CORE_REV[0]=$slow
	SRV6_CORE_REV[1]=$FAST
	exec 7>&- 8>&-
	wait "$ab"
	t_end=$(mono_ns)
	wait "${tcs[@]}" || echo "# $dir run $run: a tc of the swap failed" >&2
	# What the swap left (the delays of both B->A core directions).
	tcs=()
	for p in 0 1; do
		tc -n "${SRV6_CD[p]}" qdisc show dev to-cs >"$tmp/netem$p" 2>&1 &
		tcs+=($!)
	done
	wait "${tcs[@]}"
	cat "$tmp"/netem0 "$tmp"/netem1 >"$dir/run$run.netem"
	# Last rewards (connections closing), then the state and counters.
	sleep 1
	"$TPCCTL" stats --json >"$dir/run$run.stats1.json"
	"$TPCCTL" exp3 show --json >"$dir/run$run.exp3.json" 2>&1
	kill "$srv" "$mon" 2>/dev/null
	wait "$srv" "$mon" 2>/dev/null
	cat >"$dir/run$run.times" <<-EOF
		begin_ns=$t_begin
		ab_start_ns=$t_ab
		swap_start_ns=$t_swap0
		swap_ns=$t_swap1
		ab_end_ns=$t_end
		ab_start_realtime=$real_ab
		swap_start_realtime=$real_swap
		mono_offset_us=$mono_offset_us
		gamma=$gamma
		preset=$preset
		hook_bytes=$hook
		slow_rev_ms=$slow
		fast_rev_ms=$FAST
		fwd_ms=$FAST
		duration_s=$duration
		swap_at_s=$SWAP_AT
		object_bytes=$OBJ_BYTES
		concurrency=$CONC
	EOF
	cp "$tmp/ab.tsv" "$dir/run$run.tsv" 2>/dev/null
	cp "$tmp/ab.out" "$dir/run$run.ab"
	cp "$tmp/events.jsonl" "$dir/run$run.events.jsonl"
	cp "$tmp/exp3_start.json" "$dir/run$run.exp3_start.json"
	[ -s "$tmp/monitor.err" ] && cp "$tmp/monitor.err" "$dir/run$run.monitor.err"
	[ -s "$tmp/lighttpd.err" ] && cp "$tmp/lighttpd.err" "$dir/run$run.lighttpd.err"
	rm -f "$tmp"/ab.* "$tmp"/tc? "$tmp"/netem? "$tmp/events.jsonl" "$tmp/monitor.err" "$tmp/lighttpd.err" "$tmp/exp3_start.json"
	return 0
}

rc=0
echo "# EXP3 bench: building the 2-path topology"
# Only the server runs tpc: its namespace's default. A namespace other
# than init_net may only pick an allowed congestion control as its default,
# and the module registers tpc restricted: allow it for the run.
allowed=/proc/sys/net/ipv4/tcp_allowed_congestion_control
read -r old_allowed <"$allowed"
echo "$old_allowed tpc" >"$allowed"
if ! srv6_setup 2 1 || ! srv6_core_delay 0,1 fwd "$FAST" ||
	! ip netns exec "$hB" sysctl -qw net.ipv4.tcp_congestion_control=tpc; then
	echo "topology setup failed" >&2
	srv6_teardown
	echo "$old_allowed" >"$allowed"
	rmmod tcp_pathchanger
	exit 1
fi
for name in ${configs//,/ }; do
	read -r gamma preset factor hook <<<"$(config "$name")" || {
		echo "unknown configuration $name" >&2; rc=1; continue; }
	dir=$out/raw/$name
	mkdir -p "$dir"
	slow=$((factor * 10 - 4 - FAST))
	echo "# $name: gamma $gamma ($preset), RTT 10 / $((factor * 10)) ms, hook $hook B"
	for ((run = 1; run <= runs; run++)); do
		one_run "$dir" "$run" "$gamma" "$preset" "$slow" "$hook" ||
			{ echo "# $name run $run failed" >&2; rc=1; }
		echo "#   run $run: $(grep -h -o 'Complete requests: *[0-9]*' "$dir/run$run.ab" 2>/dev/null)"
	done
done
srv6_remove_paths
ip netns exec "$hB" sysctl -qw net.ipv4.tcp_congestion_control=reno
srv6_teardown
echo "$old_allowed" >"$allowed"
rm -rf "$tmp"
# The namespaces go away asynchronously (and with them the last users).
slowwait 20 rmmod tcp_pathchanger 2>/dev/null || echo "# rmmod tcp_pathchanger failed" >&2
exit $rc
