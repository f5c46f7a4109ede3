#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Selecting tpc: by sysctl (init and child namespaces) and by
# setsockopt(TCP_CONGESTION), and a real connection using it.

source "$(dirname "$(readlink -f "$0")")/tpc_lib.sh"
tpc_require "$HELPER"
tpc_load

ktap_print_header
ktap_set_plan 6

orig=$(sysctl -n net.ipv4.tcp_congestion_control)
orig_allowed=$(sysctl -n net.ipv4.tcp_allowed_congestion_control)
cleanup() {
	sysctl -qw net.ipv4.tcp_congestion_control="$orig"
	sysctl -qw net.ipv4.tcp_allowed_congestion_control="$orig_allowed"
	cleanup_all_ns
}
trap cleanup EXIT

init_default() {
	sysctl -qw net.ipv4.tcp_congestion_control=tpc &&
		[ "$(sysctl -n net.ipv4.tcp_congestion_control)" = tpc ] &&
		sysctl -qw net.ipv4.tcp_congestion_control="$orig"
}
ktap_test_result "selectable as the init namespace default" init_default

setup_ns N1 || ktap_exit_fail_msg "cannot create a namespace"

ns_default() {
	sysctl -qw net.ipv4.tcp_allowed_congestion_control="$orig_allowed tpc" &&
		ip netns exec "$N1" sysctl -qw net.ipv4.tcp_congestion_control=tpc &&
		[ "$(ip netns exec "$N1" sysctl -n net.ipv4.tcp_congestion_control)" = tpc ]
}
ktap_test_result "selectable as a child namespace default once allowed" ns_default

ns_connection() {
	# The namespace default applies to new sockets: both ends use tpc.
	ip netns exec "$N1" "$HELPER" sink 127.0.0.1 5001 &
	local pid=$!
	wait_listen "$N1" 5001 || return 1
	ip netns exec "$N1" "$HELPER" source 127.0.0.1 5001 tpc 2000000 || return 1
	wait $pid
}
ktap_test_result "connection in that namespace uses tpc and delivers its data" ns_connection

so_v4() { diag "$HELPER" sockopt info-v4; }
so_v6() { diag "$HELPER" sockopt info-v6; }
ktap_test_result "setsockopt(TCP_CONGESTION) tpc over IPv4: both ends initialised" so_v4
ktap_test_result "setsockopt(TCP_CONGESTION) tpc over IPv6: both ends initialised" so_v6

ss_shows_tpc() {
	ip netns exec "$N1" "$HELPER" sink ::1 5002 >/dev/null &
	local pid=$!
	wait_listen "$N1" 5002 || return 1
	ip netns exec "$N1" "$HELPER" hold ::1 5002 tpc 3 >/dev/null &
	local hp=$!
	slowwait 5 conn_uses_tpc "$N1" 5002
	local rc=$?
	wait $hp
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	return $rc
}
ktap_test_result "ss -ti reports tpc for a live connection" ss_shows_tpc

ktap_finished
