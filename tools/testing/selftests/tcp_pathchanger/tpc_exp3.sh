#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# EXP3 lowest-delay path selection (tpc.md §7, §9.5) over the SRv6 topology
# of tpc_srv6_lib.sh. The server hB runs tpc with EXP3 on for its clients'
# prefix fd00:a::/64; the client hA fetches short objects, one connection
# after the other, with the default congestion control (unmanaged: its
# requests and ACKs take the routing table's branch 0). The server's
# answers take the path EXP3 drew: path 0 (branch 0) or path 1 (branch 1's
# waypoint). The server's RTT on a path is 4 ms of hop delays plus the
# branch's B->A core delay plus branch 0's A->B core delay (3 ms): 10 ms
# on a fast branch (3 ms), 100 ms on a slow one (93 ms), as in the paper.
#
# Which path new connections take is read from the per-path "starts"
# counters of the server's table entry (tpcctl path show --json); the
# assertions are on shares of connections, never on timings.
#
# Then, on three paths and from the client side: a path that failover left
# is excluded from EXP3's draws until a probe (a connection that measured
# RTTs on it) rehabilitates it.
#
# Environment: TPC_EXP3_BYTES (object size, 40000), TPC_EXP3_HOOK (hook
# rate in bytes, 8192: several rewards per connection, so that the test
# learns in a few hundred connections; the default sysctl is 1 MB).

# shellcheck source=tpc_lib.sh
source "$(dirname "$(readlink -f "$0")")/tpc_lib.sh"
# shellcheck source=tpc_srv6_lib.sh
source "$TPC_DIR/tpc_srv6_lib.sh"
tpc_require "$HELPER" python3 tc ethtool
tpc_require_tpcctl
tpc_load

BYTES=${TPC_EXP3_BYTES:-40000}
HOOK=${TPC_EXP3_HOOK:-8192}
T0=$(date +%s)
KNOBS=(strategy exp3 exp3_gamma_ppm exp3_hook_bytes exp3_preset exp3_fail_timeout_ms)
SRV=fd00:a::/64	# the server's view: its clients
CLI=fd00:b::/64	# the client's view: the server

ktap_print_header
ktap_set_plan 9

TPC_TMP=$(mktemp -d)
tpc_save_knobs "${KNOBS[@]}"

stamp() {
	echo "# [$(($(date +%s) - T0)) s] $*"
}

# Stops the servers and removes the topology.
stop_topology() {
	tpc_stop_jobs
	srv6_teardown
	cleanup_all_ns
}

cleanup() {
	stop_topology
	srv6_remove_paths
	tpc_restore_knobs
	rm -rf "$TPC_TMP"
}
trap cleanup EXIT

# starts PREFIX: the per-path "starts" counters of PREFIX, space-separated.
starts() {
	"$TPCCTL" path show "$1" --json | python3 -c '
import json, sys
e = json.load(sys.stdin)["prefixes"][0]
print(" ".join(str(p["starts"]) for p in e["paths"]))'
}

# fetch N: N sequential fetches by hA from the server on hB.
fetch() {
	timeout 120 ip netns exec "$hA" "$HELPER" fetch fd00:b::2 8080 "$1" "$BYTES" \
		>"$TPC_TMP/fetch" && return 0
	echo "# fetch of $1 failed or timed out:"
	sed 's/^/# /' "$TPC_TMP/fetch"
	ip netns exec "$hA" ss -tin | sed 's/^/# hA: /'
	ip netns exec "$hB" ss -tin | sed 's/^/# hB: /'
	return 1
}

# share N PATH [PREFIX]: makes N connections; prints the share (0..1) of
# them that started on PATH, with the per-path counts on stderr.
share() {
	local n=$1 path=$2 pfx=${3:-$SRV} before after
	before=$(starts "$pfx")
	fetch "$n" || return 1
	after=$(starts "$pfx")
	python3 - "$before" "$after" "$path" <<-'EOF'
		import sys
		b = [int(x) for x in sys.argv[1].split()]
		a = [int(x) for x in sys.argv[2].split()]
		d = [y - x for x, y in zip(b, a)]
		print(f"# starts per path: {d}", file=sys.stderr)
		print(d[int(sys.argv[3])] / max(sum(d), 1))
	EOF
}

# weight_share PATH: path PATH's share of the EXP3 weights of the server's
# state.
weight_share() {
	"$TPCCTL" exp3 show "$SRV" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
s = s[0] if isinstance(s, list) else s["states"][0]
print(s["paths"][int(sys.argv[1])]["share"])' "$1"
}

# at_least X MIN: X >= MIN (decimals).
at_least() {
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"
}

# delays FAST SLOW: branch FAST's B->A core delay 3 ms, branch SLOW's 93 ms.
delays() {
	srv6_core_delay "$1" rev 3 && srv6_core_delay "$2" rev 93
}

# ---- Two paths, 10 ms and 100 ms ------------------------------------------

setup2() {
	srv6_setup 2 1 || return 1
	srv6_core_delay 0,1 fwd 3 && delays 0 1 || return 1
	srv6_install_paths 2 || return 1
	tpc_knob strategy 0 && tpc_knob exp3 0 && tpc_knob exp3_preset 0 || return 1
	"$TPCCTL" set exp3 on gamma 0.1 hook "$HOOK" prefix "$SRV" || return 1
	ip netns exec "$hB" "$HELPER" serve fd00:b::2 8080 tpc "$BYTES" &
	wait_listen "$hB" 8080
}
stamp "setting up 2 paths (server RTT 10 and 100 ms)"
if setup2; then
	ktap_test_pass "2-path topology, EXP3 on for $SRV (gamma 0.1, hook $HOOK)"
else
	ktap_test_fail "2-path topology, EXP3 on for $SRV"
fi

stamp "warm-up: 60 connections"
fetch 60
s=$(share 40 0)
stamp "share of path 0 (10 ms): $s"
if at_least "$s" 0.7; then
	ktap_test_pass "after warm-up, $s of new connections take the low-delay path (>= 0.7)"
else
	ktap_test_fail "after warm-up, only $s of new connections take the low-delay path"
fi

w=$(weight_share 0)
if at_least "$w" 0.8; then
	ktap_test_pass "EXP3 weights: the low-delay path holds $w of them (>= 0.8)"
else
	ktap_test_fail "EXP3 weights: the low-delay path holds only $w of them"
	"$TPCCTL" exp3 show "$SRV" | sed 's/^/# /'
fi

# Textbook EXP3 climbs back from a low weight in a number of connections
# that varies a lot between runs (each reward of the rarely drawn path
# multiplies its weight by about e^0.8): connections are made in batches
# until path 1 holds most of the weight, at most 300, then the share of
# new connections is measured. Without learning it never gets there.
stamp "swapping the delays: path 1 fast, path 0 slow"
delays 1 0
after=0
while [ $after -lt 300 ] && ! at_least "$(weight_share 1)" 0.8; do
	fetch 20
	after=$((after + 20))
done
stamp "path 1 holds $(weight_share 1) of the weights after $after connections"
s=$(share 40 1)
stamp "share of path 1 (now 10 ms): $s"
if at_least "$s" 0.6; then
	ktap_test_pass "delays swapped: $s of new connections moved to the new low-delay path (>= 0.6, after $after connections)"
else
	ktap_test_fail "delays swapped: only $s of new connections on the new low-delay path"
	"$TPCCTL" exp3 show "$SRV" | sed 's/^/# /'
fi

# Gamma 1: uniform draws, whatever the weights learned so far (path 1 is
# still the fast one).
"$TPCCTL" set exp3 on gamma 1 hook "$HOOK" prefix "$SRV"
s=$(share 80 0)
stamp "gamma 1, share of path 0: $s"
if at_least "$s" 0.3 && ! at_least "$s" 0.7; then
	ktap_test_pass "gamma 1 (uniform): path 0 gets $s of new connections (0.3..0.7)"
else
	ktap_test_fail "gamma 1 (uniform): path 0 gets $s of new connections"
fi

# ---- The SYN-ACK follows the drawn path ---------------------------------------

# Still gamma 1, path 1 fast (3 ms B->A) and path 0 slow (93 ms). The
# client's connect() lasts one SYN (routing table: branch 0, 3 ms) plus one
# SYN-ACK: about 10 ms if the SYN-ACK took branch 1, 100 ms if branch 0.
# Each connection reads the path it started on from the server. Were the
# SYN-ACKs left to the routing table (branch 0), half the connections would
# start on path 1 with a 100 ms handshake.
synack_case() {
	local before
	before=$(tpc_counter synack_paths)
	ip netns exec "$hB" "$HELPER" serve-path fd00:b::2 8081 &
	wait_listen "$hB" 8081 || return 1
	timeout 60 ip netns exec "$hA" "$HELPER" handshake fd00:b::2 8081 24 \
		>"$TPC_TMP/handshake" || {
		sed 's/^/# handshake: /' "$TPC_TMP/handshake"
		return 1
	}
	python3 - "$TPC_TMP/handshake" "$before" "$(tpc_counter synack_paths)" <<-'EOF'
		import sys
		rows = [l.split() for l in open(sys.argv[1]) if l.startswith("path ")]
		by = {0: [], 1: []}
		bad = 0
		for r in rows:
		    p, us = int(r[1]), int(r[3])
		    if p not in by:
		        print(f"# connection not on a path: {r}"); sys.exit(1)
		    by[p].append(us // 1000)
		    # path 0 slow (100 ms), path 1 fast (10 ms); 55 ms between.
		    bad += (us >= 55000) != (p == 0)
		print(f"# handshake ms on path 0: {sorted(by[0])}")
		print(f"# handshake ms on path 1: {sorted(by[1])}")
		sent = int(sys.argv[3]) - int(sys.argv[2])
		print(f"# {bad} of {len(rows)} handshakes disagree with the path; synack_paths +{sent}")
		ok = (len(rows) == 24 and len(by[0]) >= 3 and len(by[1]) >= 3
		      and bad <= 1 and sent >= len(by[1]))
		sys.exit(0 if ok else 1)
	EOF
}
stamp "SYN-ACKs on the drawn path"
if synack_case; then
	ktap_test_pass "the server's SYN-ACK takes the path EXP3 drew for the connection"
else
	ktap_test_fail "SYN-ACKs do not follow the drawn path"
fi

# ---- Bad input --------------------------------------------------------------

# refused ERRNO CMD...: CMD exits 1 and names ERRNO (or "-": any message).
refused() {
	local want=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	echo "# $* -> exit $rc: $out"
	[ $rc = 1 ] || return 1
	[ "$want" = - ] || grep -qiE "$want" <<<"$out"
}
bad_input() {
	local g
	g=$(cat /proc/sys/net/tpc/exp3_gamma_ppm)
	refused gamma "$TPCCTL" set exp3 on gamma 1.5 prefix "$SRV" &&
		refused gamma "$TPCCTL" set exp3 on gamma -0.1 &&
		! echo 1000001 >/proc/sys/net/tpc/exp3_gamma_ppm 2>/dev/null &&
		[ "$(cat /proc/sys/net/tpc/exp3_gamma_ppm)" = "$g" ] &&
		refused 'ENOENT|No such file|os error 2' "$TPCCTL" set exp3 on prefix fd00:99::/64 &&
		refused - "$TPCCTL" set exp3 on prefix fd00:a::1/64 &&
		refused - "$TPCCTL" set exp3 on keylen 129 prefix "$SRV" &&
		refused - "$TPCCTL" set exp3 inherit &&
		refused - "$TPCCTL" path replace fd00:98::/64 &&
		refused 'no EXP3 state' "$TPCCTL" exp3 show fd00:97::/64 &&
		"$HELPER" dev exp3-bad
}
if bad_input; then
	ktap_test_pass "bad input refused: gamma out of [0,1], no paths, bad prefix, bad key length"
else
	ktap_test_fail "bad input not refused as documented"
fi

# ---- Failed paths are left out of the draws ---------------------------------

stamp "3 paths, equal delays, client-side EXP3 (gamma 1)"
stop_topology
NS_LIST=()
setup3() {
	# New namespaces copy init_net's default congestion control (a netns
	# may not pick a module's by itself): hA and hB use tpc.
	echo tpc >/proc/sys/net/ipv4/tcp_congestion_control || return 1
	srv6_setup 3 1
	local rc=$?
	echo "$TPC_SAVED_CC" >/proc/sys/net/ipv4/tcp_congestion_control
	[ $rc = 0 ] && srv6_install_paths 3 || return 1
	tpc_knob strategy 1 && tpc_knob exp3 0 && tpc_knob exp3_fail_timeout_ms 0 || return 1
	"$TPCCTL" set exp3 off prefix "$SRV" || return 1
	ip netns exec "$hB" "$HELPER" serve fd00:b::2 8080 reno "$BYTES" &
	ip netns exec "$hB" "$HELPER" rsink fd00:b::2 5201 >"$TPC_TMP/rsink" &
	ip netns exec "$hB" "$HELPER" sink fd00:b::2 5202 >"$TPC_TMP/sink" &
	wait_listen "$hB" 8080 && wait_listen "$hB" 5201 && wait_listen "$hB" 5202
}
if ! setup3; then
	ktap_test_fail "3-path topology: failed path excluded"
	ktap_test_fail "3-path topology: probe"
else
	# A long flow moved to path 1 (TPC_SO_MOVE via TPC_HELPER_MOVE), then
	# branch 1 fails under it: NRTOChanger moves it to path 2 and marks
	# path 1 failed for the EXP3 state of the server's prefix, until a
	# probe (exp3_fail_timeout_ms 0: no timeout).
	# EXP3 is off while it starts (path 0, then 1), on from then on.
	TPC_HELPER_MOVE=1 ip netns exec "$hA" "$HELPER" rsource fd00:b::2 5201 250000 12 5 \
		>"$TPC_TMP/rsource" &
	sleep 2
	"$TPCCTL" set exp3 on gamma 1 hook 0 prefix "$CLI"
	srv6_fail 1 both
	marked() {
		[ "$(tpc_counter exp3_paths_failed)" -gt 0 ]
	}
	slowwait 20 marked
	stamp "path 1 failed and marked"
	failed=$(starts "$CLI")
	s=$(share 24 1 "$CLI")
	stamp "share of path 1 while failed: $s"
	if [ "$s" = 0.0 ] || [ "$s" = 0 ]; then
		ktap_test_pass "a path failover left gets no new EXP3 connections (0 of 24)"
	else
		ktap_test_fail "failed path 1 still drawn: share $s (before: $failed)"
		"$TPCCTL" exp3 show "$CLI" | sed 's/^/# /'
	fi
	srv6_heal_all
	# The probe: a connection pinned to path 1 measures RTTs there; at its
	# close the path is usable again.
	ip netns exec "$hA" "$HELPER" pin fd00:b::2 5202 1 >"$TPC_TMP/pin" ||
		sed 's/^/# /' "$TPC_TMP/pin"
	s=$(share 30 1 "$CLI")
	stamp "share of path 1 after a probe: $s"
	if at_least "$s" 0.05 && [ "$(tpc_counter exp3_paths_probed)" -ge 1 ]; then
		ktap_test_pass "after a connection's RTTs on it (a probe), the path is drawn again ($s)"
	else
		ktap_test_fail "path 1 not drawn after a probe ($s)"
		"$TPCCTL" exp3 show "$CLI" | sed 's/^/# /'
	fi
fi

ktap_finished
