// SPDX-License-Identifier: GPL-2.0

mod augment;
mod ccp_cubic;
mod ccp_vm;
mod ccp_wire;
mod counters;
mod events;
mod exp3;
mod failover;
mod fpu;
mod knobs;
mod paths;
mod proto;
mod ring;
mod srh;
mod synack;
mod uapi;
mod util;
