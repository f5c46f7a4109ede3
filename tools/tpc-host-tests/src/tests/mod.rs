// SPDX-License-Identifier: GPL-2.0

mod counters;
mod knobs;
mod proto;
mod ring;
mod uapi;
