#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build the test kernel into a cache directory outside the
# repository. The directory name is keyed by the kernel version and a hash
# of everything the result depends on (config fragments, this script, the
# compilers), so a warm cache is reused and any change gets a fresh tree.
#
# Prints the build directory (KDIR) on stdout as its last line.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/env.sh"

frag_test=$top/tools/testing/selftests/tcp_pathchanger/config
frag_vm=$here/vm.config
jobs=${JOBS:-$(nproc)}
# Bump when the way the kernel is configured or built changes (the
# fragments and the tool versions are hashed by themselves).
recipe=1

key=$( {
	echo "$TPC_KERNEL_VERSION"
	echo "recipe $recipe"
	cat "$frag_test" "$frag_vm"
	rustc --version; bindgen --version; clang --version | head -1
} | sha256sum | cut -c1-16)
KDIR=$TPC_CACHE/kbuild/$TPC_KERNEL_VERSION-$key
stamp=$KDIR/.tpc-build-ok

log() { printf 'kernel: %s\n' "$*" >&2; }

if [ "${1:-}" = --print-kdir ]; then
	echo "$KDIR"
	exit 0
fi
if [ -f "$stamp" ] && [ -f "$KDIR/arch/x86/boot/bzImage" ]; then
	echo "$KDIR"
	exit 0
fi

# ccache in masquerade mode: a `clang` on PATH that is ccache. Passing
# CC="ccache clang" breaks Kbuild, which also uses $(HOSTCC) as rustc's
# linker.
# Relative paths in the hashed command lines, so that differently keyed
# build directories share cache entries.
export CCACHE_BASEDIR=$TPC_CACHE
ccbin=$TPC_CACHE/ccache-bin
mkdir -p "$ccbin"
ln -sf "$(command -v ccache)" "$ccbin/clang"
export PATH=$ccbin:$PATH

kmake() {
	make -C "$TPC_KSRC" O="$KDIR" ARCH=x86_64 LLVM=1 "$@"
}

mkdir -p "$KDIR"
if [ ! -f "$KDIR/.config" ] || [ ! -f "$KDIR/.tpc-config-ok" ]; then
	log "configuring $KDIR (tinyconfig + scripts/vm.config + selftests config)"
	kmake -s tinyconfig >/dev/null
	"$TPC_KSRC/scripts/kconfig/merge_config.sh" -m -O "$KDIR" \
		"$KDIR/.config" "$frag_vm" "$frag_test" >/dev/null
	kmake -s olddefconfig
	# Every requested option must have survived olddefconfig; a silently
	# dropped dependency would otherwise only show up as a test failure.
	bad=0
	while IFS='=' read -r k v; do
		got=$(grep -E "^$k=|^# $k is not set" "$KDIR/.config" || true)
		if [ "$v" = n ]; then
			case "$got" in "" | "# $k is not set") continue ;; esac
		elif [ "$got" = "$k=$v" ]; then
			continue
		fi
		log "config: wanted $k=$v, got '${got:-unset}'"
		bad=1
	done < <(grep -h '^CONFIG_' "$frag_vm" "$frag_test")
	[ $bad = 0 ] || { log "config fragment not satisfied"; exit 1; }
	touch "$KDIR/.tpc-config-ok"
fi

ccache -M 5G >/dev/null 2>&1 || true
blog=$KDIR/build.log
log "building Linux $TPC_KERNEL_VERSION with LLVM=1, -j$jobs (log: $blog)"
start=$(date +%s)
kmake -j"$jobs" all >"$blog" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	sleep 30 &
	wait $! || true
	kill -0 "$pid" 2>/dev/null || break
	n=$(grep -c -E '^\s+(CC|RUSTC|LD|AR|AS)\b' "$blog" || true)
	last=$(grep -E '^\s+[A-Z]+' "$blog" | tail -1 | sed 's/^ *//')
	log "$(( ($(date +%s) - start) / 60 ))m$(( ($(date +%s) - start) % 60 ))s elapsed, $n steps, at: $last"
done
if ! wait "$pid"; then
	tail -40 "$blog" >&2
	log "build FAILED after $(( $(date +%s) - start ))s (full log: $blog)"
	exit 1
fi
el=$(( $(date +%s) - start ))
log "built in $((el / 60))m$((el % 60))s"
touch "$stamp"
echo "$KDIR"
