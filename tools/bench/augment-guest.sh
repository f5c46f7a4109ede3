#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest part of scripts/bench-augment.sh (runs inside the QEMU guest):
#   augment-guest.sh OUT TOP DURATION RTTS LOAD_BIN LOAD_MBIT SEED INITCWNDS
#                    CONFIGS ROUNDS RATE_MBIT
# RTTS: comma-separated RTTs in ms (e.g. 20,80). INITCWNDS: the static
# route initcwnd sweep, "auto" (20,40,80 at 20 ms, 40,80,160 at 80 ms,
# BDP/8, BDP/4, BDP/2 packets otherwise) or a comma-separated list used at
# every RTT (the 20/80 ms defaults are for 100 Mbit/s; other rates use the
# BDP fractions). RATE_MBIT: the link rate (default 100). CONFIGS: "auto"
# (iw10, the static sweep, augmenter, augmenter-nopace) or a comma-separated list of iw10, static<N>, fixed<N>
# (Augmenter's policy fixed N), augmenter, augmenter-nopace (learned with
# augment_pacing 0); a suffix .K (iw10.2) runs one again under another
# name.
# ROUNDS: every configuration runs ROUNDS times per RTT, the list in order
# in odd rounds and reversed in even ones (the TCG guest's speed drifts
# with the host's load; interleaving spreads that over all configurations).
#
# Three namespaces on a line through a router (tpc_setup_line): the server
# A (fd00:9::1) runs "LOAD_BIN serve" (tpc_helper serve-iw's protocol and
# "iw" lines, one epoll loop instead of a process per connection) with
# tpc, the client B (fd00:9::2) downloads. netem on both of the router's
# egresses: RATE_MBIT, RTT/2 each way, a limit of one BDP of 1514-byte
# packets; the senders send one-MSS packets. The bottleneck queue is at
# the router, so an overflow is a loss the server must detect and repair
# (at the server's own qdisc it would be a local drop: CWR and a silent
# retry, no retransmission). The client's tcp_rmem lets its first ACK
# announce ~512 kB; tcp_no_metrics_save=1 on both sides so no configuration inherits cached
# metrics from the one before.
# Failover is off (one direct path, strategy 0).
#
# Per RTT and configuration (iw10: Augmenter off, no route initcwnd;
# static<N>: Augmenter off, server route to the client with initcwnd N;
# augmenter: policy learned): a fresh pair of servers (short flows, long
# flow), the long flow (tpc_helper get of 100 GB; started with Augmenter
# off and no route initcwnd, the configuration applied 1 s later, so the
# background is the same in every configuration) for WARM s alone, then
# LOAD_BIN (augment-load: Poisson arrivals, log-uniform 10 kB - 1 MB,
# LOAD_MBIT offered, seed SEED) for DURATION s plus the stragglers; then
# the long flow is stopped. Raw data in OUT/raw/rtt<R>/<config>/r<round>/:
#   flows.txt           augment-load's per-flow lines
#   load.err            its summary
#   iw.log              the server's "iw MS CWND mss MSS" per short flow
#   long.log            the long flow's "rx MS BYTES" lines
#   long.ss             ss -tin of the long flow on the server at the end
#   snmp0/1, netstat0/1 the server's /proc/net/snmp and netstat before/after
#   qdisc0/1            tc -s qdisc of the router towards the client, then
#                       towards the server, before/after
#   status0/1.json      tpcctl --json status before/after
#   augment0/1.json     tpcctl --json augment show before the load / at the end
#   times               key=value: CLOCK_MONOTONIC ms of the steps, settings
out=$1
top=$2
duration=$3
rtts=$4
load_bin=$5
load_mbit=$6
seed=$7
initcwnds=$8
configs=${9:-auto}
rounds=${10:-1}
. "$top/scripts/guest-env.sh"
sel=$out/kselftest/tcp_pathchanger
# shellcheck source=../testing/selftests/tcp_pathchanger/tpc_lib.sh
. "$sel/tpc_lib.sh"

rate_mbit=${11:-100}
RATE=${rate_mbit}mbit
RATE_BPS=$(( rate_mbit * 1000000 ))
SRV=fd00:9::1
CLI=fd00:9::2
PFX=fd00:9::2/128
PORT_SHORT=7411
PORT_LONG=7412
BIG_RMEM="4096 1048576 16777216"
MIN_B=10000
MAX_B=1000000
WARM=6		# s of the long flow alone before the short flows
GRACE=20	# s after DURATION before unfinished short flows are given up
HELPER=$sel/tpc_helper
SRV_PIDS=()
LONG_PID=

log() {
	echo "augment-guest: $*" >&2
}

stop_servers() {
	local p
	[ -n "$LONG_PID" ] && kill "$LONG_PID" 2>/dev/null && wait "$LONG_PID" 2>/dev/null
	LONG_PID=
	for p in "${SRV_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SRV_PIDS=()
}

cleanup() {
	stop_servers
	"$TPCCTL" path del "$PFX" >/dev/null 2>&1
	cleanup_all_ns
}
trap cleanup EXIT

tpc_load
tpc_knob strategy 0 || exit 1

# CLOCK_MONOTONIC in ms (the helpers' clock), cheaply: bash's
# $EPOCHREALTIME minus an offset measured once (no NTP in the guest).
mono_offset_us=$(python3 -c 'import time; print(time.time_ns() // 1000 - time.monotonic_ns() // 1000)')
mono_ms() {
	local r=${EPOCHREALTIME/./}
	echo $(( (r - mono_offset_us) / 1000 ))
}

# Scratch space in the guest's memory; copied to OUT per configuration.
tmp=$(mktemp -d)

# shape RTT_MS: netem at both ends, RTT/2 each way, one BDP of buffer.
shape() {
	local rtt=$1 ns dev limit
	limit=$(( RATE_BPS / 8 * rtt / 1000 / 1514 ))
	for ns in $TPC_SHAPED; do
		dev=${ns#*:}
		ns=${ns%%:*}
		tc -n "$ns" qdisc change dev "$dev" root netem delay "$((rtt / 2))ms" \
			rate "$RATE" limit "$limit" || return 1
	done
	echo "$limit"
}

# sweep RTT_MS: the static initcwnd values tried at this RTT.
sweep() {
	local rtt=$1 bdp
	if [ "$initcwnds" != auto ]; then
		echo "${initcwnds//,/ }"
		return
	fi
	case $RATE_BPS:$rtt in
	100000000:20) echo "20 40 80" ;;
	100000000:80) echo "40 80 160" ;;
	*)
		bdp=$(( RATE_BPS / 8 * rtt / 1000 / 1448 ))
		echo "$(( bdp / 8 > 10 ? bdp / 8 : 11 )) $(( bdp / 4 > 10 ? bdp / 4 : 12 )) $(( bdp / 2 > 10 ? bdp / 2 : 13 ))"
		;;
	esac
}

# policy CONFIG: Augmenter policy and the server's route for CONFIG.
policy() {
	ip -n "$A" -6 route replace "$CLI/128" via "$TPC_LINE_GW" dev veth-a || return 1
	tpc_knob augment_pacing 1
	case ${1%.*} in
	iw10) "$TPCCTL" augment set "$PFX" off ;;
	augmenter) "$TPCCTL" augment set "$PFX" learned ;;
	augmenter-nopace)
		"$TPCCTL" augment set "$PFX" learned && tpc_knob augment_pacing 0 ;;
	fixed*) "$TPCCTL" augment set "$PFX" fixed "${1#fixed}" ;;
	static*)
		"$TPCCTL" augment set "$PFX" off &&
			ip -n "$A" -6 route replace "$CLI/128" via "$TPC_LINE_GW" dev veth-a \
				initcwnd "${1#static}"
		;;
	*) return 1 ;;
	esac
}

snapshot() {
	local dir=$1 k=$2
	ip netns exec "$A" cat /proc/net/snmp >"$dir/snmp$k"
	ip netns exec "$A" cat /proc/net/netstat >"$dir/netstat$k"
	{
		tc -s -n "$R" qdisc show dev veth-rb
		tc -s -n "$R" qdisc show dev veth-ra
	} >"$dir/qdisc$k"
	"$TPCCTL" --json status >"$dir/status$k.json" 2>&1
}

# cpu_ticks: "busy total" jiffies of all CPUs.
cpu_ticks() {
	awk '/^cpu /{ b = $2 + $3 + $4 + $7 + $8; t = b + $5 + $6; print b, t }' /proc/stat
}

# one_config RTT_MS LIMIT CONFIG ROUND
one_config() {
	local rtt=$1 limit=$2 cfg=$3 dir=$out/raw/rtt$1/$3/r$4
	local t_warm t_load t_end c0 c1 w0 w1 rc=0
	mkdir -p "$dir"
	rm -f "$tmp"/*
	log "rtt $rtt ms: $cfg, round $4"
	policy iw10 >/dev/null || { log "cannot reset the policy"; return 1; }
	ip netns exec "$A" "$load_bin" serve "$SRV" "$PORT_SHORT" tpc >"$tmp/iw.log" 2>&1 &
	SRV_PIDS+=($!)
	ip netns exec "$A" "$load_bin" serve "$SRV" "$PORT_LONG" tpc >"$tmp/long-iw.log" 2>&1 &
	SRV_PIDS+=($!)
	if ! wait_listen "$A" "$PORT_SHORT" || ! wait_listen "$A" "$PORT_LONG"; then
		log "serve-iw did not start"
		stop_servers
		return 1
	fi
	snapshot "$dir" 0
	t_warm=$(mono_ms)
	ip netns exec "$B" "$HELPER" get "$SRV" "$PORT_LONG" 100000000000 >"$tmp/long.log" 2>&1 &
	LONG_PID=$!
	sleep 1
	policy "$cfg" >/dev/null || { log "cannot set up $cfg"; stop_servers; return 1; }
	ip -n "$A" -6 route show >"$dir/routes"
	w0=$(cpu_ticks)
	sleep "$((WARM - 1))"
	w1=$(cpu_ticks)
	"$TPCCTL" --json augment show "$PFX" >"$dir/augment0.json" 2>&1
	t_load=$(mono_ms)
	c0=$(cpu_ticks)
	ip netns exec "$B" "$load_bin" "$SRV" "$PORT_SHORT" "$load_mbit" "$duration" "$seed" \
		"$MIN_B" "$MAX_B" "$GRACE" "$tmp/flows.txt" 2>"$dir/load.err" || rc=1
	t_end=$(mono_ms)
	c1=$(cpu_ticks)
	ip netns exec "$A" ss -Htin "sport = :$PORT_LONG" >"$dir/long.ss"
	snapshot "$dir" 1
	"$TPCCTL" --json augment show "$PFX" >"$dir/augment1.json" 2>&1
	kill -0 "$LONG_PID" 2>/dev/null || log "the long flow ended early: $(tail -2 "$tmp/long.log")"
	stop_servers
	cp "$tmp/iw.log" "$tmp/long-iw.log" "$tmp/long.log" "$dir/"
	cp "$tmp/flows.txt" "$dir/" 2>/dev/null || rc=1
	cat >"$dir/times" <<-EOF
		rtt_ms=$rtt
		config=$cfg
		round=$4
		buffer_packets=$limit
		warm_start_ms=$t_warm
		load_start_ms=$t_load
		load_end_ms=$t_end
		duration_s=$duration
		warm_s=$WARM
		grace_s=$GRACE
		cpu0=${c0// /,}
		cpu1=${c1// /,}
		cpu_warm0=${w0// /,}
		cpu_warm1=${w1// /,}
		augment_pacing=$(cat /proc/sys/net/tpc/augment_pacing)
	EOF
	cat "$dir/load.err" >&2
	# Let the queues drain and the server's children finish.
	sleep 2
	return $rc
}

tpc_setup_line "$RATE" 10ms 100 || { log "cannot set up the namespaces"; exit 1; }
for ns in "$A" "$B"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_no_metrics_save=1
done
ip netns exec "$B" sysctl -qw net.ipv4.tcp_rmem="$BIG_RMEM" || { log "cannot set tcp_rmem"; exit 1; }
"$TPCCTL" path add "$PFX" direct >/dev/null || { log "cannot add $PFX"; exit 1; }
mkdir -p "$out/raw"
cat >"$out/raw/params" <<-EOF
	duration_s=$duration
	rtts_ms=$rtts
	load_mbit=$load_mbit
	seed=$seed
	initcwnds=$initcwnds
	configs=$configs
	rounds=$rounds
	rate_mbit=$(( RATE_BPS / 1000000 ))
	min_bytes=$MIN_B
	max_bytes=$MAX_B
	warm_s=$WARM
	grace_s=$GRACE
	client_tcp_rmem=$BIG_RMEM
	augment_floor=$(cat /proc/sys/net/tpc/augment_floor)
	augment_ceiling=$(cat /proc/sys/net/tpc/augment_ceiling)
	augment_half_life_ms=$(cat /proc/sys/net/tpc/augment_half_life_ms)
	augment_stale_ms=$(cat /proc/sys/net/tpc/augment_stale_ms)
	augment_pacing=$(cat /proc/sys/net/tpc/augment_pacing)
	kernel=$(uname -r)
EOF
grc=0
for rtt in ${rtts//,/ }; do
	limit=$(shape "$rtt") || { log "cannot shape for $rtt ms"; grc=1; continue; }
	list=${configs//,/ }
	[ "$configs" = auto ] &&
		list="iw10 $(for n in $(sweep "$rtt"); do echo "static$n"; done) augmenter augmenter-nopace"
	for ((round = 1; round <= rounds; round++)); do
		order=$list
		[ $((round % 2)) = 0 ] && order=$(tr ' ' '\n' <<<"$list" | grep . | tac)
		for cfg in $order; do
			one_config "$rtt" "$limit" "$cfg" "$round" || grc=1
		done
	done
done
log "done"
exit $grc
