#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Failure recovery over SRv6 (tpc.md §9.2, §9.4): one 10 Mbit/s flow
# hA -> hB, both ends with tpc, over the topology of tpc_srv6_lib.sh. Path
# 0 of both hosts is the routing table's branch 0, path k the waypoint of
# branch k. Branch 0's core link then fails (netem loss 100%, per
# direction) and the module must move the connection: the sender on RTOs
# (NRTOChanger) or after T (TimeoutChanger), the receiver on duplicate
# data. Move events come from "tpcctl monitor"; delivery from the byte log
# of tpc_helper's rsink. The traffic is tpc_helper rsource (paced like
# iperf3 -b 10M) rather than iperf3: one connection per flow, no control
# connection of its own on the failing path, and per-100 ms byte counts.
#
# Which side has to move (the receiver only ever sends ACKs):
#   both ways  the client on RTOs; then the server, which sees the client's
#              retransmissions of data it already had as duplicates while
#              its ACKs are still lost on path 0
#   data only  the client on RTOs; its retransmissions are new data for
#              the server, whose ACKs get back over path 0
#   ACKs only  the server: the client's RTO retransmissions still arrive
#              over path 0 as duplicates, and the M-th makes the server
#              move its ACKs, before the client's N-th RTO
#
# Environment: TPC_FO_RATE (bytes/s, 1250000), TPC_FO_FAIL_AT (2, seconds
# into the flow), TPC_FO_AFTER (8, seconds of flow after the failure;
# twice that plus 2 with 3 paths), TPC_FO_LOGS (a directory to keep the
# flows' logs and events in), TPC_FO_DEBUG (save both hosts' nstat
# counters after each flow there too).

# shellcheck source=tpc_lib.sh
source "$(dirname "$(readlink -f "$0")")/tpc_lib.sh"
# shellcheck source=tpc_srv6_lib.sh
source "$TPC_DIR/tpc_srv6_lib.sh"
tpc_require "$HELPER" python3 tc ethtool
tpc_require_tpcctl
tpc_load

RATE=${TPC_FO_RATE:-1250000}
AFTER=${TPC_FO_AFTER:-8}
FAIL_AT=${TPC_FO_FAIL_AT:-2}
DRAIN=20
T0=$(date +%s)
KNOBS=(strategy failover_rtos failover_dups failover_timeout_ms count_old_data)

ktap_print_header
ktap_set_plan 17

TPC_TMP=$(mktemp -d)
tpc_save_knobs "${KNOBS[@]}"
MON=

stamp() {
	echo "# [$(($(date +%s) - T0)) s] $*"
}

cleanup() {
	tpc_stop_jobs
	[ -n "${TPC_FO_LOGS:-}" ] && cp -r "$TPC_TMP/." "$TPC_FO_LOGS/"
	srv6_teardown
	cleanup_all_ns
	srv6_remove_paths
	tpc_restore_knobs
	rm -rf "$TPC_TMP"
}
trap cleanup EXIT

# NRTOChanger(3, 2), the paper's setting.
nrto() {
	tpc_knob strategy 1 && tpc_knob failover_rtos 3 && tpc_knob failover_dups 2
}

# New namespaces copy init_net's default congestion control: both ends of
# every connection use tpc, the passive one included.
echo tpc >/proc/sys/net/ipv4/tcp_congestion_control ||
	ktap_exit_fail_msg "cannot make tpc init_net's default congestion control"

"$TPCCTL" monitor --json >"$TPC_TMP/events" 2>"$TPC_TMP/monitor.err" &
MON=$!
monitor_ready() {
	local f
	for f in "/proc/$MON/fd/"*; do
		[ "$(readlink "$f")" = /dev/tpc ] && return 0
	done
	return 1
}
slowwait 10 monitor_ready || echo "# tpcctl monitor did not start: $(cat "$TPC_TMP/monitor.err")"
sleep 0.5

monitor_alive() {
	kill -0 "$MON" 2>/dev/null ||
		echo "# tpcctl monitor exited: $(cat "$TPC_TMP/monitor.err")"
}

# Each branch on its own, with a listener on hB for the handshakes.
branches() {
	local rc=0 lpid
	ip netns exec "$hB" "$HELPER" listen "$SRV6_B" 5399 >/dev/null 2>&1 &
	lpid=$!
	wait_listen "$hB" 5399 && srv6_check_branches 5399 || rc=1
	kill "$lpid"
	wait "$lpid" 2>/dev/null
	stamp "branches checked"
	return $rc
}

# run_flow TAG PORT AFTER DRAIN FAILURE-COMMAND...
# One flow hA -> hB:PORT at RATE: FAIL_AT s into it the failure command
# runs, AFTER s after that the source stops sending and then waits up to
# DRAIN s for its data to be acknowledged. Leaves in $TPC_TMP/TAG: sink
# and source (the helpers' logs), source.rc, sink.rc, fail0 and fail1
# (CLOCK_MONOTONIC ms before and after the failure command; tc can take
# seconds under emulation while the flow loads the CPUs). Heals every
# branch afterwards.
run_flow() {
	local tag=$1 port=$2 after=$3 drain=$4
	shift 4
	local d=$TPC_TMP/$tag spid cpid src_rc i
	mkdir -p "$d"
	stamp "flow $tag"
	ip netns exec "$hB" "$HELPER" rsink "$SRV6_B" "$port" >"$d/sink" 2>&1 &
	spid=$!
	wait_listen "$hB" "$port" || return 1
	ip netns exec "$hA" "$HELPER" rsource "$SRV6_B" "$port" "$RATE" \
		$((FAIL_AT + after + 60)) "$drain" "$d/stop" >"$d/source" 2>&1 &
	cpid=$!
	sleep "$FAIL_AT"
	"$HELPER" now >"$d/fail0"
	"$@" || echo "# failure injection '$*' failed"
	"$HELPER" now >"$d/fail1"
	stamp "failure injected in $(($(cat "$d/fail1") - $(cat "$d/fail0"))) ms"
	sleep "$after"
	touch "$d/stop"
	wait "$cpid"
	src_rc=$?
	echo $src_rc >"$d/source.rc"
	# The sink ends at the source's EOF after a drained flow; a source
	# that gave up reset a connection the sink may never hear of.
	for ((i = 0; i < 50; i++)); do
		if [ $src_rc != 0 ] || ! kill -0 "$spid" 2>/dev/null; then
			break
		fi
		sleep 0.2
	done
	kill "$spid" 2>/dev/null
	wait "$spid"
	echo $? >"$d/sink.rc"
	if [ -n "${TPC_FO_DEBUG:-}" ]; then
		ip netns exec "$hA" nstat -as >"$d/nstat.client" 2>&1
		ip netns exec "$hB" nstat -as >"$d/nstat.server" 2>&1
	fi
	srv6_heal_all
	stamp "flow $tag done"
	return 0
}

# analyze TAG PORT recover|stall SPEC...: judges flow TAG in one go
# (python3 costs seconds to start in the guest). Prints the flow's move
# events (time after the failure), final paths and delivery as
# diagnostics, and leaves ok.GROUP or fail.GROUP (the reasons) in its
# directory for the groups client, server (the SPECs of that side) and
# delivery:
#   client:REASONS:OLD>NEW   an event of the client socket (saddr hA,
#   server:REASONS:OLD>NEW   dport PORT) or the server's after the failure
#                            with one of REASONS (comma-separated) from
#                            path OLD to NEW; several SPECs of a side match
#                            in order
#   SIDE:none                no move (reason other than init) at all
#   SIDE@K                   the side's last TPC_SO_INFO says path K
#   recover                  each of the last 3 s of sending, all at least
#                            3 s after the failure, delivered data, and the
#                            transfer completed intact (source drained,
#                            sink saw EOF, byte counts agree)
#   stall                    nothing was delivered from 1 s after the
#                            failure until the source stopped sending
analyze() {
	local tag=$1
	shift
	python3 - "$TPC_TMP/events" "$TPC_TMP/$tag" "$SRV6_A" "$SRV6_B" "$@" <<'PY'
import json, os, sys
evfile, d, a, b, port, mode = sys.argv[1:7]
port = int(port)
specs = sys.argv[7:]
fails = {"client": [], "server": [], "delivery": []}

def read(name):
    try:
        return open(os.path.join(d, name)).read()
    except OSError:
        return ""

def lines(name):
    return [l.split() for l in read(name).splitlines()]

fail0, fail1 = int(read("fail0") or 0), int(read("fail1") or 0)

# Events.
evs = {"client": [], "server": []}
try:
    evlines = open(evfile).read().splitlines()
except OSError:
    evlines = []
for line in evlines:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("saddr") == a and e.get("dport") == port:
        evs["client"].append(e)
    elif e.get("saddr") == b and e.get("sport") == port:
        evs["server"].append(e)
for side in ("client", "server"):
    for e in evs[side]:
        print("# %s %s:%d: %s %d->%d at %+d ms" % (
            side, e["saddr"], e["sport"], e["reason"], e["old"], e["new"],
            e["ktime_ns"] // 1000000 - fail0))
    if not evs[side]:
        print("# %s: no events" % side)
    early = [e for e in evs[side] if e["reason"] != "init" and e["ktime_ns"] // 1000000 < fail0]
    if early:
        print("# warning: %d %s moves before the failure (spurious retransmissions?)" % (
            len(early), side))

def last_path(log):
    path = None
    for w in lines(log):
        if w[:1] == ["info"] and "path" in w:
            path = int(w[w.index("path") + 1])
    return path
paths = {"client": last_path("source"), "server": last_path("sink")}
print("# final paths (TPC_SO_INFO): client %s, server %s" % (paths["client"], paths["server"]))

pos = {"client": 0, "server": 0}
for s in specs:
    if "@" in s:
        side, k = s.split("@")
        if paths[side] != int(k):
            fails[side].append("expected the %s to end on path %s" % (side, k))
        continue
    side, rest = s.split(":", 1)
    if rest == "none":
        moves = [e for e in evs[side] if e["reason"] != "init"]
        if moves:
            fails[side].append("expected no %s moves" % side)
        continue
    reasons, move = rest.split(":")
    old, new = (int(x) for x in move.split(">"))
    for i in range(pos[side], len(evs[side])):
        e = evs[side][i]
        if e["ktime_ns"] // 1000000 < fail0:
            continue
        if e["reason"] in reasons.split(",") and e["old"] == old and e["new"] == new:
            pos[side] = i + 1
            break
    else:
        fails[side].append("missing %s event %s" % (side, rest))

# Delivery.
rx = [(int(w[1]), int(w[2])) for w in lines("sink") if w[:1] == ["rx"]]
sent_end = [int(w[1]) for w in lines("source") if w[:1] == ["sent-end"]]
done = {}
for log in ("sink", "source"):
    for w in lines(log):
        if w[:1] == ["done"]:
            done[log] = int(w[2])

def at(t):
    n = 0
    for ts, b in rx:
        if ts > t:
            break
        n = b
    return n

if not rx or not sent_end or not fail1:
    fails["delivery"].append("no flow")
    for l in (read("sink") + read("source")).splitlines()[-12:]:
        print("# " + l)
else:
    sent_end = sent_end[0]
    stall, last_t, last_b = 0, fail1, at(fail1)
    for ts, n in rx:
        if ts > fail1 and n > last_b:
            stall = max(stall, ts - last_t)
            last_t, last_b = ts, n
    if rx[-1][1] == last_b:
        stall = max(stall, rx[-1][0] - last_t)
    print("# failure %d ms into the flow (tc took %d ms), sending stopped %d ms after it" % (
        fail0 - rx[0][0], fail1 - fail0, sent_end - fail1))
    print("# delivered: %d bytes before the failure, %d after; longest stall after it %d ms" % (
        at(fail1), rx[-1][1] - at(fail1), stall))
    if mode == "stall":
        moved = at(sent_end) - at(fail1 + 1000)
        print("# delivered from failure+1 s to the end of sending: %d bytes" % moved)
        if moved:
            fails["delivery"].append("the flow did not stall")
    else:
        if sent_end - 3000 < fail1 + 3000:
            fails["delivery"].append("flow too short after the failure")
        per_s = [at(sent_end - (k - 1) * 1000) - at(sent_end - k * 1000) for k in (3, 2, 1)]
        print("# last 3 s of sending: %s bytes" % per_s)
        if min(per_s) <= 0:
            fails["delivery"].append("no delivery in one of the last 3 s of sending")
        rcs = (read("source.rc").strip(), read("sink.rc").strip())
        print("# source exit %s, sink exit %s; bytes sent %s, received intact %s" % (
            rcs[0], rcs[1], done.get("source"), done.get("sink")))
        if rcs != ("0", "0") or done.get("source") is None or done.get("source") != done.get("sink"):
            fails["delivery"].append("the transfer did not complete")
for g, f in fails.items():
    if f:
        open(os.path.join(d, "fail." + g), "w").write("".join(x + "\n" for x in f))
    else:
        open(os.path.join(d, "ok." + g), "w").close()
PY
}

# verdict TAG GROUP: the outcome of one group of checks of analyze.
verdict() {
	local d=$TPC_TMP/$1
	[ -e "$d/fail.$2" ] && sed 's/^/# /' "$d/fail.$2"
	[ -e "$d/ok.$2" ]
}

# --- 2 paths ---------------------------------------------------------------

stamp "setting up 2 paths"
srv6_setup 2 || ktap_exit_fail_msg "cannot set up the 2-path SRv6 topology"
stamp "topology ready"
ktap_test_result "2 paths: each SRv6 branch forwards on its own (inline SRH routes), netem loss blackholes it" \
	branches
monitor_alive
srv6_install_paths 2 || echo "# installing the paths failed"

# b. NRTOChanger(3, 2), both directions of path 0 fail.
nrto
run_flow nrto 5301 "$AFTER" "$DRAIN" srv6_fail 0 both
analyze nrto 5301 recover client:rto:0\>1 client@1 server:dupdata,rto:0\>1 server@1
ktap_test_result "NRTO(3,2), path 0 fails both ways: the client moves 0->1 on RTOs" \
	verdict nrto client
ktap_test_result "NRTO(3,2), path 0 fails both ways: the server moves 0->1 on duplicate data" \
	verdict nrto server
ktap_test_result "NRTO(3,2), path 0 fails both ways: delivery resumes, the transfer completes" \
	verdict nrto delivery

# c. TimeoutChanger(700 ms, 2).
tpc_knob strategy 2 && tpc_knob failover_timeout_ms 700 && tpc_knob failover_dups 2
run_flow timeout 5302 "$AFTER" "$DRAIN" srv6_fail 0 both
analyze timeout 5302 recover client:timeout:0\>1 client@1 server:dupdata,rto:0\>1 server@1
ktap_test_result "Timeout(700ms,2), path 0 fails both ways: the client moves 0->1 on timeout" \
	verdict timeout client
ktap_test_result "Timeout(700ms,2), path 0 fails both ways: the server moves 0->1 on duplicate data" \
	verdict timeout server
ktap_test_result "Timeout(700ms,2), path 0 fails both ways: delivery resumes, the transfer completes" \
	verdict timeout delivery

# d. Control: no strategy, no recovery.
tpc_knob strategy 0
run_flow off 5303 4 1 srv6_fail 0 both
analyze off 5303 stall client:none server:none
off_moves() { verdict off client && verdict off server; }
ktap_test_result "strategy off, path 0 fails both ways: no connection moves" off_moves
ktap_test_result "strategy off, path 0 fails both ways: the flow stalls" verdict off delivery

# f. Data direction only: only the sender has to move.
nrto
run_flow fwd 5304 "$AFTER" "$DRAIN" srv6_fail 0 fwd
analyze fwd 5304 recover client:rto:0\>1 client@1
ktap_test_result "NRTO(3,2), path 0 fails A->B only: the client (sender) moves 0->1 on RTOs" \
	verdict fwd client
ktap_test_result "NRTO(3,2), path 0 fails A->B only: delivery resumes, the transfer completes" \
	verdict fwd delivery

# g. ACK direction only: only the receiver has to move.
run_flow rev 5305 "$AFTER" "$DRAIN" srv6_fail 0 rev
analyze rev 5305 recover server:dupdata:0\>1 server@1
ktap_test_result "NRTO(3,2), path 0 fails B->A only: the server (receiver) moves 0->1 on duplicate data" \
	verdict rev server
ktap_test_result "NRTO(3,2), path 0 fails B->A only: delivery resumes, the transfer completes" \
	verdict rev delivery

# --- 3 paths ---------------------------------------------------------------

stamp "setting up 3 paths"
srv6_teardown
srv6_setup 3 || ktap_exit_fail_msg "cannot set up the 3-path SRv6 topology"
stamp "topology ready"
ktap_test_result "3 paths: each SRv6 branch forwards on its own (inline SRH routes), netem loss blackholes it" \
	branches
monitor_alive
srv6_install_paths 3 || echo "# installing the paths failed"

# e. Paths 0 and 1 fail both ways: the flow must end on path 2, the server
# too. The client may cycle through the paths more than once first (3
# RTOs, about 7 RTTs' worth of backed-off timeouts, per path): the server
# needs M duplicates per move while the client is on path 2. Those are
# often retransmissions of the last segment the server acknowledged, which
# the original did not count (its ACKs were lost, so it had nothing newer):
# count them (net.tpc.count_old_data), or the server may never move.
nrto
tpc_knob count_old_data 1
run_flow three 5306 $((AFTER * 2 + 2)) "$DRAIN" srv6_fail 0,1 both
analyze three 5306 recover client:rto:0\>1 client:rto:1\>2 client@2 server@2
ktap_test_result "NRTO(3,2), 3 paths, paths 0 and 1 fail: the client moves 0->1, then 1->2, and ends on 2" \
	verdict three client
ktap_test_result "NRTO(3,2), 3 paths, paths 0 and 1 fail: the server ends on path 2" \
	verdict three server
ktap_test_result "NRTO(3,2), 3 paths, paths 0 and 1 fail: data flows again at the end, the transfer completes" \
	verdict three delivery

stamp "done"
ktap_finished
