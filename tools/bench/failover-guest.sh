#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest part of scripts/bench-failover.sh (runs inside the QEMU guest):
#   failover-guest.sh OUT TOP RUNS CONFIGS
# For each configuration, builds the SRv6 topology of the selftests once,
# then repeats RUNS times: start the flows, fail path 0 (both directions;
# paths 0 and 1 for two_of_three) 2.5 s in, record the failure time
# (CLOCK_MONOTONIC, the clock of the module's events), let the flows run on,
# heal. Raw data goes to OUT/raw/<config>/: events.jsonl (tpcctl monitor),
# run<N>.fail (failure time, ns), run<N>.rto (the client's RTO in ms just
# before the failure, from ss), run<N>.sink<K> / run<N>.source<K> (the
# flows' byte logs, tpc_helper rsink/rsource on ports 5201+K), and with one flow
# run<N>.first_data / run<N>.first_ack: tcpdump's line for the first
# packet through path 1's waypoint in each direction, captured where it
# enters the network (rS from hA, rD from hB: unshaped links), with a
# CLOCK_REALTIME timestamp; run<N>.mono_offset_us converts it.
out=$1
top=$2
runs=$3
configs=$4
. "$top/scripts/guest-env.sh"
sel=$out/kselftest/tcp_pathchanger
# shellcheck source=../testing/selftests/tcp_pathchanger/tpc_lib.sh
. "$sel/tpc_lib.sh"
# shellcheck source=../testing/selftests/tcp_pathchanger/tpc_srv6_lib.sh
. "$sel/tpc_srv6_lib.sh"

HELPER=$sel/tpc_helper
RATE=1250000	# bytes/s: 10 Mbit/s
FAIL_AT=2.5
AFTER=8

insmod "$TPC_KO" || exit 1
old_cc=$(sysctl -n net.ipv4.tcp_congestion_control)
sysctl -qw net.ipv4.tcp_congestion_control=tpc

# CLOCK_MONOTONIC in ns, cheaply: bash's $EPOCHREALTIME minus an offset
# measured once (the guest's clocks do not jump: no NTP).
mono_offset_us=$(python3 -c 'import time; print(time.time_ns() // 1000 - time.monotonic_ns() // 1000)')
mono_ns() {
	local r=${EPOCHREALTIME/./}
	echo $(( (r - mono_offset_us) * 1000 ))
}

# name -> "strategy flows npaths failed-paths delay_ms"
config() {
	case $1 in
	nrto) echo "nrto 1 2 0 1" ;;
	timeout) echo "timeout 1 2 0 1" ;;
	flows5) echo "nrto 5 2 0 1" ;;
	flows10) echo "nrto 10 2 0 1" ;;
	flows20) echo "nrto 20 2 0 1" ;;
	two_of_three) echo "nrto 1 3 0,1 1" ;;
	rtt24) echo "nrto 1 2 0 4" ;;
	rtt84) echo "nrto 1 2 0 14" ;;
	timeout_rtt84) echo "timeout 1 2 0 14" ;;
	*) return 1 ;;
	esac
}

# Succeeds when $1 connections from hA to hB are established.
flows_up() {
	[ "$(ip netns exec "$hA" ss -Htn state established | wc -l)" -ge "$1" ]
}

one_run() {
	local dir=$1 run=$2 flows=$3 failed=$4 k p pids=() spids=() t t0
	srv6_heal_all
	rm -f "$dir/stop"
	for ((k = 0; k < flows; k++)); do
		ip netns exec "$hB" "$HELPER" rsink "$SRV6_B" $((5201 + k)) \
			>"$dir/run$run.sink$k" 2>&1 &
		spids+=($!)
	done
	for ((k = 0; k < flows; k++)); do
		wait_listen "$hB" $((5201 + k)) || return 1
	done
	local caps=()
	if [ "$flows" = 1 ] && command -v tcpdump >/dev/null; then
		ip netns exec "$rS" tcpdump -i to-hA -n -tt -c 1 -l "ip6 dst fc00::31" \
			>"$dir/run$run.first_data" 2>/dev/null &
		caps+=($!)
		ip netns exec "$rD" tcpdump -i to-hB -n -tt -c 1 -l "ip6 dst fc00::21" \
			>"$dir/run$run.first_ack" 2>/dev/null &
		caps+=($!)
		echo "$mono_offset_us" >"$dir/run$run.mono_offset_us"
		sleep 1
	fi
	for ((k = 0; k < flows; k++)); do
		ip netns exec "$hA" "$HELPER" rsource "$SRV6_B" $((5201 + k)) "$RATE" 60 5 \
			"$dir/stop" >"$dir/run$run.source$k" 2>&1 &
		pids+=($!)
	done
	# Starting many processes takes seconds under TCG: fail only once every
	# flow is established and has run FAIL_AT s (a SYN lost to the failure
	# would never recover: SYNs follow the routing table, spec §6).
	slowwait 30 flows_up "$flows" || echo "# run $run: not all $flows flows up" >&2
	sleep "$FAIL_AT"
	ip netns exec "$hA" ss -tin "dst [$SRV6_B]" | grep -o 'rto:[0-9.]*' |
		head -1 | cut -d: -f2 >"$dir/run$run.rto"
	# Reverse (ACK) direction first, then data, as srv6_fail "both" does:
	# the sender's RTO clock starts when ACKs stop, so that is the failure
	# time (taken right after the command; run<N>.fail_window has the
	# times before and after it, the uncertainty).
	t0=$(mono_ns)
	srv6_fail "$failed" rev
	t=$(mono_ns)
	echo "$t" >"$dir/run$run.fail"
	echo "$t0 $t" >"$dir/run$run.fail_window"
	sleep "$SRV6_FAIL_GAP"
	srv6_fail "$failed" fwd
	sleep "$AFTER"
	touch "$dir/stop"
	wait "${pids[@]}"
	# A sink whose connection never recovered waits for an EOF that will
	# not come: give the sinks a few seconds, then stop them.
	local alive
	for ((k = 0; k < 50; k++)); do
		alive=0
		for p in "${spids[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	kill "${spids[@]}" 2>/dev/null
	wait "${spids[@]}" 2>/dev/null
	[ ${#caps[@]} -gt 0 ] && kill "${caps[@]}" 2>/dev/null
	wait "${caps[@]}" 2>/dev/null
	srv6_heal_all
	return 0
}

rc=0
for name in ${configs//,/ }; do
	read -r strategy flows npaths failed delay <<<"$(config "$name")" || {
		echo "unknown configuration $name" >&2; rc=1; continue; }
	dir=$out/raw/$name
	mkdir -p "$dir"
	echo "# $name: $strategy, $flows flow(s), $npaths paths, failing $failed, RTT $((6 * delay)) ms"
	srv6_setup "$npaths" "$delay" || { echo "topology setup failed" >&2; rc=1; continue; }
	srv6_install_paths "$npaths"
	# With two paths down the server often sees only retransmissions of the
	# last segment it acknowledged: count them, or it may never move (see
	# net.tpc.count_old_data). The other configurations keep the original's
	# rule.
	if [ "$name" = two_of_three ]; then
		sysctl -qw net.tpc.count_old_data=1
	else
		sysctl -qw net.tpc.count_old_data=0
	fi
	if [ "$strategy" = timeout ]; then
		"$TPCCTL" set failover timeout t 700ms m 2
	else
		"$TPCCTL" set failover nrto n 3 m 2
	fi
	"$TPCCTL" monitor --json >"$dir/events.jsonl" &
	mon=$!
	for ((run = 1; run <= runs; run++)); do
		one_run "$dir" "$run" "$flows" "$failed" || echo "# $name run $run failed" >&2
	done
	sleep 0.5
	kill "$mon"
	wait "$mon" 2>/dev/null
	"$TPCCTL" stats --json >"$dir/stats.json"
	srv6_remove_paths
	srv6_teardown
done
sysctl -qw net.ipv4.tcp_congestion_control="$old_cc"
rmmod tcp_pathchanger
exit $rc
