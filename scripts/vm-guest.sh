#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the QEMU guest (started by vm-run.sh): the installed
# kselftests, then a kmemleak scan, saving logs to OUT (a --rwdir).
#   vm-guest.sh OUT TOP
# Exit status: run_kselftest.sh's.
out=$1
top=$2
. "$top/scripts/guest-env.sh"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
leak=/sys/kernel/debug/kmemleak
# Forget what boot left behind: only leaks from here on count.
[ -w $leak ] && echo clear > $leak

echo "# guest: $(uname -r), $(nproc) CPUs"
cd "$out/kselftest" || exit 1
./run_kselftest.sh 2>&1 | tee "$out/ktap.log"
rc=${PIPESTATUS[0]}
echo "$rc" > "$out/kselftest.rc"

# Whatever the tests did, unload the module before the leak scan.
[ -d /sys/module/tcp_pathchanger ] && rmmod tcp_pathchanger
if [ -w $leak ]; then
	# Two scans: kmemleak only reports objects unreferenced twice.
	echo scan > $leak; sleep 1; echo scan > $leak
	cat $leak > "$out/kmemleak.txt"
else
	echo "kmemleak not available" > "$out/kmemleak.txt.missing"
fi
dmesg > "$out/dmesg.txt"
exit "$rc"
