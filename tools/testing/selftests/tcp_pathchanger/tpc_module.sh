#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload: registration of the congestion control, the control
# device and the sysctls, and their removal.

source "$(dirname "$(readlink -f "$0")")/tpc_lib.sh"
tpc_require

ktap_print_header
ktap_set_plan 10

if tpc_loaded; then
	rmmod tcp_pathchanger || ktap_exit_fail_msg "module loaded and busy"
fi
[ -n "${TPC_KO:-}" ] || { modinfo tcp_pathchanger >/dev/null 2>&1 ||
	{ ktap_skip_all "tcp_pathchanger.ko not found (set TPC_KO)"; exit "$KSFT_SKIP"; }; }

do_load() {
	dmesg -C
	if [ -n "${TPC_KO:-}" ]; then insmod "$TPC_KO"; else modprobe tcp_pathchanger; fi
}
ktap_test_result "insmod" do_load

loaded_msg() {
	dmesg | grep -q "tcp_pathchanger: version .* loaded"
}
ktap_test_result "load message in the kernel log" loaded_msg

cc_listed() {
	grep -qw tpc /proc/sys/net/ipv4/tcp_available_congestion_control
}
ktap_test_result "tpc listed in tcp_available_congestion_control" cc_listed

dev_node() {
	[ -c /dev/tpc ] && [ "$(stat -c %a /dev/tpc)" = 600 ] &&
		[ "$(stat -c %U /dev/tpc)" = root ]
}
ktap_test_result "/dev/tpc is a character device, mode 0600, owned by root" dev_node

sysctl_defaults() {
	[ "$(cat /proc/sys/net/tpc/failover_rtos)" = 3 ] &&
		[ "$(cat /proc/sys/net/tpc/failover_dups)" = 2 ] &&
		[ "$(cat /proc/sys/net/tpc/failover_timeout_ms)" = 700 ]
}
ktap_test_result "net.tpc.* present with the paper's defaults (N=3, M=2, T=700 ms)" sysctl_defaults

ktap_test_result "rmmod of an idle module" rmmod tcp_pathchanger

all_gone() {
	! grep -qw tpc /proc/sys/net/ipv4/tcp_available_congestion_control &&
		[ ! -e /dev/tpc ] && [ ! -e /proc/sys/net/tpc ] && ! tpc_loaded
}
ktap_test_result "congestion control, device and sysctls gone after rmmod" all_gone

if [ -n "$TPCCTL" ]; then
	absent_msg() {
		local out rc
		out=$("$TPCCTL" status 2>&1)
		rc=$?
		echo "# tpcctl said: $out (exit $rc)"
		[ $rc = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
			printf '%s' "$out" | grep -q "not loaded\|does not exist"
	}
	ktap_test_result "tpcctl status without the module: one line, exit 2" absent_msg
else
	ktap_test_skip "tpcctl status without the module (no tpcctl)"
fi

reload_cycles() {
	local i
	for i in 1 2 3 4 5; do
		do_load || return 1
		rmmod tcp_pathchanger || return 1
	done
}
ktap_test_result "five load/unload cycles" reload_cycles

ktap_test_result "load again for the following tests" do_load

ktap_finished
