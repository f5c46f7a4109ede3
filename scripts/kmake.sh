#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs Kbuild for this directory against the cached test kernel:
#   scripts/kmake.sh [make args...]   ->  make -C $KDIR M=$TOP LLVM=1 ...
# Our own code builds with warnings as errors (C and Rust).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/env.sh"
kdir=$("$here/build-kernel.sh")
exec make -C "$kdir" M="$top" ARCH=x86_64 LLVM=1 -j"$(nproc)" \
	CONFIG_TCP_PATHCHANGER=m KCFLAGS=-Werror KRUSTFLAGS=-Dwarnings "$@"
