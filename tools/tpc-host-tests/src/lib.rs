// SPDX-License-Identifier: GPL-2.0

//! Host build of the module's pure-logic files.
//!
//! The files under `tpc/` are compiled here exactly as the kernel module
//! compiles them (same source files, included by path; no copies) and are
//! tested with `cargo test`: unit tests, property tests against reference
//! models, fuzzing of the decoders, and a check that the C uapi header
//! agrees with the Rust side.

#![no_std]
// The library only exists to be tested: the kernel build (with -Dwarnings) checks for unused items.
#![allow(dead_code)]

#[cfg(test)]
extern crate std;

#[path = "../../../tpc/augment.rs"]
pub(crate) mod augment;
#[path = "../../../ccp/cubic.rs"]
pub(crate) mod ccp_cubic;
#[path = "../../../ccp/vm.rs"]
pub(crate) mod ccp_vm;
#[path = "../../../ccp/wire.rs"]
pub(crate) mod ccp_wire;
#[path = "../../../tpc/counters.rs"]
pub(crate) mod counters;
#[path = "../../../tpc/events.rs"]
pub(crate) mod events;
#[path = "../../../tpc/exp3.rs"]
pub(crate) mod exp3;
#[path = "../../../tpc/failover.rs"]
pub(crate) mod failover;
#[path = "../../../fpu_helpers.rs"]
pub(crate) mod fpu_helpers;
#[path = "../../../tpc/knobs.rs"]
pub(crate) mod knobs;
#[path = "../../../tpc/paths.rs"]
pub(crate) mod paths;
#[path = "../../../tpc/proto.rs"]
pub(crate) mod proto;
#[path = "../../../tpc/ring.rs"]
pub(crate) mod ring;
#[path = "../../../tpc/srh.rs"]
pub(crate) mod srh;
#[path = "../../../tpc/synack.rs"]
pub(crate) mod synack;

#[cfg(test)]
mod tests;
