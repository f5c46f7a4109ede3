// SPDX-License-Identifier: GPL-2.0

mod counters;
mod events;
mod failover;
mod knobs;
mod paths;
mod proto;
mod ring;
mod srh;
mod uapi;
mod util;
