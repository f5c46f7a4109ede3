# SPDX-License-Identifier: GPL-2.0
# Pins and cache locations shared by every script (sourced, not executed).

TPC_KERNEL_SERIES=6.12
TPC_KERNEL_PIN=6.12.117
TPC_KERNEL_DEBVER=6.12.117-1~deb12u1
# The version actually installed (the pin, unless the archive moved on;
# setup.sh says so loudly then). Paths and cache keys use it.
_tpc_have=$(dpkg-query -W -f='${Version}' "linux-source-$TPC_KERNEL_SERIES" 2>/dev/null || true)
TPC_KERNEL_VERSION=${_tpc_have%%-*}
: "${TPC_KERNEL_VERSION:=$TPC_KERNEL_PIN}"
unset _tpc_have
TPC_BINDGEN_VERSION=0.72.1
TPC_VNG_VERSION=1.42

# Everything built lives outside the repository, keyed by what it depends on.
TPC_CACHE=${TPC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tcp-pathchanger}
TPC_VENV=$TPC_CACHE/venv-vng-$TPC_VNG_VERSION
TPC_KSRC=$TPC_CACHE/src/linux-$TPC_KERNEL_VERSION
export CCACHE_DIR=${CCACHE_DIR:-$TPC_CACHE/ccache}
export PATH=$HOME/.cargo/bin:$TPC_VENV/bin:$PATH
