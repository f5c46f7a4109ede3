#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest part of scripts/bench-ccp.sh (runs inside the QEMU guest):
#   ccp-guest.sh OUT TOP SECS PARTS MBIT
# PARTS: comma-separated subset of fidelity,loopback,ipc,flows.
#
# fidelity  two namespaces through a router namespace whose two egress
#           qdiscs are the link (netem: MBIT Mbit/s, 10 ms each way, one
#           BDP of one-MSS packets of buffer; tpc_setup_line):
#           links "fixed", "lossy" (0.01 % stochastic loss each way) and
#           "variable" (the rate alternates MBIT / MBIT/2 every 2 s);
#           per link, iperf3 -t SECS -i 0.1 with the kernel's reno and
#           cubic and with ccp driven by ccp-agent --alg reno / cubic
#           (10 ms reports). Raw: OUT/raw/fidelity/<link>_<cc>.json.
# loopback  iperf3 over ::1 in one namespace: reno, ccp with per-ACK
#           reports, ccp with 10 ms reports. Raw: OUT/raw/loopback/<cc>.json.
# ipc       10000 16-byte round trips through /dev/ccpkp (ECHO) and through
#           a Unix-domain socket echo process. Raw: OUT/raw/ipc/<kind>.ns.
# flows     1, 4, 16 and 64 parallel ccp flows (iperf3 -P) on the fixed
#           link with ccp-agent (10 ms reports), and the same with the
#           kernel's reno: throughput, system CPU (/proc/stat) and the
#           agent's CPU (/proc/PID/stat). Raw: OUT/raw/flows/<cc>_<n>.json
#           plus .cpu files (key=value).
out=$1
top=$2
secs=$3
parts=$4
mbit=$5
. "$top/scripts/guest-env.sh"
sel=$out/kselftest/tcp_pathchanger
# shellcheck source=../testing/selftests/tcp_pathchanger/tpc_lib.sh
. "$sel/tpc_lib.sh"

RATE=${mbit}mbit
DELAY=10ms
# One BDP (20 ms) of 1514-byte packets.
LIMIT=$(( mbit * 1000000 / 8 * 20 / 1000 / 1514 ))
HELPER=$sel/tpc_helper
AGENT_PID=

log() {
	echo "ccp-guest: $*" >&2
}

stop_agent() {
	if [ -n "$AGENT_PID" ]; then
		kill "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
	fi
	AGENT_PID=
}

# start_agent ALG ARGS...: ccp-agent in the background, its log in OUT/raw.
start_agent() {
	local alg=$1
	shift
	"$CCP_AGENT" --alg "$alg" "$@" --log-file "$out/raw/agent-$alg.log" \
		2>>"$out/raw/agent-$alg.err" &
	AGENT_PID=$!
	sleep 1
	kill -0 "$AGENT_PID" 2>/dev/null || { log "ccp-agent did not start"; return 1; }
}

cleanup() {
	stop_agent
	[ -n "${VAR_PID:-}" ] && kill "$VAR_PID" 2>/dev/null
	cleanup_all_ns
}
trap cleanup EXIT

tpc_load
mkdir -p "$out/raw"

# iperf_ab FILE CC ARGS...: iperf3 A -> B with congestion control CC.
iperf_ab() {
	local file=$1 cc=$2
	shift 2
	ip netns exec "$B" iperf3 -s -1 -B fd00:9::2 >/dev/null 2>&1 &
	local spid=$!
	wait_listen "$B" 5201 || return 1
	ip netns exec "$A" iperf3 -c fd00:9::2 -C "$cc" -J "$@" >"$file" ||
		log "iperf3 $cc failed: $(head -c 300 "$file")"
	wait $spid
}

# run_cc FILE CC: the kernel's CC, or ccp-<alg> with the agent.
run_cc() {
	local file=$1 cc=$2
	shift 2
	case $cc in
	ccp-*)
		start_agent "${cc#ccp-}" --interval-ms 10 || return 1
		iperf_ab "$file" ccp "$@"
		stop_agent
		;;
	*) iperf_ab "$file" "$cc" "$@" ;;
	esac
}

# shape LINK: the netem settings of link LINK at both ends.
shape() {
	local extra=
	[ "$1" = lossy ] && extra="loss 0.01%"
	local l
	for l in $TPC_SHAPED; do
		# shellcheck disable=SC2086 # extra is several words
		tc -n "${l%%:*}" qdisc change dev "${l#*:}" root netem delay "$DELAY" \
			rate "$RATE" limit "$LIMIT" $extra
	done
}

# Alternates the rate between MBIT and MBIT/2 every 2 s (both directions).
vary() {
	local r=$(( mbit / 2 ))mbit l
	while :; do
		sleep 2
		for l in $TPC_SHAPED; do
			tc -n "${l%%:*}" qdisc change dev "${l#*:}" root netem delay "$DELAY" \
				rate "$r" limit "$LIMIT"
		done
		[ "$r" = "$RATE" ] && r=$(( mbit / 2 ))mbit || r=$RATE
	done
}

fidelity() {
	mkdir -p "$out/raw/fidelity"
	local link cc
	for link in fixed lossy variable; do
		shape "$link"
		for cc in reno cubic ccp-reno ccp-cubic; do
			log "fidelity: $link $cc"
			VAR_PID=
			if [ $link = variable ]; then
				shape fixed
				vary &
				VAR_PID=$!
			fi
			run_cc "$out/raw/fidelity/${link}_$cc.json" "$cc" -t "$secs" -i 0.1
			if [ -n "$VAR_PID" ]; then
				kill "$VAR_PID"
				wait "$VAR_PID" 2>/dev/null
				VAR_PID=
			fi
		done
	done
	shape fixed
}

loopback() {
	mkdir -p "$out/raw/loopback"
	local ns=lo-bench
	ip netns add $ns
	ip -n $ns link set lo up
	local name args
	for name in reno ccp-ack ccp-10ms; do
		log "loopback: $name"
		case $name in
		ccp-ack) start_agent reno --per-ack || return 1 ;;
		ccp-10ms) start_agent reno --interval-ms 10 || return 1 ;;
		esac
		ip netns exec $ns iperf3 -s -1 -B ::1 >/dev/null 2>&1 &
		local spid=$!
		sleep 1
		args=(-C reno)
		[ "$name" != reno ] && args=(-C ccp)
		ip netns exec $ns iperf3 -c ::1 -t "$secs" -J "${args[@]}" \
			>"$out/raw/loopback/$name.json"
		wait $spid
		stop_agent
	done
	ip netns del $ns
}

ipc() {
	mkdir -p "$out/raw/ipc"
	local kind
	for kind in ccp uds; do
		log "ipc: $kind"
		"$HELPER" ipc-rtt "$kind" 10000 "$out/raw/ipc/$kind.ns" >&2
	done
}

# cpu_ticks: "busy total" jiffies of all CPUs.
cpu_ticks() {
	awk '/^cpu /{ b = $2 + $3 + $4 + $7 + $8; t = b + $5 + $6; print b, t }' /proc/stat
}

# proc_ticks PID: utime + stime of a process.
proc_ticks() {
	[ -n "$1" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

flows() {
	mkdir -p "$out/raw/flows"
	local n cc
	for n in 1 4 16 64; do
		for cc in reno ccp; do
			log "flows: $cc x $n"
			[ $cc = ccp ] && { start_agent reno --interval-ms 10 || return 1; }
			local c0 a0 c1 a1
			c0=$(cpu_ticks)
			a0=$(proc_ticks "$AGENT_PID")
			iperf_ab "$out/raw/flows/${cc}_$n.json" "$cc" -t "$secs" -P "$n"
			c1=$(cpu_ticks)
			a1=$(proc_ticks "$AGENT_PID")
			printf 'cpu0=%s\ncpu1=%s\nagent0=%s\nagent1=%s\nhz=%s\n' \
				"${c0// /,}" "${c1// /,}" "$a0" "$a1" "$(getconf CLK_TCK)" \
				>"$out/raw/flows/${cc}_$n.cpu"
			stop_agent
		done
	done
}

# The bottleneck at a router (R), one-MSS packets: LIMIT is one BDP.
tpc_setup_line "$RATE" "$DELAY" "$LIMIT" || { log "cannot set up the namespaces"; exit 1; }
for p in ${parts//,/ }; do
	case $p in
	fidelity | loopback | ipc | flows) "$p" ;;
	*) log "unknown part $p"; exit 2 ;;
	esac
done
"$TPCCTL" ccp status --json >"$out/raw/ccp-status.json"
log "done"
