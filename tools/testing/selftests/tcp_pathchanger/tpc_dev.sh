#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The /dev/tpc control device: hello, every class of malformed message
# (rejected with its errno, the device still answers), reads, poll,
# the bounded queue, access control, and tpcctl status.

source "$(dirname "$(readlink -f "$0")")/tpc_lib.sh"
tpc_require "$HELPER"
tpc_load

BAD=(short empty len-mismatch flags version hello-range unknown-type reply-type body oversize)

ktap_print_header
ktap_set_plan $(( ${#BAD[@]} + 12 ))

run() { diag "$HELPER" dev "$1"; }

ktap_test_result "hello/version exchange" run hello
for b in "${BAD[@]}"; do
	ktap_test_result "malformed message rejected ($b), device still answers" run "bad-$b"
done
ktap_test_result "2000 random writes rejected, device still answers" run random
ktap_test_result "read into a short buffer: EMSGSIZE, message kept" run short-read
ktap_test_result "non-blocking read and poll" run nonblock-poll
ktap_test_result "bounded reply queue: EAGAIN when full, nothing lost" run queue-full
ktap_test_result "blocking read sleeps until a reply is queued" run blocking-read
ktap_test_result "at most 16 open files" run openers

rejected_counted() {
	[ "$(tpc_counter dev_msgs_rejected)" -ge $(( ${#BAD[@]} + 2000 )) ]
}

no_cap() {
	# Root without CAP_NET_ADMIN: open fails with EPERM.
	local out rc before
	before=$(tpc_counter dev_open_denied)
	out=$(setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
		"$TPCCTL" status 2>&1)
	rc=$?
	echo "# tpcctl without CAP_NET_ADMIN: $out (exit $rc)"
	[ $rc = 3 ] && [ "$(tpc_counter dev_open_denied)" -gt "$before" ]
}

not_root() {
	local out rc
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TPCCTL" status 2>&1)
	rc=$?
	echo "# tpcctl as nobody: $out (exit $rc)"
	[ $rc = 3 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ]
}

status_text() {
	local out
	out=$("$TPCCTL" status) || return 1
	printf '%s\n' "$out" | sed 's/^/# /'
	printf '%s' "$out" | grep -q "^tcp_pathchanger .* (protocol 1, /dev/tpc)" &&
		printf '%s' "$out" | grep -q "net.tpc.failover_rtos" &&
		printf '%s' "$out" | grep -q "conns_active"
}

status_json() {
	"$TPCCTL" status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["protocol"] == 1 and s["max_msg"] == 4096 and s["queue_bytes"] > 0, s
assert s["module_version"], s
assert set(s["knobs"]) == {"failover_rtos", "failover_dups", "failover_timeout_ms",
                          "strategy", "parity", "count_old_data", "exp3",
                          "exp3_gamma_ppm", "exp3_hook_bytes", "exp3_keylen",
                          "exp3_preset", "exp3_ref_ms", "exp3_fail_timeout_ms",
                          "ccp_max_flows", "ccp_alg", "ccp_agent_timeout_ms",
                          "augment_floor", "augment_ceiling", "augment_half_life_ms",
                          "augment_stale_ms", "augment_pacing", "ccp_fallback"}, s
for c in ("conns_active", "conns_initialized", "dev_msgs_rx", "dev_msgs_rejected"):
    assert isinstance(s["counters"][c], int), c
assert s["counters"]["dev_msgs_rx"] > 0, s'
}

if [ -n "$TPCCTL" ]; then
	ktap_test_result "rejected messages are counted" rejected_counted
	ktap_test_result "tpcctl status (text)" status_text
	ktap_test_result "tpcctl status --json" status_json
	ktap_test_result "open without CAP_NET_ADMIN: EPERM, counted, tpcctl exit 3" no_cap
	ktap_test_result "open as an unprivileged user: one line, exit 3" not_root
else
	for t in "rejected messages are counted" "tpcctl status (text)" \
		"tpcctl status --json" "open without CAP_NET_ADMIN" "open as an unprivileged user"; do
		ktap_test_skip "$t (no tpcctl)"
	done
fi

ktap_finished
