#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rmmod is refused while anything uses the module (a connection with tpc,
# a namespace default naming tpc, an open /dev/tpc) and succeeds cleanly
# once the last user is gone. Runs last: leaves the module unloaded.

source "$(dirname "$(readlink -f "$0")")/tpc_lib.sh"
tpc_require "$HELPER"
tpc_load

ktap_print_header
ktap_set_plan 7

trap cleanup_all_ns EXIT
tpc_setup_pair || ktap_exit_fail_msg "cannot set up the namespaces"

refused() {
	if rmmod tcp_pathchanger 2>/dev/null; then
		echo "# rmmod succeeded while in use"
		return 1
	fi
	tpc_loaded && grep -qw tpc /proc/sys/net/ipv4/tcp_available_congestion_control
}

with_connection() {
	ip netns exec "$B" "$HELPER" sink 10.9.0.2 7000 >/dev/null &
	local spid=$!
	wait_listen "$B" 7000 || return 1
	ip netns exec "$A" "$HELPER" hold 10.9.0.2 7000 tpc 4 >/dev/null &
	local hpid=$!
	slowwait 5 conn_uses_tpc "$A" 7000 || return 1
	refused
	local rc=$?
	echo "# module refcount while connected: $(cat /sys/module/tcp_pathchanger/refcnt)"
	# The connection must have kept working meanwhile.
	wait $hpid || rc=1
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	return $rc
}
ktap_test_result "rmmod refused while a connection uses tpc; the connection goes on" with_connection

with_default() {
	local allowed
	allowed=$(sysctl -n net.ipv4.tcp_allowed_congestion_control)
	sysctl -qw net.ipv4.tcp_allowed_congestion_control="$allowed tpc" || return 1
	ip netns exec "$A" sysctl -qw net.ipv4.tcp_congestion_control=tpc || return 1
	refused
	local rc=$?
	ip netns exec "$A" sysctl -qw net.ipv4.tcp_congestion_control=reno
	sysctl -qw net.ipv4.tcp_allowed_congestion_control="$allowed"
	return $rc
}
ktap_test_result "rmmod refused while tpc is a namespace default" with_default

with_open_dev() {
	exec 7<>/dev/tpc || return 1
	refused
	local rc=$?
	exec 7>&-
	return $rc
}
ktap_test_result "rmmod refused while /dev/tpc is open" with_open_dev

if [ -n "$TPCCTL" ]; then
	idle() { slowwait 20 tpc_counter_at_most conns_active 0; }
	ktap_test_result "no connection holds tpc state any more" idle
else
	ktap_test_skip "no connection holds tpc state any more (no tpcctl)"
fi

unload() { slowwait 20 rmmod tcp_pathchanger; }
ktap_test_result "rmmod succeeds once the users are gone" unload

gone() { ! tpc_loaded && [ ! -e /dev/tpc ]; }
ktap_test_result "module, device and congestion control gone" gone

reload_unload() {
	tpc_load && rmmod tcp_pathchanger
}
ktap_test_result "reload and unload once more" reload_unload

ktap_finished
