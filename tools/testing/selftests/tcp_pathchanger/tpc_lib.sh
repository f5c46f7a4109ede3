#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of the tcp_pathchanger selftests (sourced).
#
# Environment:
#   TPC_KO      path of tcp_pathchanger.ko (else: modprobe tcp_pathchanger)
#   TPCCTL      path of the tpcctl binary (else: tpcctl from PATH)

TPC_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
source "$TPC_DIR/../kselftest/ktap_helpers.sh"
source "$TPC_DIR/../net/lib.sh"

HELPER=$TPC_DIR/tpc_helper
TPCCTL=${TPCCTL:-$(command -v tpcctl || true)}

tpc_loaded() {
	[ -d /sys/module/tcp_pathchanger ]
}

# Loads the module unless it is loaded; exits with KSFT_SKIP if it cannot
# be found.
tpc_load() {
	tpc_loaded && return 0
	if [ -n "${TPC_KO:-}" ]; then
		insmod "$TPC_KO" || ktap_exit_fail_msg "insmod $TPC_KO failed"
	elif ! modprobe -q tcp_pathchanger 2>/dev/null; then
		ktap_skip_all "tcp_pathchanger.ko not found (set TPC_KO)"
		exit "$KSFT_SKIP"
	fi
}

tpc_require() {
	if [ "$(id -u)" -ne 0 ]; then
		ktap_skip_all "must run as root"
		exit "$KSFT_SKIP"
	fi
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null && [ ! -x "$t" ]; then
			ktap_skip_all "$t not available"
			exit "$KSFT_SKIP"
		fi
	done
}

# Runs "$@", printing its output as KTAP diagnostics; returns its status.
diag() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^\([^#]\)/# \1/'
	return $rc
}

# Value of one counter of the module (via tpcctl --json).
tpc_counter() {
	"$TPCCTL" status --json | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"
}

# Two namespaces A and B joined by a veth pair, with IPv4 10.9.0.1/.2 and
# IPv6 fd00:9::1/::2. Optional shaping on both directions:
#   tpc_setup_pair [RATE DELAY LIMIT]   e.g. 50mbit 5ms 200
tpc_setup_pair() {
	setup_ns A B || return 1
	ip link add veth-a netns "$A" type veth peer name veth-b netns "$B" || return 1
	ip -n "$A" addr add 10.9.0.1/24 dev veth-a
	ip -n "$B" addr add 10.9.0.2/24 dev veth-b
	ip -n "$A" addr add fd00:9::1/64 dev veth-a nodad
	ip -n "$B" addr add fd00:9::2/64 dev veth-b nodad
	ip -n "$A" link set veth-a up
	ip -n "$B" link set veth-b up
	if [ $# -ge 3 ]; then
		local ns dev
		for ns in "$A:veth-a" "$B:veth-b"; do
			dev=${ns#*:}
			ns=${ns%%:*}
			ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null 2>&1
			tc -n "$ns" qdisc add dev "$dev" root netem delay "$2" \
				rate "$1" limit "$3" || return 1
		done
		TPC_SHAPED="$A:veth-a $B:veth-b"
	fi
}

# tpc_setup_line RATE DELAY LIMIT: A (fd00:9::1) and B (fd00:9::2) joined
# through a router namespace R, whose two egress qdiscs are the shaped
# link (netem: DELAY each way, RATE, LIMIT packets each). Unlike
# tpc_setup_pair, the bottleneck is not the sender's own qdisc, where a
# full queue is a local drop (CWR, the packet retried) rather than a loss:
# drops at R are losses the sender has to detect, as on a real path. The
# sender sends one-MSS packets (gso_max_segs 1; TCP otherwise builds GSO
# packets of up to 64 kB, which a packet limit would count as one). The
# shaped devices are in TPC_SHAPED ("NS:DEV ..."); A's and B's next hop,
# R's link-local address on both links, is TPC_LINE_GW.
TPC_LINE_GW=fe80::ff
tpc_setup_line() {
	setup_ns A R B || return 1
	ip link add veth-a netns "$A" type veth peer name veth-ra netns "$R" || return 1
	ip link add veth-b netns "$B" type veth peer name veth-rb netns "$R" || return 1
	ip -n "$A" addr add fd00:9::1/128 dev veth-a nodad
	ip -n "$B" addr add fd00:9::2/128 dev veth-b nodad
	ip -n "$R" addr add "$TPC_LINE_GW/64" dev veth-ra nodad
	ip -n "$R" addr add "$TPC_LINE_GW/64" dev veth-rb nodad
	ip netns exec "$R" sh -c "echo 1 >/proc/sys/net/ipv6/conf/all/forwarding" || return 1
	local l
	for l in "$A:veth-a" "$B:veth-b" "$R:veth-ra" "$R:veth-rb"; do
		ip -n "${l%%:*}" link set "${l#*:}" up || return 1
	done
	ip -n "$A" link set dev veth-a gso_max_segs 1 || return 1
	ip -n "$B" link set dev veth-b gso_max_segs 1 || return 1
	ip -n "$A" -6 route add fd00:9::2/128 via "$TPC_LINE_GW" dev veth-a || return 1
	ip -n "$B" -6 route add fd00:9::1/128 via "$TPC_LINE_GW" dev veth-b || return 1
	ip -n "$R" -6 route add fd00:9::1/128 dev veth-ra || return 1
	ip -n "$R" -6 route add fd00:9::2/128 dev veth-rb || return 1
	TPC_SHAPED="$R:veth-rb $R:veth-ra"
	for l in $TPC_SHAPED; do
		tc -n "${l%%:*}" qdisc add dev "${l#*:}" root netem delay "$2" \
			rate "$1" limit "$3" || return 1
	done
}

# Succeeds if counter $1 is at most $2 (for slowwait, which can run
# functions).
tpc_counter_at_most() {
	[ "$(tpc_counter "$1")" -le "$2" ]
}

# Succeeds if something listens on TCP port $2 in namespace $1.
listening() {
	ip netns exec "$1" ss -Htln "sport = :$2" | grep -q LISTEN
}

# Succeeds if a connection to port $2 in namespace $1 uses tpc.
conn_uses_tpc() {
	ip netns exec "$1" ss -tin "dport = :$2" | grep -qw tpc
}

# Waits until something listens on TCP port $2 in namespace $1.
wait_listen() {
	slowwait 10 listening "$1" "$2"
}

# Exits with KSFT_SKIP unless tpcctl is available.
tpc_require_tpcctl() {
	if [ -z "$TPCCTL" ]; then
		ktap_skip_all "tpcctl not available (set TPCCTL)"
		exit "$KSFT_SKIP"
	fi
}

# Kills this shell's background jobs and waits for them.
tpc_stop_jobs() {
	local p
	for p in $(jobs -p); do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}

# tpc_knob NAME VALUE: sets net.tpc.NAME (global, like the path table).
tpc_knob() {
	echo "$2" >"/proc/sys/net/tpc/$1"
}

# tpc_save_knobs NAME...: remembers those net.tpc values and init_net's
# default congestion control; tpc_restore_knobs puts them back.
declare -gA TPC_SAVED_KNOBS=()
tpc_save_knobs() {
	local k
	for k in "$@"; do
		TPC_SAVED_KNOBS[$k]=$(cat "/proc/sys/net/tpc/$k" 2>/dev/null)
	done
	TPC_SAVED_CC=$(</proc/sys/net/ipv4/tcp_congestion_control)
}

tpc_restore_knobs() {
	local k
	for k in "${!TPC_SAVED_KNOBS[@]}"; do
		[ -n "${TPC_SAVED_KNOBS[$k]}" ] && tpc_knob "$k" "${TPC_SAVED_KNOBS[$k]}"
	done
	[ -n "${TPC_SAVED_CC:-}" ] &&
		echo "$TPC_SAVED_CC" >/proc/sys/net/ipv4/tcp_congestion_control
}
