#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots the cached test kernel under QEMU (TCG; KVM hangs on our machines)
# with virtme-ng, runs the tcp_pathchanger kselftests there, and judges the
# run: the selftests' results, plus a failure if the guest's kernel log shows
# an oops, BUG, WARN, lockdep splat or kmemleak report.
#
#   vm-run.sh [-o OUTDIR] [-i] [-- GUEST COMMAND...]
#
# Without a command, runs the selftests and prints KTAP followed by
# "N passed, N failed, N skipped". Needs tcp_pathchanger.ko and tpcctl built
# (make module tools). Exit status 0 only if everything passed. With a
# command, runs it instead and returns its status; -i first installs the
# selftests into OUTDIR/kselftest for it (the benchmarks use their
# libraries).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/env.sh"

out=$(mktemp -d /tmp/tpc-vm.XXXXXX)
install=
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; mkdir -p "$out"; shift 2 ;;
	-i) install=1; shift ;;
	--) shift; break ;;
	*) echo "usage: $0 [-o OUTDIR] [-i] [-- CMD...]" >&2; exit 2 ;;
	esac
done

kdir=$("$here/build-kernel.sh") || exit 1
for f in "$top/tcp_pathchanger.ko" "$top/tools/target/release/tpcctl"; do
	[ -e "$f" ] || { echo "vm-run: $f missing (make module tools)" >&2; exit 1; }
done

# vng: TCG, 9p root (virtiofsd fails here), stdin must be open.
vng_run() {
	vng --run "$kdir/arch/x86/boot/bzImage" --disable-kvm --force-9p \
		--user root --cpus 2 --memory 2G --rwdir="$out" \
		--cwd "$top" --exec "$1" </dev/null
}

# QEMU occasionally dies at boot (vng 255): retry once, and say so.
boot() {
	local rc
	vng_run "$1"
	rc=$?
	if [ $rc = 255 ]; then
		echo "# vm-run: guest died without an exit status (255); retrying once" >&2
		vng_run "$1"
		rc=$?
		[ $rc = 255 ] && echo "# vm-run: guest crashed again (see $out)" >&2
	fi
	return $rc
}

# Install the selftests the kernel's way: from the kernel tree's selftests
# directory, with its lib.mk, ktap_helpers.sh and net/lib.sh.
install_selftests() {
	local sel=$TPC_KSRC/tools/testing/selftests
	rsync -a --delete "$top/tools/testing/selftests/tcp_pathchanger/" "$sel/tcp_pathchanger/"
	if ! make -s -C "$sel" TARGETS=tcp_pathchanger \
		TPC_UAPI_INCLUDES="-isystem $top/include/uapi" \
		INSTALL_PATH="$out/kselftest" install >"$out/install.log" 2>&1; then
		cat "$out/install.log" >&2
		echo "vm-run: installing the selftests failed" >&2
		exit 1
	fi
}

if [ $# -gt 0 ]; then
	[ -n "$install" ] && install_selftests
	boot "$*"
	exit $?
fi
install_selftests

start=$(date +%s)
boot "$here/vm-guest.sh $out $top" >"$out/console.log" 2>&1
vrc=$?
echo "# vm-run: guest finished in $(( $(date +%s) - start )) s, vng exit $vrc, logs in $out"

# Verdict. Selftest results come from the KTAP the guest saved.
python3 "$here/ktap-summary.py" "$out" "$vrc"
