#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-exp3: the TPC paper's lowest-delay experiment (tpc.md §9.5),
# server-side EXP3 on the 2-path SRv6 topology of the selftests, repeated
# RUNS times per configuration in a QEMU guest (TCG).
#
#   bench-exp3.sh [--runs N] [--configs LIST] [--duration S] [--out DIR]
#
# Paths: 0 with RTT 10 ms, 1 with RTT FACTOR x 10 ms; SWAP_AT = 10 s after
# the client starts, the delays swap. Client: ab -c 4 -t S (default 50)
# fetching a 100 kB object from lighttpd on the server, a new connection
# per request. Only the server runs tpc, with EXP3 on for its clients'
# prefix; every run starts from fresh EXP3 weights.
# Configurations (comma-separated LIST; default: all 25):
#   random_f<F>_h<H>          uniform random path per draw (EXP3, gamma 1)
#   exp3_g<G>_f<F>_h<H>       EXP3, textbook preset, gamma G
#   ascoded_g<G>_f<F>_h<H>    EXP3, the original's as-coded preset
# with F in 2, 5, 10 (delay factor) and H in 1k, 1M (hook: re-evaluation
# and reward every H bytes; 0 = only at start and close). The default set:
# random and exp3 with G in 0.01, 0.1, 0.2 for every F and H, plus
# ascoded_g0.1_f10_h1M.
#
# Output in DIR (default bench-out/exp3-<date>): raw ab/monitor/counter
# files per run, exp3.txt (tables, with the paper's figures),
# exp3_completion_cdf.png, exp3_convergence_cdf.png, exp3.json. The JSON
# file's path is the last line printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

all_configs() {
	local f h g list=()
	for f in 2 5 10; do
		for h in 1k 1M; do
			list+=("random_f${f}_h$h")
			for g in 0.01 0.1 0.2; do
				list+=("exp3_g${g}_f${f}_h$h")
			done
		done
	done
	list+=(ascoded_g0.1_f10_h1M)
	(IFS=,; echo "${list[*]}")
}

runs=3
configs=$(all_configs)
duration=50
out=$top/bench-out/exp3-$(date +%Y%m%d-%H%M%S)
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--configs) configs=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '4,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-exp3: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
case $runs in ''|*[!0-9]*|0) echo "bench-exp3: --runs needs a positive number" >&2; exit 2 ;; esac
case $duration in ''|*[!0-9]*) echo "bench-exp3: --duration needs whole seconds" >&2; exit 2 ;; esac
if [ "$duration" -le 10 ]; then
	echo "bench-exp3: --duration must be more than 10 s (the delays swap at 10 s)" >&2
	exit 2
fi
[ "$configs" = all ] && configs=$(all_configs)
re='^(random|exp3_g[0-9.]+|ascoded_g[0-9.]+)_f[0-9]+_h[0-9]+[kM]?$'
for c in ${configs//,/ }; do
	[[ $c =~ $re ]] || { echo "bench-exp3: bad configuration name $c (see --help)" >&2; exit 2; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

cd "$top"
# lighttpd and ab run in the guest, which shares the host's root file
# system: installing them here is what makes them available there.
TPC_SETUP_EXTRA="python3-matplotlib python3-numpy lighttpd apache2-utils" scripts/setup.sh
make -s module tools
n=$(tr , '\n' <<<"$configs" | grep -c .)
start=$(date +%s)
echo "bench-exp3: $runs run(s) of $n configuration(s), $duration s each" \
	"(TCG guest; about $(( (n * runs * (duration + 20) + 90) / 60 )) min)" >&2
grc=0
"$here/vm-run.sh" -o "$out" -i -- "$top/tools/bench/exp3-guest.sh" "$out" "$top" \
	"$runs" "$configs" "$duration" >"$out/console.log" 2>&1 || grc=$?
echo "bench-exp3: guest done in $(( $(date +%s) - start )) s" >&2
if [ $grc != 0 ]; then
	tail -30 "$out/console.log" >&2
	# An hour of runs is worth a report even if some failed.
	[ -d "$out/raw" ] || { echo "bench-exp3: guest run failed" >&2; exit 1; }
	echo "bench-exp3: guest run failed (exit $grc); reporting what it left" >&2
fi
# Debian's python3, where the plotting packages were installed.
/usr/bin/python3 "$top/tools/bench/exp3-report.py" "$out" "$runs" "$configs" "$duration"
exit $grc
