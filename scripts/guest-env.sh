# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the scripts that run inside the QEMU guest (vm-guest.sh, the
# benchmarks' guest parts) with the repository's top directory in $top:
# where the module and tpcctl are, and /dev/std* pointing at the process's
# own descriptors (virtme-ng-init links them to its console port, which
# would swallow output meant for pipes and files).
export TPC_KO=$top/tcp_pathchanger.ko
export TPCCTL=$top/tools/target/release/tpcctl
export CCP_AGENT=$top/tools/target/release/ccp-agent
export PATH=$PATH:/usr/sbin:/sbin
for i in 0:stdin 1:stdout 2:stderr; do
	ln -sfn /proc/self/fd/${i%%:*} /dev/${i#*:}
done
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
