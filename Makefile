# SPDX-License-Identifier: GPL-2.0
#
# Top-level entry points. `make` builds the test kernel (cached outside the
# repository) and tcp_pathchanger.ko; `make check` runs every test; `make
# demo` boots a guest and shows the module at work. `make help` lists all.
#
# Kbuild reads ./Kbuild, not this file, when it builds the module.

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
export TPC_TOP := $(TOP)

.PHONY: all setup kernel module tools host-test clippy fmt-check fmt \
	check demo vm-test bench-failover bench-exp3 bench-ccp bench-augment bench-fpu clean distclean help

all: module tools

help:
	@echo "make            set up, build the kernel (cached) and tcp_pathchanger.ko, and tools"
	@echo "make check      host tests + lint + build + kselftests in a QEMU guest"
	@echo "make demo       boot a guest, load the module, show a transfer using tpc"
	@echo "make setup      install packages, Rust pieces, virtme-ng, kernel source"
	@echo "make kernel     build the test kernel into the cache"
	@echo "make module     build tcp_pathchanger.ko against the cached kernel"
	@echo "make tools      build tpcctl (cargo, release)"
	@echo "make host-test  cargo test of the pure-logic files and tpcctl"
	@echo "make clippy     module with CLIPPY=1 and cargo clippy of tools (warnings are errors)"
	@echo "make fmt-check  rustfmt --check of module and tools"
	@echo "make vm-test    run the kselftests in a guest (needs module, tools)"
	@echo "make bench-failover [BENCH_ARGS='--runs N --configs LIST']"
	@echo "                TPC failure-recovery benchmark in a guest (not part of check)"
	@echo "make bench-exp3 [BENCH_ARGS='--runs N --configs LIST --duration S']"
	@echo "                EXP3 lowest-delay benchmark in a guest (lighttpd + ab; not part of check)"
	@echo "make bench-ccp [BENCH_ARGS='--secs S --parts LIST --out DIR']"
	@echo "                CCP datapath vs kernel CC: fidelity, loopback, IPC, flows (guest)"
	@echo "make bench-augment [BENCH_ARGS='--duration S --rtts LIST --rate MBIT --load MBIT --out DIR']"
	@echo "                Augmenter vs IW10 vs static initcwnd: short-flow FCT (guest)"
	@echo "make bench-fpu  host benchmark of the module's floating-point helpers (JSON)"
	@echo "make clean      remove build products from the tree"

setup:
	@scripts/setup.sh

kernel: setup
	@scripts/build-kernel.sh >/dev/null

module: kernel
	@scripts/kmake.sh modules

# clippy-driver also emits the objects: the .ko it leaves is a normal build.
clippy: kernel
	@scripts/kmake.sh CLIPPY=1 clean modules
	@cd tools && cargo clippy --release --all-targets --quiet -- -D warnings

tools: setup
	@cd tools && cargo build --release --quiet

host-test: setup
	@cd tools && cargo test --quiet

fmt-check: setup
	@scripts/fmt.sh --check

fmt: setup
	@scripts/fmt.sh

vm-test:
	@scripts/vm-run.sh

check:
	@scripts/check.sh

demo:
	@scripts/demo.sh

bench-failover:
	@scripts/bench-failover.sh $(BENCH_ARGS)

bench-exp3:
	@scripts/bench-exp3.sh $(BENCH_ARGS)

bench-ccp:
	@scripts/bench-ccp.sh $(BENCH_ARGS)

bench-augment:
	@scripts/bench-augment.sh $(BENCH_ARGS)

# The ignored test fpu_bench of tools/tpc-host-tests writes its figures to
# $FPU_BENCH_JSON; the file's path is the last line printed.
bench-fpu: setup
	@out=$(TOP)/bench-out/fpu-$$(date +%Y%m%d-%H%M%S) && mkdir -p "$$out" && \
	cd tools && FPU_BENCH_JSON="$$out/fpu.json" cargo test --release -p tpc-host-tests \
		fpu_bench -- --ignored --nocapture && \
	echo "$$out/fpu.json"

clean:
	@if [ -d "$$(scripts/build-kernel.sh --print-kdir 2>/dev/null)" ]; then \
		scripts/kmake.sh clean; fi
	@cd tools && cargo clean --quiet 2>/dev/null || true

distclean: clean
	@. scripts/env.sh && echo "cache: $$TPC_CACHE (remove by hand)"
