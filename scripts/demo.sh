#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build everything (set-up and the cached kernel included), boot
# a QEMU guest, load tcp_pathchanger, run a transfer with the tpc
# congestion control between two network namespaces, and show tpcctl
# status before and after.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cd "$top"
make -s module tools
echo "demo: booting the test kernel under QEMU (TCG)..."
"$here/vm-run.sh" -- "$here/demo-guest.sh" "$top"
