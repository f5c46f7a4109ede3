#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The private socket option range: errors for every misuse.

source "$(dirname "$(readlink -f "$0")")/tpc_lib.sh"
tpc_require "$HELPER"
tpc_load

ktap_print_header
ktap_set_plan 2

errors() { diag "$HELPER" sockopt errors; }
ktap_test_result "ENOENT, EINVAL, ENOPROTOOPT, EOPNOTSUPP where due; prefixes for short buffers" errors

counted() {
	[ "$(tpc_counter sockopt_rejected)" -ge 4 ] && [ "$(tpc_counter sockopt_gets)" -ge 2 ]
}
if [ -n "$TPCCTL" ]; then
	ktap_test_result "socket option calls are counted" counted
else
	ktap_test_skip "socket option calls are counted (no tpcctl)"
fi

ktap_finished
