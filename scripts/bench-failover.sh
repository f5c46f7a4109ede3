#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-failover: the TPC paper's failure-recovery experiment, repeated
# RUNS times per configuration in a QEMU guest (TCG), on the SRv6 topology of
# the selftests (tools/testing/selftests/tcp_pathchanger/tpc_srv6_lib.sh).
#
#   bench-failover.sh [--runs N] [--configs LIST] [--out DIR]
#
# Configurations (comma-separated LIST; default: all):
#   nrto        NRTOChanger(3,2), 1 flow, RTT 6 ms
#   timeout     TimeoutChanger(700 ms,2), 1 flow, RTT 6 ms
#   flows5 flows10 flows20   NRTOChanger(3,2) with 5/10/20 parallel flows
#   two_of_three             3 paths, paths 0 and 1 fail (count_old_data=1)
#   rtt24 rtt84              NRTOChanger(3,2) at RTT 24 and 84 ms
#   timeout_rtt84            TimeoutChanger(700 ms,2) at RTT 84 ms
# Every flow is one 10 Mbit/s connection (tpc_helper rsource -> rsink);
# 2.5 s in, path 0 fails: the ACK direction, then 0.2 s later the data
# direction (the failure time is the first cut); the flows go on for 8 s.
# In the one-flow configurations, tcpdump at the edge routers also times the
# first data packet and the first ACK that take path 1 (the delay from the
# module's decision to the first packet on the new path).
#
# Output in DIR (default bench-out/failover-<date>): raw events and flow
# logs, failover.txt (table, with the paper's figures), failover_cdf.png,
# failover.json. The JSON file's path is the last line printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

runs=100
configs=nrto,timeout,flows5,flows10,flows20,two_of_three,rtt24,rtt84,timeout_rtt84
out=$top/bench-out/failover-$(date +%Y%m%d-%H%M%S)
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--configs) configs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-failover: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
case $runs in ''|*[!0-9]*|0) echo "bench-failover: --runs needs a positive number" >&2; exit 2 ;; esac
mkdir -p "$out"
out=$(cd "$out" && pwd)

cd "$top"
TPC_SETUP_EXTRA="python3-matplotlib python3-numpy tcpdump" scripts/setup.sh
make -s module tools
start=$(date +%s)
echo "bench-failover: $runs run(s) of: $configs (TCG guest; about 12 s per run)" >&2
"$here/vm-run.sh" -o "$out" -i -- "$top/tools/bench/failover-guest.sh" "$out" "$top" \
	"$runs" "$configs" >"$out/console.log" 2>&1 ||
	{ tail -30 "$out/console.log" >&2; echo "bench-failover: guest run failed" >&2; exit 1; }
echo "bench-failover: guest done in $(( $(date +%s) - start )) s" >&2
# Debian's python3, where the plotting packages were installed.
/usr/bin/python3 "$top/tools/bench/failover-report.py" "$out" "$runs" "$configs"
