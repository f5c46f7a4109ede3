#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/check-no-fp.sh FILE...
#        scripts/check-no-fp.sh --self-test
#
# Fails (exit 1) if any object file or module (.o, .ko) uses the FPU or
# SIMD unit: kernel code must not (the module's arithmetic is the soft
# float of fpu_helpers.rs). Each FILE is disassembled with
# `llvm-objdump -dr` (`objdump -dr` if llvm-objdump is missing; $OBJDUMP
# overrides both) and every instruction is checked for
#   - x87, MMX, SSE, AVX and AVX-512 registers (%st, %mm, %xmm, %ymm, %zmm,
#     the %k mask registers);
#   - x87 mnemonics (fld, fst, fadd, fmul, fdiv, fsub, fild, fist, fcom,
#     fxch, fninit, fwait/wait, ...), SSE/AVX scalar and packed mnemonics
#     (addsd, mulss, cvt*, ucomis*, comis*, sqrt*, vmov*, vadd*, ...; the
#     string move movsd/movsl is not flagged unless it has a vector
#     register operand), emms, vzeroupper, ldmxcsr/stmxcsr,
#     fxsave/xsave/xrstor;
# and the relocations and symbol table for kernel_fpu_begin/kernel_fpu_end.
# Prints at most 20 offending lines per file, or
#   "no floating-point instructions in FILE (N instructions scanned)".
# Exit status: 0 clean, 1 floating point found, 2 usage or tool error.
#
# --self-test compiles a C file using double and long double arithmetic,
# and one calling kernel_fpu_begin_mask(), with `clang -O2 -c` and checks
# that each is flagged, and that an integer-only file (string moves
# included) passes; with every disassembler available. Exit 0 only if all
# of that holds.
set -uo pipefail

pick_objdump() {
	if [ -n "${OBJDUMP:-}" ]; then
		echo "$OBJDUMP"
	elif command -v llvm-objdump >/dev/null; then
		echo llvm-objdump
	elif command -v objdump >/dev/null; then
		echo objdump
	else
		return 1
	fi
}

# check_file OBJDUMP FILE: prints the verdict, returns 0, 1 or 2.
check_file() {
	local od=$1 file=$2 dis syms
	if [ ! -r "$file" ]; then
		echo "check-no-fp: cannot read $file" >&2
		return 2
	fi
	if ! dis=$("$od" -dr "$file" 2>&1); then
		printf '%s\n' "$dis" | head -5 >&2
		echo "check-no-fp: $od -dr $file failed" >&2
		return 2
	fi
	syms=$("$od" -t "$file" 2>/dev/null || true)
	{
		printf '%s\n' "$dis"
		echo "@@SYMBOLS@@"
		printf '%s\n' "$syms"
	} | awk -v file="$file" '
	function flag(what) {
		bad++
		if (bad <= 20)
			printf "%s: %s: %s\n", file, fn, what
	}
	BEGIN {
		fn = "?"
		split("rep repe repz repne repnz lock notrack bnd data16 addr32 " \
		      "cs ds es fs gs ss xacquire xrelease rex rex.w", p, " ")
		for (i in p)
			prefix[p[i]] = 1
	}
	/^@@SYMBOLS@@$/ { insyms = 1; next }
	insyms {
		if ($0 ~ /kernel_fpu_(begin|end)/) {
			fn = "symbol table"
			flag($NF)
		}
		next
	}
	# Function headers: "0000000000000000 <name>:".
	/^[0-9a-f]+ <.*>:$/ { fn = $2; sub(/:$/, "", fn); next }
	# Relocations (objdump: "1e: R_X86_64_PLT32 sym", llvm: "000...1e:  R_...").
	/^[ \t]*[0-9a-f]+:[ \t]+R_[A-Z0-9_]+/ {
		if ($0 ~ /kernel_fpu_(begin|end)/) {
			line = $0; gsub(/[ \t]+/, " ", line); sub(/^ /, "", line)
			flag("call of " line)
		}
		next
	}
	/^[ \t]*[0-9a-f]+:/ {
		line = $0
		sub(/^[ \t]*[0-9a-f]+:[ \t]*/, "", line)
		# Bytes-only continuation lines (objdump wraps long encodings).
		if (line ~ /^([0-9a-f][0-9a-f] ?)+[ \t]*$/)
			next
		# Drop the encoding: hex byte pairs, then a tab.
		sub(/^([0-9a-f][0-9a-f] )*[0-9a-f][0-9a-f][ ]*\t/, "", line)
		gsub(/[ \t]+/, " ", line); sub(/^ /, "", line); sub(/ $/, "", line)
		if (line == "")
			next
		insns++
		n = split(line, w, " ")
		i = 1
		while (i < n && (w[i] in prefix))
			i++
		m = w[i]
		ops = ""
		for (j = i + 1; j <= n; j++)
			ops = ops " " w[j]
		if (ops ~ /%[xyz]mm[0-9]/ || ops ~ /%st([^a-z0-9]|$)/ ||
		    ops ~ /%mm[0-7]/ || ops ~ /%k[0-7]([^0-9]|$)/) {
			flag(line)
			next
		}
		# x87 (every x87 mnemonic starts with f), wait = fwait.
		if (m ~ /^f[a-z0-9]+$/ || m == "wait") {
			flag(line)
			next
		}
		if (m ~ /^(ld|st)mxcsr$/ || m ~ /^v(ld|st)mxcsr$/ ||
		    m ~ /^x(save|rstor)/ || m ~ /^f?emms$/ ||
		    m ~ /^vzero(upper|all)$/) {
			flag(line)
			next
		}
		# SSE/AVX families (they normally also carry a vector register;
		# listed for forms that do not). movss/movsd only with a vector
		# register (above): movsd without one is not SSE.
		if (m ~ /^v?(add|sub|mul|div|min|max|sqrt|rcp|rsqrt|cmp[a-z]*|and|andn|or|xor|hadd|hsub|addsub|dp|round|shuf|unpck[hl]|blend|blendv|mova|movu|movh|movl|movnt|movmsk)(ss|sd|ps|pd)$/ ||
		    m ~ /^v?cvt/ || m ~ /^v?u?comis[sd]$/ ||
		    m ~ /^v(mov|add|sub|mul|div|fn?m(add|sub)|broadcast|perm|gather|scatter|insert|extract|p[a-z]|pxor|pand|por|shuf|unpck|blend|max|min|sqrt|rcp|rsqrt|round|xor|and|or|cmp|test|mask|lddqu|compress|expand|dp)/) {
			flag(line)
			next
		}
	}
	END {
		if (bad > 0) {
			if (bad > 20)
				printf "%s: ... and %d more\n", file, bad - 20
			printf "%s: %d floating-point/SIMD instruction(s) or reference(s) found (%d instructions scanned)\n", file, bad, insns
			exit 1
		}
		printf "no floating-point instructions in %s (%d instructions scanned)\n", file, insns
	}'
}

self_test() {
	local dir cc ok=1 od ods=() rc
	dir=$(mktemp -d /tmp/check-no-fp.XXXXXX) || return 2
	selftest_dir=$dir
	trap 'rm -rf "$selftest_dir"' EXIT
	cc=$(command -v clang || command -v cc || command -v gcc) ||
		{ echo "self-test: no C compiler" >&2; return 2; }
	cat >"$dir/float.c" <<-'EOF'
	double f(double a, double b) { return a * b + a / b; }
	EOF
	cat >"$dir/x87.c" <<-'EOF'
	long double g(long double a, long double b) { return a * b + 3; }
	EOF
	cat >"$dir/fpucall.c" <<-'EOF'
	void kernel_fpu_begin_mask(unsigned int);
	void kernel_fpu_end(void);
	void h(void) { kernel_fpu_begin_mask(0); kernel_fpu_end(); }
	EOF
	cat >"$dir/int.c" <<-'EOF'
	long i(long a, long b) { return a * b + a / (b | 1) - (a >> 3); }
	unsigned long j(unsigned long x) { return x % 1000003u; }
	void k(void *d, const void *s, unsigned long n)
	{
		__asm__ volatile("rep movsl; rep movsq; movsb; cltq; cqto"
				 : "+D"(d), "+S"(s), "+c"(n) : : "memory", "rax", "rdx");
	}
	EOF
	for f in float x87 fpucall int; do
		"$cc" -O2 -c -fno-asynchronous-unwind-tables -o "$dir/$f.o" "$dir/$f.c" ||
			{ echo "self-test: $cc failed on $f.c" >&2; return 2; }
	done
	if [ -n "${OBJDUMP:-}" ]; then
		ods=("$OBJDUMP")
	else
		for od in llvm-objdump objdump; do
			command -v "$od" >/dev/null && ods+=("$od")
		done
	fi
	[ ${#ods[@]} -gt 0 ] || { echo "self-test: no objdump" >&2; return 2; }
	for od in "${ods[@]}"; do
		# object:expected exit status (1 flagged, 0 passes)
		for c in float:1 x87:1 fpucall:1 int:0; do
			f=${c%:*}
			check_file "$od" "$dir/$f.o" >"$dir/out" 2>&1
			rc=$?
			sed 's/^/  /' "$dir/out"
			if [ $rc = "${c#*:}" ]; then
				echo "ok: $od: $f.o exits $rc as expected"
			else
				echo "FAIL: $od: $f.o exits $rc, expected ${c#*:}"
				ok=0
			fi
		done
	done
	if [ $ok = 1 ]; then
		echo "self-test passed"
		return 0
	fi
	echo "self-test FAILED"
	return 1
}

usage() {
	sed -n '4,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

main() {
	local od rc=0 r f
	case "${1:-}" in
	--self-test)
		self_test
		return
		;;
	-h | --help)
		usage
		return 0
		;;
	"")
		usage >&2
		return 2
		;;
	esac
	od=$(pick_objdump) || { echo "check-no-fp: neither llvm-objdump nor objdump found" >&2; return 2; }
	for f in "$@"; do
		check_file "$od" "$f"
		r=$?
		[ $r -gt $rc ] && rc=$r
	done
	return $rc
}

main "$@"
