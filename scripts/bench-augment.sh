#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-augment: Augmenter's learned initial windows against the
# kernel's IW10 and the best static route initcwnd, on a short-flow
# workload with a background long flow, in one QEMU guest (TCG) run.
#
#   bench-augment.sh [--duration S] [--rounds R] [--rtts LIST] [--load MBIT]
#                    [--seed N] [--initcwnd LIST] [--configs LIST] [--rate MBIT]
#                    [--out DIR]
#
# Link: MBIT Mbit/s (default 100), RTT from LIST (ms, default 20,80), one
# BDP of buffer.
# Server (tpc_helper serve-iw's protocol in one epoll loop, congestion
# control tpc) -> client. Per RTT and
# configuration: one long download for 6 s alone, then short flows for S
# seconds (default 30): Poisson arrivals offering MBIT (default 50, i.e. 50 %
# load), sizes log-uniform in 10 kB - 1 MB, the same sequence (seed N,
# default 1) in every configuration (--load does not follow --rate: give
# both). Configurations: iw10 (Augmenter off),
# static<N> (Augmenter off, the server's route to the client with initcwnd
# N; N from --initcwnd, default 20,40,80 at 20 ms and 40,80,160 at 80 ms
# on 100 Mbit/s, BDP/8, BDP/4, BDP/2 packets otherwise),
# augmenter (policy learned) and augmenter-nopace (learned with
# net.tpc.augment_pacing 0). Every configuration runs R times (default 2),
# interleaved (the list forwards, then backwards: the TCG guest's speed
# drifts); its flows are pooled over the rounds. "Best static" is the
# static<N> with the lowest median completion time of the 100 kB - 1 MB
# flows. --configs replaces the list at every RTT (comma-separated: iw10,
# static<N>, fixed<N> = Augmenter's policy fixed N, augmenter,
# augmenter-nopace; a suffix .K runs one again under another name).
# Target (issue 6): median FCT of 100 kB - 1 MB flows >= 1.3x lower than
# IW10's, with at most 10 % more retransmitted segments.
#
# Output in DIR (default bench-out/augment-<date>): raw files per RTT and
# configuration under raw/, augment.txt (tables: median/p95 FCT per size
# bucket, retransmissions, losses, initial windows, the long flow's rate,
# the target), augment.png and augment.json. The JSON file's path is the
# last line printed. About S + 30 s per configuration and round, plus a
# minute of boot: the default (2 RTTs x 6 configurations x 2 rounds x 30 s)
# takes about 25 minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

duration=30
rounds=2
rtts=20,80
load=50
rate=100
seed=1
initcwnds=auto
configs=auto
out=$top/bench-out/augment-$(date +%Y%m%d-%H%M%S)
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--rtts) rtts=$2; shift 2 ;;
	--load) load=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--initcwnd) initcwnds=$2; shift 2 ;;
	--configs) configs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '4,41p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-augment: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
case $duration in ''|*[!0-9]*|0) echo "bench-augment: --duration needs whole seconds > 0" >&2; exit 2 ;; esac
case $rounds in ''|*[!0-9]*|0) echo "bench-augment: --rounds needs a positive number" >&2; exit 2 ;; esac
case $load in ''|*[!0-9]*|0) echo "bench-augment: --load needs whole Mbit/s > 0" >&2; exit 2 ;; esac
case $rate in ''|*[!0-9]*|0|????*) echo "bench-augment: --rate needs whole Mbit/s, 1 .. 999" >&2; exit 2 ;; esac
case $seed in ''|*[!0-9]*) echo "bench-augment: --seed needs a number" >&2; exit 2 ;; esac
for r in ${rtts//,/ }; do
	case $r in *[!0-9]*|0|?????*) echo "bench-augment: bad RTT $r (ms, 2 .. 9999)" >&2; exit 2 ;; esac
	[ "$r" -ge 2 ] || { echo "bench-augment: bad RTT $r (ms, 2 .. 9999)" >&2; exit 2; }
done
[ -n "${rtts//,/}" ] || { echo "bench-augment: --rtts is empty" >&2; exit 2; }
if [ "$initcwnds" != auto ]; then
	for n in ${initcwnds//,/ }; do
		case $n in *[!0-9]*|0|?????*) echo "bench-augment: bad initcwnd $n" >&2; exit 2 ;; esac
	done
fi
if [ "$configs" != auto ]; then
	for c in ${configs//,/ }; do
		[[ $c =~ ^(iw10|static[0-9]{1,4}|fixed[0-9]{1,4}|augmenter|augmenter-nopace)(\.[0-9]+)?$ ]] ||
			{ echo "bench-augment: bad configuration $c (see --help)" >&2; exit 2; }
	done
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

cd "$top"
TPC_SETUP_EXTRA="python3-matplotlib python3-numpy" scripts/setup.sh
make -s module tools
# The load generator runs in the guest, which shares the host's root.
gcc -O2 -Wall -o "$out/augment-load" "$top/tools/bench/augment-load.c" -lm
nr=$(tr , '\n' <<<"$rtts" | grep -c .)
ns=6
[ "$initcwnds" != auto ] && ns=$(( $(tr , '\n' <<<"$initcwnds" | grep -c .) + 3 ))
[ "$configs" != auto ] && ns=$(tr , '\n' <<<"$configs" | grep -c .)
start=$(date +%s)
echo "bench-augment: $rate Mbit/s, RTTs $rtts ms, $ns configurations x $rounds rounds each," \
	"$duration s of short flows (TCG guest; about" \
	"$(( (nr * ns * rounds * (duration + 28) + 60) / 60 )) min)" >&2
grc=0
"$here/vm-run.sh" -o "$out" -i -- "$top/tools/bench/augment-guest.sh" "$out" "$top" \
	"$duration" "$rtts" "$out/augment-load" "$load" "$seed" "$initcwnds" "$configs" "$rounds" \
	"$rate" \
	>"$out/console.log" 2>&1 || grc=$?
echo "bench-augment: guest done in $(( $(date +%s) - start )) s" >&2
if [ $grc != 0 ]; then
	tail -30 "$out/console.log" >&2
	[ -d "$out/raw" ] || { echo "bench-augment: guest run failed" >&2; exit 1; }
	echo "bench-augment: guest run failed (exit $grc); reporting what it left" >&2
fi
# Debian's python3, where the plotting packages were installed.
/usr/bin/python3 "$top/tools/bench/augment-report.py" "$out"
exit $grc
