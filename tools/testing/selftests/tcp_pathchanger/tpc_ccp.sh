#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The CCP datapath: the congestion control "ccp" and /dev/ccpkp.
#
# Device semantics with a byte-level prober (tpc_ccp_agent.py basics); a
# flow without agent (in-kernel Reno fallback); the window a minimal agent
# pins (tpc_ccp_agent.py pin) is what the kernel uses; then the real agent,
# tools/ccp-agent on portus 0.9.0: iperf3 -C ccp over a shaped link
# (tpc_setup_line: the bottleneck at a router namespace; 24 Mbit/s, 20 ms
# RTT, one BDP of buffer) completes while the agent sees CREATE and
# reports, and the flow's window is the one the agent sets; killing the agent mid-flow leaves the flow running
# (fallback) and a restarted agent takes it over (a new CREATE for the live
# flow, reports again).
#
# Environment: CCP_AGENT (path of ccp-agent; its cases are skipped without
# it), TPC_CCP_SECS (iperf3 seconds, 6).

source "$(dirname "$(readlink -f "$0")")/tpc_lib.sh"
tpc_require iperf3 python3 tc ss
tpc_require_tpcctl
tpc_load

PROBE=$TPC_DIR/tpc_ccp_agent.py
SECS=${TPC_CCP_SECS:-6}
# 24 Mbit/s rather than 48: an emulated (TCG) CPU forwards only about
# 32 Mbit/s through the router, and a link it cannot fill never queues or
# drops, so no flow would ever see a loss.
MBIT=24
RATE=${MBIT}mbit
DELAY=10ms
# One BDP (24 Mbit/s x 20 ms = 60 kB) of 1514-byte packets.
LIMIT=40

ktap_print_header
ktap_set_plan 10

TPC_TMP=$(mktemp -d)
cleanup() {
	[ -n "${AGENT_PID:-}" ] && kill "$AGENT_PID" 2>/dev/null
	wait 2>/dev/null
	cleanup_all_ns
	rm -rf "$TPC_TMP"
}
trap cleanup EXIT
tpc_setup_line "$RATE" "$DELAY" "$LIMIT" || ktap_exit_fail_msg "cannot set up the namespaces"

# ccp_stats: tpcctl ccp status --json.
ccp_stats() {
	"$TPCCTL" ccp status --json
}

# tpc_ccp_stat NAME: one value of it.
tpc_ccp_stat() {
	ccp_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

basics() {
	local before after
	before=$(ccp_stats) || return 1
	diag python3 "$PROBE" basics || return 1
	after=$(ccp_stats) || return 1
	# What the prober did, as the datapath's statistics count it.
	python3 - "$before" "$after" <<-'EOF'
		import json, sys
		b, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
		want = {"framing_errors": 5, "agent_busy": 1, "agent_opens": 2,
		        "unknown_sid": 1, "unknown_msgs": 1, "ignored_msgs": 1,
		        "installs_rejected": 1, "installs": 1}
		d = {k: a[k] - b[k] for k in want}
		print("# statistics: %s" % d)
		bad = [k for k in want if d[k] != want[k]]
		if a["agent_attached"] != 0:
		    bad.append("agent_attached")
		sys.exit(1 if bad else 0)
	EOF
}
ktap_test_result "/dev/ccpkp: 0600, READY on open, one agent, EAGAIN, bad writes refused and counted, still working" \
	basics

# iperf3 SECS [extra client args]: a transfer A -> B with -C ccp; leaves the
# client's JSON in $TPC_TMP/iperf.json and prints the goodput in Mbit/s.
iperf() {
	local secs=$1
	shift
	ip netns exec "$B" iperf3 -s -1 -B fd00:9::2 >/dev/null 2>&1 &
	local spid=$!
	wait_listen "$B" 5201 || return 1
	ip netns exec "$A" iperf3 -c fd00:9::2 -C ccp -t "$secs" -J "$@" >"$TPC_TMP/iperf.json" ||
		{ wait $spid; return 1; }
	wait $spid
	python3 - "$TPC_TMP/iperf.json" <<-'EOF'
		import json, sys
		e = json.load(open(sys.argv[1]))["end"]
		cc = e.get("sender_tcp_congestion")
		if cc not in (None, "ccp"):
		    sys.exit("used %s" % cc)
		print("%.2f" % (e["sum_received"]["bits_per_second"] / 1e6))
	EOF
}

# No agent: the flow runs the in-kernel fallback and fills the link.
no_agent() {
	local r
	r=$(iperf "$SECS") || return 1
	echo "# no agent: $r Mbit/s"
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 * float(sys.argv[2]) else 1)' "$r" "$MBIT"
}
ktap_test_result "no agent: iperf3 -C ccp completes at over half the link rate (fallback)" no_agent

# bulk SECS: a transfer A -> B with congestion control ccp by the helper
# (bulk -> rsink); the sender's TCP_INFO samples, every 50 ms, are left in
# $TPC_TMP/cw as "cw MS CWND SSTHRESH CA_STATE" lines. The sender samples
# itself: an ss loop is too slow for this under an emulated CPU.
bulk() {
	ip netns exec "$B" "$HELPER" rsink fd00:9::2 5202 >"$TPC_TMP/rsink" 2>&1 &
	local spid=$!
	wait_listen "$B" 5202 || return 1
	ip netns exec "$A" "$HELPER" bulk fd00:9::2 5202 ccp "$1" 50 >"$TPC_TMP/cw" ||
		{ sed 's/^/# /' "$TPC_TMP/cw" | grep -v '^# cw'; kill $spid; wait $spid; return 1; }
	wait $spid || { grep '^#' "$TPC_TMP/rsink"; return 1; }
	grep '^# bulk' "$TPC_TMP/cw"
}

# cwnd_series: the cwnd values of the last bulk run, one per line.
cwnd_series() {
	awk '$1 == "cw" { print $3 }' "$TPC_TMP/cw"
}

# ratio_at_losses FALLBACK: a transfer without agent under net.tpc.
# ccp_fallback=FALLBACK; prints, over its reductions after the first, the
# median of ssthresh / (largest cwnd sampled since the previous reduction),
# their number, and the median of (smallest cwnd in the 300 ms after a
# reduction) / ssthresh (Reno halves the window, Cubic keeps 0.7 of it,
# and the window does come down to ssthresh).
ratio_at_losses() {
	echo "$1" >/proc/sys/net/tpc/ccp_fallback
	local rc=0
	bulk 10 >/dev/null || rc=1
	echo 0 >/proc/sys/net/tpc/ccp_fallback
	[ $rc = 0 ] || return 1
	python3 - "$TPC_TMP/cw" <<-'EOF'
		import statistics, sys
		rows = [tuple(int(f) for f in l.split()[2:4]) for l in open(sys.argv[1])
		        if l.startswith("cw ")]
		cuts, peak, last = [], 0, 0
		for i, (cw, ss) in enumerate(rows):
		    if ss and ss != last and peak:
		        low = min(c for c, _ in rows[i:i + 6])
		        cuts.append((ss / peak, low / ss))
		    if ss != last:
		        peak = 0
		    peak, last = max(peak, cw), ss
		# The first reduction ends slow start (its peak is sampled poorly).
		cuts = cuts[1:]
		med = lambda k: statistics.median(c[k] for c in cuts) if cuts else 0
		print("%.2f %d %.2f" % (med(0), len(cuts), med(1)))
	EOF
}

fallback_cubic() {
	local reno cubic
	reno=$(ratio_at_losses 0) || return 1
	cubic=$(ratio_at_losses 1) || return 1
	echo "# ssthresh / window at a loss (median, reductions, lowest window after / ssthresh): reno $reno, cubic $cubic"
	python3 - $reno $cubic <<-'EOF'
		import sys
		r, rn, rlow, c, cn, clow = map(float, sys.argv[1:])
		ok = 0.4 <= r < 0.6 and 0.6 <= c <= 0.8 and rn >= 2 and cn >= 2
		sys.exit(0 if ok and rlow <= 1.1 and clow <= 1.1 else 1)
	EOF
}
ktap_test_result "no agent, net.tpc.ccp_fallback: Reno halves the window at a loss, Cubic keeps 0.7" fallback_cubic

# A minimal agent pins every flow's window at 20 packets: the kernel's cwnd
# is 20 (Reno alone would grow it to the BDP, about 40).
pinned() {
	python3 "$PROBE" pin 20 $((SECS + 4)) "$TPC_TMP/pin.log" &
	AGENT_PID=$!
	sleep 1
	bulk "$SECS"
	local rc=$?
	cwnd_series >"$TPC_TMP/cwnd"
	wait $AGENT_PID
	AGENT_PID=
	[ $rc = 0 ] || return 1
	sed 's/^/# agent: /' "$TPC_TMP/pin.log" | grep -E 'create|close' | head -5
	echo "# cwnd samples (50 ms): $(tr '\n' ' ' <"$TPC_TMP/cwnd" | cut -c1-400)"
	python3 - "$TPC_TMP/cwnd" "$TPC_TMP/pin.log" <<-'EOF'
		import re, sys
		cw = [int(x) for x in open(sys.argv[1]).read().split()]
		log = open(sys.argv[2]).read()
		creates = re.findall(r"create sid=(\d+) mss=(\d+)", log)
		reports = re.findall(r"report sid=(\d+) uid=7 acked=(\d+) cwnd=(\d+)", log)
		mss = {s: int(m) for s, m in creates}
		pinned = [r for r in reports if r[0] in mss and int(r[2]) == 20 * mss[r[0]]]
		# Every flow the agent saw ends with a CLOSE (a MEASURE without
		# fields) once its socket is released, before the agent stops.
		closed = set(re.findall(r"close sid=(\d+)", log))
		print("# %d creates, %d reports, %d with cwnd = 20 MSS, %d of the flows closed; %d of %d samples at 20"
		      % (len(creates), len(reports), len(pinned), len(closed & set(mss)), cw.count(20), len(cw)))
		ok = creates and len(reports) >= 10 and len(pinned) >= 0.8 * len(reports)
		ok = ok and closed >= set(mss)
		ok = ok and len(cw) >= 20 and cw.count(20) >= 0.7 * len(cw)
		sys.exit(0 if ok else 1)
	EOF
}
ktap_test_result "an agent's window (20 packets, CHANGE_PROG + UPDATE_FIELDS) is the flow's cwnd; CLOSE at the end" pinned

# A hung agent: it pins 20 packets, then stops answering after 5 s. With
# net.tpc.ccp_agent_timeout_ms = 500 the flow falls back to Reno, whose
# window grows past 20 (the link's BDP is about 40 packets).
hung() {
	local t0 before after
	t0=$(cat /proc/sys/net/tpc/ccp_agent_timeout_ms)
	echo 500 >/proc/sys/net/tpc/ccp_agent_timeout_ms
	before=$(tpc_ccp_stat silent_acks)
	python3 "$PROBE" pin 20 $((SECS + 8)) "$TPC_TMP/hung.log" 5 &
	AGENT_PID=$!
	sleep 1
	bulk $((SECS + 4))
	local rc=$?
	cwnd_series >"$TPC_TMP/cwnd"
	wait $AGENT_PID
	AGENT_PID=
	echo "$t0" >/proc/sys/net/tpc/ccp_agent_timeout_ms
	after=$(tpc_ccp_stat silent_acks)
	[ $rc = 0 ] || return 1
	echo "# cwnd samples (50 ms): $(tr '\n' ' ' <"$TPC_TMP/cwnd" | cut -c1-400)"
	echo "# silent_acks +$((after - before))"
	python3 - "$TPC_TMP/cwnd" "$((after - before))" <<-'EOF'
		import sys
		cw = [int(x) for x in open(sys.argv[1]).read().split()]
		# Pinned (20) while the agent answers (its first 4 s of the
		# transfer; the very first samples may predate its first update),
		# grown past 20 by the fallback in the last half second.
		head = cw[:len(cw) * 3 // 10]
		ok = len(cw) >= 40 and head.count(20) >= 0.7 * len(head)
		ok = ok and min(cw[-10:]) > 20 and int(sys.argv[2]) > 0
		sys.exit(0 if ok else 1)
	EOF
}
ktap_test_result "a hung agent (no answer for ccp_agent_timeout_ms): flows fall back to Reno" hung

# ---- The real agent: tools/ccp-agent on portus 0.9.0 -----------------------

CCP_AGENT=${CCP_AGENT:-$(command -v ccp-agent || true)}
if [ -z "$CCP_AGENT" ] || [ ! -x "$CCP_AGENT" ]; then
	for t in "portus agent: flow completes, CREATE and reports seen" \
		"portus agent: the flow's cwnd follows the agent's updates" \
		"portus agent killed mid-flow: the flow keeps going" \
		"portus agent restarted: the live flow is taken over" \
		"rmmod refused while the agent holds /dev/ccpkp"; do
		ktap_test_skip "$t (no ccp-agent; set CCP_AGENT)"
	done
	ktap_finished
fi

start_agent() {
	"$CCP_AGENT" --alg reno --ipc char --interval-ms 10 --log-file "$1" 2>>"$1.err" &
	AGENT_PID=$!
	sleep 1
	kill -0 "$AGENT_PID" 2>/dev/null || { sed 's/^/# /' "$1.err"; return 1; }
}

portus() {
	start_agent "$TPC_TMP/agent1.log" || return 1
	local r
	r=$(iperf "$SECS") || return 1
	echo "# portus reno: $r Mbit/s"
	grep -m2 -E 'create|report' "$TPC_TMP/agent1.log" | sed 's/^/# agent: /'
	grep -q 'create sid=' "$TPC_TMP/agent1.log" &&
		[ "$(grep -c 'report sid=' "$TPC_TMP/agent1.log")" -ge 3 ] &&
		python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 * float(sys.argv[2]) else 1)' "$r" "$MBIT"
}
ktap_test_result "portus agent: flow completes at over half the link rate, CREATE and reports seen" portus

# The window the datapath reports after each of the agent's first updates
# (its log keeps the first five of each) is the one the agent sent, in
# whole packets: the kernel enforced it.
follows() {
	python3 - "$TPC_TMP/agent1.log" <<-'EOF'
		import re, sys
		text = open(sys.argv[1]).read()
		mss = {k: int(v) for k, v in re.findall(r"create sid=(\d+) mss=(\d+)", text)}
		log = text.splitlines()
		events = {}
		for l in log:
		    m = re.match(r"(report|update) sid=(\d+) .*cwnd=(\d+)", l)
		    if m:
		        events.setdefault(m[2], []).append((m[1], int(m[3])))
		# The data connection: the flow with the most logged events.
		sid = max(events, key=lambda k: len(events[k]))
		ev, m = events[sid], mss.get(sid, 0)
		pairs = [(a[1], b[1]) for a, b in zip(ev, ev[1:]) if a[0] == "update" and b[0] == "report"]
		good = [p for p in pairs if m and p[1] == max(2, p[0] // m) * m]
		print("# flow %s: (update, next report's cwnd) %s; %d of %d as sent" % (sid, pairs, len(good), len(pairs)))
		sys.exit(0 if len(pairs) >= 3 and len(good) >= len(pairs) - 1 else 1)
	EOF
}
ktap_test_result "portus agent: the flow's cwnd follows the agent's updates" follows

# A 3*SECS flow; the agent is killed after SECS and restarted after 2*SECS.
takeover() {
	ip netns exec "$B" iperf3 -s -1 -B fd00:9::2 >/dev/null 2>&1 &
	local spid=$!
	wait_listen "$B" 5201 || return 1
	ip netns exec "$A" iperf3 -c fd00:9::2 -C ccp -t $((3 * SECS)) -i 1 -J \
		>"$TPC_TMP/long.json" &
	local cpid=$!
	sleep "$SECS"
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
	echo "# agent killed at ${SECS} s"
	sleep "$SECS"
	start_agent "$TPC_TMP/agent2.log" || return 1
	echo "# agent restarted at $((2 * SECS)) s"
	wait $cpid || return 1
	wait $spid
	python3 - "$TPC_TMP/long.json" "$SECS" >"$TPC_TMP/phases" <<-'EOF'
		import json, sys
		iv = json.load(open(sys.argv[1]))["intervals"]
		s = int(sys.argv[2])
		mbit = [i["sum"]["bits_per_second"] / 1e6 for i in iv]
		print(" ".join("%.0f" % m for m in mbit))
		# Whole seconds inside each phase: without agent, with the new one.
		alone = mbit[s + 1:2 * s]
		agent2 = mbit[2 * s + 2:3 * s]
		print("%.1f %.1f" % (min(alone or [0]), min(agent2 or [0])))
	EOF
	echo "# Mbit/s per second: $(head -1 "$TPC_TMP/phases")"
}
if takeover; then
	read -r alone again < <(sed -n 2p "$TPC_TMP/phases")
else
	alone=0 again=0
fi
if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.2 * float(sys.argv[2]) else 1)' "$alone" "$MBIT"; then
	ktap_test_pass "portus agent killed mid-flow: the flow keeps going (at least $alone Mbit/s each second)"
else
	ktap_test_fail "portus agent killed mid-flow: the flow stalled ($alone Mbit/s)"
fi
reports=$(grep -c 'report sid=' "$TPC_TMP/agent2.log" 2>/dev/null)
grep -m1 'create sid=' "$TPC_TMP/agent2.log" 2>/dev/null | sed 's/^/# new agent: /'
if grep -q 'create sid=' "$TPC_TMP/agent2.log" 2>/dev/null && [ "${reports:-0}" -ge 3 ] &&
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 5 else 1)' "$again"; then
	ktap_test_pass "portus agent restarted: the live flow is announced again and reports resume ($reports reports)"
else
	ktap_test_fail "portus agent restarted: the live flow was not taken over (${reports:-0} reports, $again Mbit/s)"
fi

# The open device holds the module.
if rmmod tcp_pathchanger 2>/dev/null; then
	ktap_test_fail "rmmod refused while the agent holds /dev/ccpkp"
	tpc_load
else
	ktap_test_pass "rmmod refused while the agent holds /dev/ccpkp"
fi
kill "$AGENT_PID" 2>/dev/null
wait "$AGENT_PID" 2>/dev/null
AGENT_PID=
ktap_finished
