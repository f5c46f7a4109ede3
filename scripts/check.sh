#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test, from a fresh machine or a warm cache.
#   set-up, kernel (cached), host tests of the pure-logic files, lints
#   (clippy, rustfmt, no unsafe outside rust/), module and tools builds,
#   then the kselftests in a QEMU guest.
# Prints TAP and ends with "N passed, N failed, N skipped", where N counts
# every host test, build/lint stage and selftest case.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cd "$top"

passed=0 failed=0 skipped=0 n=0
t0=$(date +%s)
log=$(mktemp -d /tmp/tpc-check.XXXXXX)

# stage NAME CMD...: one TAP result; the output goes to a log, shown on failure.
stage() {
	local name=$1 s rc f
	shift
	f=$log/$((n + 1)).log
	s=$(date +%s)
	"$@" >"$f" 2>&1
	rc=$?
	n=$((n + 1))
	if [ $rc = 0 ]; then
		echo "ok $n - $name # $(( $(date +%s) - s )) s"
		passed=$((passed + 1))
	else
		echo "not ok $n - $name # exit $rc after $(( $(date +%s) - s )) s"
		tail -n 60 "$f" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
	return $rc
}

echo "TAP version 13"
echo "# tcp-pathchanger make check, $(date -u +%FT%TZ), log dir $log"

stage "set-up (packages, Rust pieces, virtme-ng, kernel source)" scripts/setup.sh ||
	{ echo "$passed passed, $((failed)) failed, $skipped skipped"; exit 1; }
. scripts/env.sh

# The kernel build streams its progress lines (a cold build takes minutes).
kernel() {
	scripts/build-kernel.sh 2>&1 >/dev/null | tee /dev/stderr | sed -u 's/^/# /' >&3
	return "${PIPESTATUS[0]}"
}
if ! stage "test kernel (cached by version and config hash)" kernel 3>&1; then
	echo "$passed passed, $failed failed, $skipped skipped"
	exit 1
fi

# Host tests: every cargo test counts.
host_tests() {
	cd tools && cargo test --release 2>&1
}
n=$((n + 1))
s=$(date +%s)
out=$(host_tests)
rc=$?
printf '%s\n' "$out" > "$log/host-tests.log"
hp=$(printf '%s\n' "$out" | sed -n 's/^test result: .* \([0-9]\+\) passed; \([0-9]\+\) failed; \([0-9]\+\) ignored.*/\1/p' | paste -sd+ | bc)
hf=$(printf '%s\n' "$out" | sed -n 's/^test result: .* \([0-9]\+\) passed; \([0-9]\+\) failed.*/\2/p' | paste -sd+ | bc)
hp=${hp:-0} hf=${hf:-0}
printf '%s\n' "$out" | grep -E '^test .* (FAILED|ok)$' | sed 's/^/# /'
if [ $rc = 0 ] && [ "$hp" -gt 0 ]; then
	echo "ok $n - host tests of tpc/*.rs, ccp/*.rs and tpcctl: $hp passed # $(( $(date +%s) - s )) s"
else
	echo "not ok $n - host tests: $hp passed, $hf failed (exit $rc)"
	printf '%s\n' "$out" | tail -40 | sed 's/^/#   /'
	[ "$hf" = 0 ] && hf=1
fi
passed=$((passed + hp))
failed=$((failed + hf))

stage "guest-run verdict (ktap-summary.py) catches failures" scripts/ktap_summary_test.py
stage "module builds with -Werror / -Dwarnings" scripts/kmake.sh modules
stage "no-FP checker self-test (flags a float object, passes an integer one)" scripts/check-no-fp.sh --self-test
stage "tcp_pathchanger.ko has no floating-point instructions" scripts/check-no-fp.sh tcp_pathchanger.ko
stage "clippy (CLIPPY=1, kernel lint set incl. undocumented_unsafe_blocks)" \
	scripts/kmake.sh CLIPPY=1 clean modules
stage "rustfmt --check (module and tools)" scripts/fmt.sh --check
no_unsafe() {
	! grep -nE '\bunsafe\s*(\{|fn\b|impl\b|extern\b|trait\b)' tcp_pathchanger.rs ccp_datapath.rs tpc/*.rs ccp/*.rs fpu_helpers.rs
}
stage "no unsafe outside rust/" no_unsafe
stage "tools build (tpcctl, release)" bash -c "cd tools && cargo build --release"
stage "clippy (tools, all targets, warnings are errors)" \
	bash -c "cd tools && cargo clippy --release --all-targets -- -D warnings"

# The guest run: its own KTAP, counted case by case.
n=$((n + 1))
s=$(date +%s)
vm_out=$(scripts/vm-run.sh -o "$log/vm" 2>&1)
vrc=$?
printf '%s\n' "$vm_out" > "$log/vm.log"
printf '%s\n' "$vm_out" | sed '$d' | sed 's/^/# /'
last=$(printf '%s\n' "$vm_out" | tail -1)
if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
	vp=${BASH_REMATCH[1]} vf=${BASH_REMATCH[2]} vs=${BASH_REMATCH[3]}
else
	vp=0 vf=1 vs=0
fi
if [ $vrc = 0 ]; then
	echo "ok $n - kselftests in the QEMU guest: $last # $(( $(date +%s) - s )) s"
else
	echo "not ok $n - kselftests in the QEMU guest: $last (exit $vrc) # $(( $(date +%s) - s )) s"
	[ "$vf" = 0 ] && vf=1
fi
passed=$((passed + vp))
failed=$((failed + vf))
skipped=$((skipped + vs))

echo "# total $(( $(date +%s) - t0 )) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
