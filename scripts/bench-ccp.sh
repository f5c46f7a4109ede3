#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-ccp: the CCP datapath side by side with the kernel's own
# congestion control, in one QEMU guest (TCG) run.
#
#   bench-ccp.sh [--secs S] [--rate MBIT] [--parts LIST] [--out DIR]
#
# Parts (comma-separated LIST, default all):
#   fidelity  per-interval (0.1 s) throughput and queueing delay of
#             ccp-agent Reno/Cubic vs the kernel's reno/cubic on a fixed
#             MBIT Mbit/s 20 ms link, the same with 0.01 % loss, and a link
#             alternating MBIT and MBIT/2 (CCP thesis Fig. 4.4/4.5)
#   loopback  iperf3 over ::1: ccp with per-ACK reports, with 10 ms reports,
#             and the kernel's reno (thesis Table 4.1)
#   ipc       round trips through /dev/ccpkp vs a Unix-domain socket echo,
#             p50/p95/p99 (thesis Fig. 4.7)
#   flows     1, 4, 16, 64 parallel flows: throughput and CPU, ccp vs reno
# S: seconds per transfer (default 10). MBIT: the fidelity link's rate
# (default 24; the thesis used 96, but the emulated CPU of a TCG guest
# forwards only about 32 Mbit/s through the router namespace, so a faster
# "link" never queues or drops and the comparison would be between two
# CPU-bound flows). One BDP of buffer at that rate.
#
# Output in DIR (default bench-out/ccp-<date>): raw iperf3 JSON and samples
# under raw/, ccp.txt (tables with the thesis' figures and the targets),
# ccp_fidelity.png, ccp_ipc.png, ccp_flows.png, ccp.json. The JSON file's
# path is the last line printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

secs=10
rate=24
parts=fidelity,loopback,ipc,flows
out=$top/bench-out/ccp-$(date +%Y%m%d-%H%M%S)
while [ $# -gt 0 ]; do
	case $1 in
	--secs) secs=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--parts) parts=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '4,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-ccp: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
case $secs in ''|*[!0-9]*|0) echo "bench-ccp: --secs needs a positive number" >&2; exit 2 ;; esac
case $rate in ''|*[!0-9]*|0|1) echo "bench-ccp: --rate needs a whole number of Mbit/s, at least 2" >&2; exit 2 ;; esac
for p in ${parts//,/ }; do
	case $p in
	fidelity | loopback | ipc | flows) ;;
	*) echo "bench-ccp: unknown part $p (see --help)" >&2; exit 2 ;;
	esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

cd "$top"
TPC_SETUP_EXTRA="python3-matplotlib python3-numpy" scripts/setup.sh
make -s module tools
start=$(date +%s)
echo "bench-ccp: parts $parts, $secs s per transfer, $rate Mbit/s link (TCG guest)" >&2
grc=0
"$here/vm-run.sh" -o "$out" -i -- "$top/tools/bench/ccp-guest.sh" "$out" "$top" \
	"$secs" "$parts" "$rate" >"$out/console.log" 2>&1 || grc=$?
echo "bench-ccp: guest done in $(( $(date +%s) - start )) s" >&2
if [ $grc != 0 ]; then
	tail -30 "$out/console.log" >&2
	[ -d "$out/raw" ] || { echo "bench-ccp: guest run failed" >&2; exit 1; }
	echo "bench-ccp: guest run failed (exit $grc); reporting what it left" >&2
fi
/usr/bin/python3 "$top/tools/bench/ccp-report.py" "$out" "$secs" "$parts" "$rate"
exit $grc
