#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# net.tpc.* accepts values in range, rejects the rest with EINVAL and a log
# line, and the control device reports what sysctl holds.

source "$(dirname "$(readlink -f "$0")")/tpc_lib.sh"
tpc_require
tpc_load

# name min max default
KNOBS=(
	"failover_rtos 1 64 3"
	"failover_dups 1 64 2"
	"failover_timeout_ms 1 120000 700"
	"strategy 0 2 1"
	"parity 0 1 1"
	"count_old_data 0 1 0"
	"exp3 0 1 0"
	"exp3_gamma_ppm 0 1000000 100000"
	"exp3_hook_bytes 0 1073741824 1048576"
	"exp3_keylen 1 128 64"
	"exp3_preset 0 1 0"
	"exp3_ref_ms 1 60000 23"
	"exp3_fail_timeout_ms 0 3600000 10000"
	"ccp_max_flows 1 4095 4095"
	"ccp_alg 0 2 0"
	"ccp_agent_timeout_ms 0 600000 1000"
	# The floor's maximum is the ceiling's value, and the other way round.
	"augment_floor 1 512 10"
	"augment_ceiling 10 65535 512"
	"augment_half_life_ms 1 600000 1000"
	"augment_stale_ms 100 3600000 10000"
	"augment_pacing 0 1 1"
	"ccp_fallback 0 1 0"
)

ktap_print_header
ktap_set_plan $(( ${#KNOBS[@]} * 2 + 3 ))

cleanup() {
	local k
	for k in "${KNOBS[@]}"; do
		set -- $k
		echo "$4" > "/proc/sys/net/tpc/$1"
	done
}
trap cleanup EXIT

# write FILE VALUE: succeeds iff the kernel accepted the value.
write() { echo "$2" 2>/dev/null > "$1"; }

in_range() {
	local f=/proc/sys/net/tpc/$1
	write "$f" "$2" && [ "$(cat "$f")" = "$2" ] &&
		write "$f" "$3" && [ "$(cat "$f")" = "$3" ] &&
		write "$f" "$4" && [ "$(cat "$f")" = "$4" ]
}

out_of_range() {
	local f=/proc/sys/net/tpc/$1 bad
	for bad in $(( $2 - 1 )) $(( $3 + 1 )) -5 2147483648 abc ""; do
		if write "$f" "$bad"; then
			echo "# $1: '$bad' was accepted"
			return 1
		fi
		if [ "$(cat "$f")" != "$4" ]; then
			echo "# $1: '$bad' changed the value to $(cat "$f")"
			return 1
		fi
	done
}

for k in "${KNOBS[@]}"; do
	set -- $k
	ktap_test_result "net.tpc.$1 accepts $2, $3 and $4" in_range "$@"
	ktap_test_result "net.tpc.$1 rejects out-of-range and non-numeric values, keeps $4" out_of_range "$@"
done

logged() {
	# The log line is rate-limited (net_ratelimit-style printk limits):
	# wait for a fresh window after the writes above.
	sleep 6
	dmesg -C
	write /proc/sys/net/tpc/failover_timeout_ms 120001
	dmesg | grep "tcp_pathchanger: sysctl" | sed 's/^/# /'
	dmesg | grep -q "sysctl failover_timeout_ms: value rejected, allowed range is \[1, 120000\]"
}
ktap_test_result "a rejected write is logged with the allowed range" logged

errno_einval() {
	local err
	err=$(sysctl -w net.tpc.failover_rtos=0 2>&1 >/dev/null)
	echo "# sysctl said: $err"
	printf '%s' "$err" | grep -q "Invalid argument"
}
ktap_test_result "out-of-range write fails with EINVAL" errno_einval

if [ -n "$TPCCTL" ]; then
	dev_agrees() {
		echo 5 > /proc/sys/net/tpc/failover_rtos &&
			echo 1234 > /proc/sys/net/tpc/failover_timeout_ms &&
			"$TPCCTL" status --json | python3 -c '
import json, sys
k = json.load(sys.stdin)["knobs"]
assert k["failover_rtos"] == {"value": 5, "min": 1, "max": 64}, k
assert k["failover_timeout_ms"]["value"] == 1234, k
assert k["failover_dups"]["value"] == 2, k
assert k["augment_floor"] == {"value": 10, "min": 1, "max": 512}, k
assert k["augment_ceiling"] == {"value": 512, "min": 10, "max": 65535}, k'
	}
	ktap_test_result "tpcctl status reports the sysctl values and ranges" dev_agrees
else
	ktap_test_skip "tpcctl status reports the sysctl values (no tpcctl)"
fi

ktap_finished
