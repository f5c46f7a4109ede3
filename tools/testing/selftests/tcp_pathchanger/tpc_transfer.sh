#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Real transfers between two namespaces over a shaped veth link: iperf3
# with tpc reaches the same throughput as reno (tpc is Reno underneath for
# now), and a transfer over a lossy link arrives intact.

source "$(dirname "$(readlink -f "$0")")/tpc_lib.sh"
tpc_require "$HELPER" iperf3 python3 tc
tpc_load

RATE=${TPC_RATE:-20mbit}
DELAY=${TPC_DELAY:-10ms}
SECS=${TPC_SECS:-4}

ktap_print_header
ktap_set_plan 6

TPC_TMP=$(mktemp -d)
trap 'cleanup_all_ns; rm -rf "$TPC_TMP"' EXIT
tpc_setup_pair "$RATE" "$DELAY" 60 || ktap_exit_fail_msg "cannot set up the namespaces"

base_init=$( [ -n "$TPCCTL" ] && tpc_counter conns_initialized || echo 0)
base_active=$( [ -n "$TPCCTL" ] && tpc_counter conns_active || echo 0)

# iperf3 CC: prints the receiver's goodput in Mbit/s; checks the CC used.
iperf() {
	local json
	ip netns exec "$B" iperf3 -s -1 -B fd00:9::2 >/dev/null 2>&1 &
	local spid=$!
	wait_listen "$B" 5201 || return 1
	json=$(ip netns exec "$A" iperf3 -c fd00:9::2 -C "$1" -t "$SECS" -J) || {
		wait $spid; return 1; }
	wait $spid
	printf '%s' "$json" | python3 -c '
import json, sys
e = json.load(sys.stdin)["end"]
cc = e.get("sender_tcp_congestion")
if cc not in (None, sys.argv[1]):
    sys.exit("used %s" % cc)
print("%.2f" % (e["sum_received"]["bits_per_second"] / 1e6))' "$1"
}

declare -A RES
runs() {
	local i cc r
	for i in 1 2; do
		for cc in reno tpc; do
			r=$(iperf "$cc") || { echo "# iperf3 with $cc failed"; return 1; }
			echo "# run $i: $cc $r Mbit/s"
			RES[$cc]="${RES[$cc]} $r"
		done
	done
}
ktap_test_result "iperf3 -C reno and -C tpc, 2 runs each ($RATE, $DELAY each way)" runs

compare() {
	python3 - "${RES[reno]}" "${RES[tpc]}" "$RATE" <<'PY'
import sys
reno = [float(x) for x in sys.argv[1].split()]
tpc = [float(x) for x in sys.argv[2].split()]
rate = float(sys.argv[3].rstrip("mbit"))
r, t = sum(reno) / len(reno), sum(tpc) / len(tpc)
print("# mean goodput: reno %.2f, tpc %.2f Mbit/s (link %.0f)" % (r, t, rate))
assert r > 0.5 * rate and t > 0.5 * rate, "link not filled"
assert abs(t - r) <= 0.2 * r, "tpc differs from reno by more than 20%"
PY
}
if [ -n "${RES[tpc]}" ]; then
	ktap_test_result "tpc throughput within noise (20%) of reno" compare
else
	ktap_test_fail "tpc throughput within noise (20%) of reno (no data)"
fi

lossy() {
	tc -n "$A" qdisc change dev veth-a root netem delay "$DELAY" rate "$RATE" \
		limit 60 loss 1% || return 1
	ip netns exec "$B" "$HELPER" sink fd00:9::2 6000 &
	local pid=$!
	wait_listen "$B" 6000 || return 1
	diag ip netns exec "$A" "$HELPER" source fd00:9::2 6000 tpc 4000000 || return 1
	wait $pid
}
ktap_test_result "4 MB with tpc over a 1%-loss link arrive intact" lossy

base_loss=$( [ -n "$TPCCTL" ] && tpc_counter loss_events || echo 0)
blackout() {
	# Two seconds of total loss in the middle of a transfer: the sender's
	# retransmission timer fires, tpc sees TCP_CA_Loss, and the transfer
	# still completes once the link is back.
	local out spid cpid
	tc -n "$A" qdisc change dev veth-a root netem delay "$DELAY" rate "$RATE" limit 60 ||
		return 1
	ip netns exec "$B" "$HELPER" sink fd00:9::2 6001 >/dev/null &
	spid=$!
	wait_listen "$B" 6001 || return 1
	ip netns exec "$A" "$HELPER" source fd00:9::2 6001 tpc 6000000 >"$TPC_TMP/src.out" &
	cpid=$!
	sleep 0.7
	tc -n "$A" qdisc change dev veth-a root netem delay "$DELAY" rate "$RATE" limit 60 loss 100%
	sleep 2
	tc -n "$A" qdisc change dev veth-a root netem delay "$DELAY" rate "$RATE" limit 60
	wait $cpid || return 1
	wait $spid || return 1
	out=$(cat "$TPC_TMP/src.out")
	echo "$out"
	printf '%s' "$out" | grep -q "loss_events [1-9]" || return 1
	if [ -n "$TPCCTL" ]; then
		echo "# global loss_events: $base_loss -> $(tpc_counter loss_events)"
		[ "$(tpc_counter loss_events)" -gt "$base_loss" ]
	fi
}
ktap_test_result "a 2 s blackout: RTOs counted as loss events, transfer completes" blackout

if [ -n "$TPCCTL" ]; then
	inits() {
		local now
		now=$(tpc_counter conns_initialized)
		echo "# conns_initialized: $base_init -> $now"
		[ "$now" -ge $((base_init + 3)) ]
	}
	drained() {
		slowwait 20 tpc_counter_at_most conns_active "$base_active"
	}
	ktap_test_result "connections initialised by tpc were counted" inits
	ktap_test_result "per-socket state released when the connections closed" drained
else
	ktap_test_skip "connections counted (no tpcctl)"
	ktap_test_skip "per-socket state released (no tpcctl)"
fi

ktap_finished
