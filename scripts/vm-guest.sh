#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the QEMU guest (started by vm-run.sh): the installed
# kselftests, then a kmemleak scan, saving logs to OUT (a --rwdir).
#   vm-guest.sh OUT TOP
# Exit status: run_kselftest.sh's.
out=$1
top=$2
export TPC_KO=$top/tcp_pathchanger.ko
export TPCCTL=$top/tools/target/release/tpcctl
export PATH=$PATH:/usr/sbin:/sbin

# The kselftest runner writes the tests' output to /dev/stdout, which
# virtme-ng-init links to its console port: point it back at the
# process's own descriptors so the output lands where run_kselftest.sh's goes.
for i in 0:stdin 1:stdout 2:stderr; do
	ln -sfn /proc/self/fd/${i%%:*} /dev/${i#*:}
done
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd

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
