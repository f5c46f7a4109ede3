#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Augmenter: the initial congestion window of a new connection from the
# state of the live flows to its destination prefix.
#
# Server A (fd00:9::1) sends to client B (fd00:9::2) over a shaped link
# (100 Mbit/s, 40 ms RTT, one BDP of buffer); the client's tcp_rmem lets
# it announce ~512 kB at once, so the receive window does not hide the
# initial window. The initial window is read on the server with TCP_INFO
# right after accept(), before the first byte (tpc_helper serve-iw).
#
# Cases: bad input (unknown prefix, ceiling below floor, bad windows, the
# sysctls' cross-check) gets clear errors; with the policy learned but no
# data, and with policy off, a new flow starts at 10; with a long flow
# saturating the link, a new flow starts well above 10 and near its fair
# share (half the long flow's measured rate times the RTT), for both tpc
# and ccp; fixed N gives N; a prefix's ceiling holds, also when a floor
# sysctl raised later crosses it; a locked route cwnd caps the window; the
# first flight keeps the window when the application sends only after an
# idle RTO (TCP's restart after idle would cut it); the receive window caps
# the window.

source "$(dirname "$(readlink -f "$0")")/tpc_lib.sh"
tpc_require python3 tc ip
tpc_require_tpcctl
tpc_load

RATE=100mbit
DELAY=20ms
# One BDP (100 Mbit/s x 40 ms = 500 kB) of 1514-byte packets.
LIMIT=330
PFX=fd00:9::2/128
SRV=fd00:9::1
PORT=7311
PORT_CCP=7312
# The client's receive buffer: ~512 kB announced from the first ACK.
BIG_RMEM="4096 1048576 16777216"

ktap_print_header
ktap_set_plan 11

TPC_TMP=$(mktemp -d)
tpc_save_knobs augment_floor augment_ceiling
cleanup() {
	tpc_stop_jobs
	"$TPCCTL" path del "$PFX" >/dev/null 2>&1
	tpc_restore_knobs
	cleanup_all_ns
	rm -rf "$TPC_TMP"
}
trap cleanup EXIT
tpc_setup_pair "$RATE" "$DELAY" "$LIMIT" || ktap_exit_fail_msg "cannot set up the namespaces"
ip netns exec "$B" sysctl -qw net.ipv4.tcp_rmem="$BIG_RMEM" ||
	ktap_exit_fail_msg "cannot set the client's tcp_rmem"
"$TPCCTL" path add "$PFX" direct >/dev/null || ktap_exit_fail_msg "cannot add $PFX"

ip netns exec "$A" "$HELPER" serve-iw "$SRV" "$PORT" tpc >"$TPC_TMP/iw.log" 2>&1 &
ip netns exec "$A" "$HELPER" serve-iw "$SRV" "$PORT_CCP" ccp >"$TPC_TMP/iw-ccp.log" 2>&1 &
wait_listen "$A" "$PORT" && wait_listen "$A" "$PORT_CCP" ||
	ktap_exit_fail_msg "serve-iw did not start"

# more_iw_lines LOG N: LOG has more than N "iw" lines.
more_iw_lines() {
	[ "$(grep -c '^iw ' "$1")" -gt "$2" ]
}

# new_flow [PORT [IDLE_MS]]: one 200 kB request (IDLE_MS after connecting);
# prints the initial window the server read for it.
new_flow() {
	local port=${1:-$PORT} log=$TPC_TMP/iw.log n
	[ "$port" = "$PORT_CCP" ] && log=$TPC_TMP/iw-ccp.log
	n=$(grep -c '^iw ' "$log")
	ip netns exec "$B" "$HELPER" get "$SRV" "$port" 200000 - ${2:-} >/dev/null || return 1
	slowwait 5 more_iw_lines "$log" "$n" || return 1
	grep '^iw ' "$log" | tail -1 | awk '{ print $3 }'
}

# show FIELD: one field of tpcctl augment show --json.
show() {
	"$TPCCTL" --json augment show "$PFX" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# refused EXPECT CMD...: CMD must fail and say EXPECT.
refused() {
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "# unexpectedly accepted: $*"
		return 1
	fi
	echo "# $* -> $out"
	grep -qi -- "$want" <<<"$out"
}

bad_input() {
	refused "no path-table entry for exactly this prefix" "$TPCCTL" augment set fd00:77::/64 learned &&
		refused "no path-table entry" "$TPCCTL" augment show fd00:77::/64 &&
		refused "ceiling 10 is below floor 20" \
			"$TPCCTL" augment set "$PFX" learned floor 20 ceiling 10 &&
		refused "ceiling below the floor" "$TPCCTL" augment set "$PFX" learned ceiling 5 &&
		refused "expected packets" "$TPCCTL" augment set "$PFX" fixed 0 &&
		refused "unknown policy" "$TPCCTL" augment set "$PFX" bigger &&
		refused "mss must be 88..65535" "$TPCCTL" augment show "$PFX" --mss 10 &&
		refused "Invalid argument" sysctl -w net.tpc.augment_ceiling=5 &&
		refused "Invalid argument" sysctl -w net.tpc.augment_floor=600 &&
		[ "$(show policy)" = off ] &&
		[ "$(cat /proc/sys/net/tpc/augment_ceiling)" = 512 ] &&
		dmesg | tail -20 | grep -q "augment setting for .* refused: ceiling below floor (floor 10, ceiling 5 in force)"
}
ktap_test_result "bad input: unknown prefix, ceiling below floor (controller, module, sysctl), bad windows and MSS" \
	bad_input

no_data() {
	local before iw
	"$TPCCTL" augment set "$PFX" learned >/dev/null || return 1
	before=$(tpc_counter augment_no_data)
	iw=$(new_flow) || return 1
	echo "# learned, no data yet: initial window $iw"
	[ "$iw" = 10 ] && [ "$(tpc_counter augment_no_data)" -gt "$before" ]
}
ktap_test_result "learned policy without data: the kernel's window (10)" no_data

# The long flow: a 2 GB download, stopped at the end.
ip netns exec "$B" "$HELPER" get "$SRV" "$PORT" 2000000000 >"$TPC_TMP/long.log" 2>&1 &
LONG=$!
sleep 6

# long_rate: the long flow's goodput over its last ~2 s, bytes per second.
long_rate() {
	grep '^rx ' "$TPC_TMP/long.log" | tail -5 |
		awk 'NR == 1 { t = $2; b = $3 } END { if ($2 > t) printf "%d\n", ($3 - b) * 1000 / ($2 - t) }'
}

learned() {
	local rate iw mss want est
	rate=$(long_rate)
	[ -n "$rate" ] || return 1
	iw=$(new_flow) || return 1
	mss=$(grep '^iw ' "$TPC_TMP/iw.log" | tail -1 | awk '{ print $5 }')
	est=$(show learned)
	# Fair share: half the long flow's rate, for 40 ms, in packets.
	want=$(( rate / 2 * 40 / 1000 / mss ))
	echo "# long flow $(( rate * 8 / 1000000 )) Mbit/s; fair share $want packets; new flow's initial window $iw (mss $mss); augment show: learned $est"
	diag "$TPCCTL" augment show "$PFX"
	[ "$iw" -gt 20 ] && [ "$iw" -ge $(( want / 2 )) ] && [ "$iw" -le $(( want * 3 / 2 )) ]
}
ktap_test_result "learned: with a long flow on the link a new flow starts above 10, near its fair share" learned

learned_ccp() {
	local iw est
	est=$(show learned)
	iw=$(new_flow "$PORT_CCP") || return 1
	echo "# ccp (in-kernel fallback, no agent): initial window $iw, augment show: learned $est"
	[ "$iw" -gt 20 ] && [ "$iw" -ge $(( est / 2 )) ] && [ "$iw" -le $(( est * 3 / 2 )) ]
}
ktap_test_result "learned: the same for a ccp connection" learned_ccp

policy_off() {
	local iw
	"$TPCCTL" augment set "$PFX" off >/dev/null || return 1
	iw=$(new_flow) || return 1
	echo "# policy off: initial window $iw (augment show: window $(show window))"
	[ "$iw" = 10 ] && [ "$(show window)" = None ]
}
ktap_test_result "policy off: a new flow starts at 10 although data is there" policy_off

fixed() {
	local iw
	"$TPCCTL" augment set "$PFX" fixed 40 >/dev/null || return 1
	iw=$(new_flow) || return 1
	echo "# fixed 40: initial window $iw"
	[ "$iw" = 40 ]
}
ktap_test_result "policy fixed 40: a new flow starts at 40" fixed

ceiling() {
	local iw
	"$TPCCTL" augment set "$PFX" learned floor 12 ceiling 15 >/dev/null || return 1
	iw=$(new_flow) || return 1
	echo "# learned, ceiling 15: initial window $iw"
	[ "$iw" = 15 ]
}
ktap_test_result "learned with a per-prefix ceiling of 15: a new flow starts at 15" ceiling

# The prefix's ceiling (15) stays the limit when the floor sysctl is raised
# above it afterwards.
crossed() {
	local iw rc=0
	"$TPCCTL" augment set "$PFX" learned ceiling 15 >/dev/null || return 1
	sysctl -qw net.tpc.augment_floor=20 || return 1
	iw=$(new_flow) || rc=1
	echo "# learned, ceiling 15, then augment_floor=20: initial window $iw, bounds_crossed $(show bounds_crossed)"
	diag "$TPCCTL" augment show "$PFX"
	[ "$(show bounds_crossed)" = True ] || rc=1
	sysctl -qw net.tpc.augment_floor=10
	[ $rc = 0 ] && [ "$iw" = 15 ] && [ "$(show bounds_crossed)" = False ]
}
ktap_test_result "a floor sysctl raised above a prefix's ceiling: the ceiling wins, show says so" crossed

# ip route ... cwnd lock 14 on the server: the learned window stops at 14,
# also on a connection without a tcp_metrics entry (the kernel applies the
# lock only from there).
route_lock() {
	local iw before rc=0
	"$TPCCTL" augment set "$PFX" learned >/dev/null || return 1
	ip -n "$A" tcp_metrics flush all || return 1
	ip -n "$A" -6 route replace fd00:9::2/128 dev veth-a cwnd lock 14 || return 1
	before=$(tpc_counter augment_capped)
	iw=$(new_flow) || rc=1
	ip -n "$A" -6 route del fd00:9::2/128 dev veth-a
	# The connection left a tcp_metrics entry with the lock, which the
	# kernel would apply to the next connections.
	ip -n "$A" tcp_metrics flush all || rc=1
	echo "# learned $(show learned), route cwnd lock 14: initial window $iw"
	[ $rc = 0 ] && [ "$iw" = 14 ] && [ "$(tpc_counter augment_capped)" -gt "$before" ]
}
ktap_test_result "a locked route cwnd (ip route ... cwnd lock 14) caps the learned window" route_lock

# The client sends its request 1 s after connecting (over 4 RTOs of 40 ms
# RTT): TCP restarts the window after idle when the response starts (to 10
# here), and Augmenter gives the first flight its window back: the policy's
# window as of then, at most the one set at init. With the long flow steady
# the estimate moves by a packet or two in that second, hence the 90 %.
idle_first_flight() {
	local iw flight before
	before=$(tpc_counter augment_restored)
	iw=$(new_flow "$PORT" 1000) || return 1
	flight=$(grep '^flight ' "$TPC_TMP/iw.log" | tail -1 | awk '{ print $3 }')
	echo "# learned, request after 1 s idle: initial window $iw, first flight's window ${flight:-none}, restored +$(( $(tpc_counter augment_restored) - before ))"
	[ "$iw" -gt 20 ] && [ -n "$flight" ] && [ "$flight" -le "$iw" ] &&
		[ "$flight" -ge $(( iw * 9 / 10 )) ] && [ "$(tpc_counter augment_restored)" -gt "$before" ]
}
ktap_test_result "a request 1 s after the handshake: the first flight still has the learned window" \
	idle_first_flight

rwnd_cap() {
	local iw before
	"$TPCCTL" augment set "$PFX" learned >/dev/null || return 1
	# The default receive buffer announces ~64 kB (about 45 packets).
	ip netns exec "$B" sysctl -qw net.ipv4.tcp_rmem="4096 131072 6291456" || return 1
	before=$(tpc_counter augment_capped)
	iw=$(new_flow) || return 1
	echo "# learned $(show learned), client receive window ~64 kB: initial window $iw"
	[ "$iw" -gt 10 ] && [ "$iw" -le 46 ] && [ "$(tpc_counter augment_capped)" -gt "$before" ]
}
ktap_test_result "the peer's receive window caps the learned window" rwnd_cap

kill "$LONG" 2>/dev/null
ktap_finished
