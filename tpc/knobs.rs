// SPDX-License-Identifier: GPL-2.0

//! Tunables of the module (`net.tpc.*` sysctls): names, defaults, ranges and
//! their atomic storage.
//!
//! Pure logic, shared by the module and the host tests. The module's sysctl
//! table points at the atomics in [`Knobs`] (range-checked by the kernel's
//! `proc_dointvec_minmax`); policy code reads them with [`Knobs::get`] from
//! any context, softirq included.

use core::ffi::CStr;
use core::sync::atomic::{AtomicI32, Ordering};

/// A tunable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub(crate) enum Knob {
    /// NRTOChanger's N: successive RTOs without progress before a move.
    Rtos = 0,
    /// M: duplicate data segments received without progress before a move.
    Dups = 1,
    /// TimeoutChanger's T: milliseconds without progress before a move.
    TimeoutMs = 2,
    /// Failover strategy for prefixes without an override: 0 off,
    /// 1 NRTOChanger, 2 TimeoutChanger.
    Strategy = 3,
    /// Apply TCP_PATH_CHANGED also at non-RTO path changes (connection
    /// start, duplicate data, application requests), as the original did.
    Parity = 4,
    /// Also count the retransmission of the last acknowledged segment
    /// (`end_seq == rcv_wup`, dropped as `TCP_OLD_DATA`) as duplicate data;
    /// the original did not.
    CountOldData = 5,
    /// EXP3 chooses the paths of prefixes without an override (0 off, 1 on).
    Exp3 = 6,
    /// EXP3's Γ, in millionths (0..=1 000 000).
    Exp3GammaPpm = 7,
    /// Ongoing connections report and redraw every this many bytes
    /// (acknowledged plus received); 0: only at start and close.
    Exp3HookBytes = 8,
    /// Key length of EXP3 states (destination prefix bits).
    Exp3Keylen = 9,
    /// EXP3 reward rule: 0 textbook, 1 as coded in the original.
    Exp3Preset = 10,
    /// As-coded preset: the reference delay in milliseconds.
    Exp3RefMs = 11,
    /// A path failover left stays out of EXP3 draws this long (ms; 0:
    /// until a probe).
    Exp3FailTimeoutMs = 12,
    /// CCP: most flows the agent drives at once (more run the fallback).
    CcpMaxFlows = 13,
    /// CCP: algorithm name CREATE asks the agent for: 0 "reno", 1
    /// "cubic", 2 empty (the agent's default).
    CcpAlg = 14,
    /// CCP: flows fall back when the agent has answered no report for
    /// this long (ms; 0: only when its file is closed).
    CcpAgentTimeoutMs = 15,
    /// Augmenter: smallest learned initial window (packets); at most the
    /// ceiling.
    AugFloor = 16,
    /// Augmenter: largest learned initial window (packets); at least the
    /// floor.
    AugCeiling = 17,
    /// Augmenter: half-life of the per-prefix averages (ms).
    AugHalfLifeMs = 18,
    /// Augmenter: an aggregate without activity for this long is stale
    /// (ms).
    AugStaleMs = 19,
    /// Augmenter: pace connections whose initial window it raised (the
    /// kernel's internal pacing; `tpc` only).
    AugPacing = 20,
    /// CCP: the in-kernel algorithm of flows no agent drives: 0 Reno,
    /// 1 Cubic.
    CcpFallback = 21,
}

/// Number of tunables.
pub(crate) const KNOB_COUNT: usize = 22;

/// All tunables in table order.
pub(crate) const ALL: [Knob; KNOB_COUNT] = [
    Knob::Rtos,
    Knob::Dups,
    Knob::TimeoutMs,
    Knob::Strategy,
    Knob::Parity,
    Knob::CountOldData,
    Knob::Exp3,
    Knob::Exp3GammaPpm,
    Knob::Exp3HookBytes,
    Knob::Exp3Keylen,
    Knob::Exp3Preset,
    Knob::Exp3RefMs,
    Knob::Exp3FailTimeoutMs,
    Knob::CcpMaxFlows,
    Knob::CcpAlg,
    Knob::CcpAgentTimeoutMs,
    Knob::AugFloor,
    Knob::AugCeiling,
    Knob::AugHalfLifeMs,
    Knob::AugStaleMs,
    Knob::AugPacing,
    Knob::CcpFallback,
];

/// Static description of a tunable.
#[derive(Debug)]
pub(crate) struct KnobDef {
    /// Sysctl file name under `net/tpc/`.
    pub(crate) name: &'static CStr,
    /// Value at module load.
    pub(crate) default: i32,
    /// Smallest accepted value.
    pub(crate) min: i32,
    /// Largest accepted value.
    pub(crate) max: i32,
}

/// Descriptions, indexed by [`Knob`]. Defaults are the paper's settings
/// (N = 3, M = 2, T = 700 ms).
pub(crate) static DEFS: [KnobDef; KNOB_COUNT] = [
    KnobDef {
        name: c"failover_rtos",
        default: 3,
        min: 1,
        max: 64,
    },
    KnobDef {
        name: c"failover_dups",
        default: 2,
        min: 1,
        max: 64,
    },
    KnobDef {
        name: c"failover_timeout_ms",
        default: 700,
        min: 1,
        max: 120_000,
    },
    KnobDef {
        name: c"strategy",
        default: 1,
        min: 0,
        max: 2,
    },
    KnobDef {
        name: c"parity",
        default: 1,
        min: 0,
        max: 1,
    },
    KnobDef {
        name: c"count_old_data",
        default: 0,
        min: 0,
        max: 1,
    },
    KnobDef {
        name: c"exp3",
        default: 0,
        min: 0,
        max: 1,
    },
    KnobDef {
        name: c"exp3_gamma_ppm",
        default: 100_000,
        min: 0,
        max: 1_000_000,
    },
    KnobDef {
        name: c"exp3_hook_bytes",
        default: 1 << 20,
        min: 0,
        max: 1 << 30,
    },
    KnobDef {
        name: c"exp3_keylen",
        default: 64,
        min: 1,
        max: 128,
    },
    KnobDef {
        name: c"exp3_preset",
        default: 0,
        min: 0,
        max: 1,
    },
    KnobDef {
        name: c"exp3_ref_ms",
        default: 23,
        min: 1,
        max: 60_000,
    },
    KnobDef {
        name: c"exp3_fail_timeout_ms",
        default: 10_000,
        min: 0,
        max: 3_600_000,
    },
    KnobDef {
        name: c"ccp_max_flows",
        default: 4095,
        min: 1,
        max: 4095,
    },
    KnobDef {
        name: c"ccp_alg",
        default: 0,
        min: 0,
        max: 2,
    },
    KnobDef {
        name: c"ccp_agent_timeout_ms",
        default: 1000,
        min: 0,
        max: 600_000,
    },
    KnobDef {
        name: c"augment_floor",
        default: 10,
        min: 1,
        max: 65_535,
    },
    KnobDef {
        name: c"augment_ceiling",
        default: 512,
        min: 1,
        max: 65_535,
    },
    KnobDef {
        name: c"augment_half_life_ms",
        default: 1000,
        min: 1,
        max: 600_000,
    },
    KnobDef {
        name: c"augment_stale_ms",
        default: 10_000,
        min: 100,
        max: 3_600_000,
    },
    KnobDef {
        name: c"augment_pacing",
        default: 1,
        min: 0,
        max: 1,
    },
    KnobDef {
        name: c"ccp_fallback",
        default: 0,
        min: 0,
        max: 1,
    },
];

impl Knob {
    /// The tunable's description.
    pub(crate) fn def(self) -> &'static KnobDef {
        &DEFS[self as usize]
    }

    /// Other tunables that bound this one: `(at least, at most)`. The
    /// sysctl handler checks them too (its range pointers point at their
    /// values).
    pub(crate) fn linked_bounds(self) -> (Option<Knob>, Option<Knob>) {
        match self {
            Knob::AugFloor => (None, Some(Knob::AugCeiling)),
            Knob::AugCeiling => (Some(Knob::AugFloor), None),
            _ => (None, None),
        }
    }
}

/// Value outside the tunable's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OutOfRange;

/// Current values of all tunables.
pub(crate) struct Knobs {
    values: [AtomicI32; KNOB_COUNT],
}

impl Knobs {
    /// All tunables at their defaults.
    pub(crate) const fn new() -> Self {
        Self {
            values: [
                AtomicI32::new(DEFS[0].default),
                AtomicI32::new(DEFS[1].default),
                AtomicI32::new(DEFS[2].default),
                AtomicI32::new(DEFS[3].default),
                AtomicI32::new(DEFS[4].default),
                AtomicI32::new(DEFS[5].default),
                AtomicI32::new(DEFS[6].default),
                AtomicI32::new(DEFS[7].default),
                AtomicI32::new(DEFS[8].default),
                AtomicI32::new(DEFS[9].default),
                AtomicI32::new(DEFS[10].default),
                AtomicI32::new(DEFS[11].default),
                AtomicI32::new(DEFS[12].default),
                AtomicI32::new(DEFS[13].default),
                AtomicI32::new(DEFS[14].default),
                AtomicI32::new(DEFS[15].default),
                AtomicI32::new(DEFS[16].default),
                AtomicI32::new(DEFS[17].default),
                AtomicI32::new(DEFS[18].default),
                AtomicI32::new(DEFS[19].default),
                AtomicI32::new(DEFS[20].default),
                AtomicI32::new(DEFS[21].default),
            ],
        }
    }

    /// Current value.
    pub(crate) fn get(&self, k: Knob) -> i32 {
        self.values[k as usize].load(Ordering::Relaxed)
    }

    /// The range a value must be in now: the static one, narrowed by the
    /// current values of linked knobs ([`Knob::linked_bounds`]).
    pub(crate) fn range(&self, k: Knob) -> (i32, i32) {
        let d = k.def();
        let (lo, hi) = k.linked_bounds();
        (
            lo.map_or(d.min, |o| self.get(o).max(d.min)),
            hi.map_or(d.max, |o| self.get(o).min(d.max)),
        )
    }

    /// Sets a value after checking its range.
    pub(crate) fn set(&self, k: Knob, v: i32) -> Result<(), OutOfRange> {
        let (lo, hi) = self.range(k);
        if v < lo || v > hi {
            return Err(OutOfRange);
        }
        self.values[k as usize].store(v, Ordering::Relaxed);
        Ok(())
    }

    /// The storage of a tunable, for the sysctl table.
    pub(crate) fn cell(&self, k: Knob) -> &AtomicI32 {
        &self.values[k as usize]
    }
}
