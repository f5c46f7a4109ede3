#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Idempotent set-up of everything the build and the tests need on a fresh
# Debian 12 machine: Debian packages, the Rust pieces the kernel wants,
# virtme-ng in a local venv and the pinned kernel source.
#
# Each step is skipped when its result is already present, so calling this
# from every make target costs well under a second on a prepared machine.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/env.sh
. "$here/env.sh"

log() { printf 'setup: %s\n' "$*" >&2; }

# --- Debian packages ------------------------------------------------------
PKGS=(
	clang lld llvm libclang-dev		# LLVM=1 kernel build, bindgen
	flex bison bc libelf-dev libssl-dev cpio kmod rsync make gcc libc6-dev
	ccache					# compiler cache for the kernel's C
	qemu-system-x86 busybox-static udev	# the guest (udev: vng exit codes)
	iproute2 iperf3 ethtool procps		# what the selftests run
	python3-venv jq xz-utils
	"linux-source-$TPC_KERNEL_SERIES"
)
# Extra packages a caller needs (the benchmarks: plotting).
# shellcheck disable=SC2206
PKGS+=(${TPC_SETUP_EXTRA:-})

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing Debian packages: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		log "need root to install packages (run as root or install them yourself)"
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# Daemons among the extras (lighttpd, for bench-exp3) run only in the
	# guest, under the benchmark's own configuration: the host must not
	# start them (nor serve on port 80, nor fail the installation when
	# that port is taken). A temporary policy-rc.d keeps the package
	# scripts from starting them, unless the machine has its own (Docker
	# images do: it refuses every start already); the services are then
	# disabled, so that they do not start at boot either.
	daemons=()
	for p in "${missing[@]}"; do
		case $p in lighttpd) daemons+=("$p") ;; esac
	done
	policy=
	if ((${#daemons[@]})) && [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		# shellcheck disable=SC2016 # $a is for the generated script
		printf '#!/bin/sh\n# tcp-pathchanger setup.sh (temporary): no %s\nfor a; do case $a in %s) exit 101 ;; esac; done\nexit 0\n' \
			"${daemons[*]}" "$(IFS='|'; echo "${daemons[*]}")" >"$policy"
		chmod 755 "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	[ -n "$policy" ] && rm -f "$policy"
	for d in "${daemons[@]}"; do
		if [ -d /run/systemd/system ]; then
			systemctl disable --now "$d.service" >/dev/null 2>&1 || true
		else
			[ -x "/etc/init.d/$d" ] && { "/etc/init.d/$d" stop >/dev/null 2>&1 || true; }
			update-rc.d "$d" disable >/dev/null 2>&1 || true
		fi
		log "$d installed for the benchmarks; its host service is stopped and disabled"
	done
fi

# The kernel source version we build. Pinned; if the archive has moved on,
# the newest 6.12.y is taken and that is said loudly.
have=$(dpkg-query -W -f='${Version}' "linux-source-$TPC_KERNEL_SERIES")
if [ "${have%%-*}" != "$TPC_KERNEL_PIN" ]; then
	if apt-get install -y -qq --allow-downgrades \
		"linux-source-$TPC_KERNEL_SERIES=$TPC_KERNEL_DEBVER" >/dev/null 2>&1; then
		log "pinned linux-source-$TPC_KERNEL_SERIES to $TPC_KERNEL_DEBVER"
	else
		cat >&2 <<MSG
setup: ****************************************************************
setup: WARNING: linux-source $TPC_KERNEL_DEBVER is no longer in the archive.
setup: WARNING: building with the newest 6.12.y available: $have
setup: ****************************************************************
MSG
	fi
	# Paths and cache keys follow the version now installed.
	. "$here/env.sh"
fi

# --- Rust ---------------------------------------------------------------
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	log "rustup component add rust-src"
	rustup component add rust-src
fi
if ! rustup component list --installed 2>/dev/null | grep -q '^clippy'; then
	rustup component add clippy rustfmt
fi
if ! bindgen --version 2>/dev/null | grep -q " $TPC_BINDGEN_VERSION\$"; then
	log "cargo install bindgen-cli $TPC_BINDGEN_VERSION"
	cargo install --locked --quiet bindgen-cli --version "$TPC_BINDGEN_VERSION"
fi

# --- virtme-ng ------------------------------------------------------------
if ! "$TPC_VENV/bin/vng" --version 2>/dev/null | grep -q "$TPC_VNG_VERSION"; then
	log "virtme-ng $TPC_VNG_VERSION into $TPC_VENV"
	python3 -m venv "$TPC_VENV"
	"$TPC_VENV/bin/pip" install -q --disable-pip-version-check \
		"virtme-ng==$TPC_VNG_VERSION"
fi

# --- Kernel source ------------------------------------------------------
if [ ! -f "$TPC_KSRC/Makefile" ]; then
	tarball=$(ls /usr/src/linux-source-"$TPC_KERNEL_SERIES".tar.* | head -1)
	log "unpacking $tarball into $TPC_KSRC"
	mkdir -p "$TPC_KSRC.tmp"
	tar -C "$TPC_KSRC.tmp" --strip-components=1 -xf "$tarball"
	mv "$TPC_KSRC.tmp" "$TPC_KSRC"
fi
exit 0
