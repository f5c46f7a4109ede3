#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rustfmt with the kernel's settings (.rustfmt.toml: edition 2021, Unix
# newlines) over the module crate (tcp_pathchanger.rs and every file it
# includes) and the tools workspace. --check reports instead of rewriting.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/env.sh"
check=()
[ "${1:-}" = --check ] && check=(--check)
rustfmt "${check[@]}" --edition 2021 --config newline_style=Unix "$top/tcp_pathchanger.rs"
cd "$top/tools" && cargo fmt --all -- "${check[@]}"
