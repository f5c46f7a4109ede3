// SPDX-License-Identifier: GPL-2.0

//! Cubic (RFC 9438) in integers, for the CCP datapath's in-kernel fallback
//! when `net.tpc.ccp_fallback` asks for it (the kernel's own `cubic` ops
//! are not exported, so they cannot be called).
//!
//! Pure logic, shared by the module and the host tests. The shape follows
//! the kernel's `tcp_cubic.c` without HyStart: β = 717/1024 (0.7),
//! C = 0.4, fast convergence, the TCP-friendly (Reno-estimate) region, and
//! the time origin shifted by the minimum RTT. The caller does slow start
//! and the additive increase itself (`tcp_slow_start`,
//! `tcp_cong_avoid_ai`); [`Cubic::cnt`] says after how many acknowledged
//! packets the window may grow by one.

/// β × 1024: the window after a loss is `cwnd × BETA / 1024`.
pub(crate) const BETA: u32 = 717;
/// `cnt` when the window is at or above its target (grow very slowly).
const CNT_AT_TARGET: u32 = 100;
/// Time offsets beyond this (about 17 minutes) are clamped, so that the
/// cube cannot overflow.
const MAX_OFFS_MS: u64 = 1_000_000;

/// Per-flow Cubic state (24 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cubic {
    /// Start of the current epoch (ms, never 0); 0: none.
    epoch_ms: u32,
    /// Window before the last reduction (packets); 0: none yet.
    last_max: u32,
    /// The cubic function's plateau for this epoch (packets).
    origin: u32,
    /// Time from the epoch's start to the plateau (ms).
    k_ms: u32,
    /// Packets acknowledged in this epoch, for the Reno estimate.
    ack_cnt: u32,
    /// What Reno's window would be (packets).
    tcp_cwnd: u32,
}

/// Floor of the cube root.
pub(crate) fn cbrt(x: u64) -> u64 {
    if x == 0 {
        return 0;
    }
    // Bit by bit from the top: at most 22 rounds for a u64.
    let mut r: u64 = 0;
    let mut bit = 1u64 << 21;
    while bit != 0 {
        let c = r | bit;
        if c.checked_mul(c)
            .and_then(|s| s.checked_mul(c))
            .is_some_and(|v| v <= x)
        {
            r = c;
        }
        bit >>= 1;
    }
    r
}

impl Cubic {
    /// Forgets the epoch (after a timeout or when the flow falls back).
    pub(crate) fn reset(&mut self) {
        *self = Self::default();
    }

    /// The slow-start threshold after a loss with window `cwnd`, which
    /// also ends the epoch (with fast convergence: a window that did not
    /// reach the previous maximum lowers it further).
    pub(crate) fn ssthresh(&mut self, cwnd: u32) -> u32 {
        self.epoch_ms = 0;
        self.last_max = if cwnd < self.last_max {
            // cwnd × (1 + β) / 2
            ((u64::from(cwnd) * u64::from(1024 + BETA)) / 2048) as u32
        } else {
            cwnd
        };
        ((u64::from(cwnd) * u64::from(BETA) / 1024) as u32).max(2)
    }

    /// Packets to acknowledge per window increment in congestion
    /// avoidance, for window `cwnd` after `acked` more packets at `now_ms`
    /// with minimum RTT `min_rtt_ms`. At least 2.
    pub(crate) fn cnt(&mut self, cwnd: u32, acked: u32, now_ms: u32, min_rtt_ms: u32) -> u32 {
        let cwnd = cwnd.max(1);
        self.ack_cnt = self.ack_cnt.saturating_add(acked);
        if self.epoch_ms == 0 {
            self.epoch_ms = now_ms.max(1);
            self.ack_cnt = acked;
            self.tcp_cwnd = cwnd;
            if self.last_max <= cwnd {
                self.k_ms = 0;
                self.origin = cwnd;
            } else {
                // K = cbrt((Wmax - cwnd) / C) seconds, C = 0.4: in ms,
                // cbrt(2.5 × 10^9 × (Wmax - cwnd)).
                let d = u64::from(self.last_max - cwnd);
                self.k_ms = cbrt(d.saturating_mul(2_500_000_000)).min(u64::from(u32::MAX)) as u32;
                self.origin = self.last_max;
            }
        }
        // Where the window should be one minimum RTT from now.
        let t = u64::from(now_ms.wrapping_sub(self.epoch_ms)) + u64::from(min_rtt_ms);
        let k = u64::from(self.k_ms);
        let offs = t.abs_diff(k).min(MAX_OFFS_MS);
        // C × offs³ with offs in ms: 0.4 × offs³ / 10^9 packets.
        let delta = offs * offs * offs / 2_500_000_000;
        let delta = delta.min(u64::from(u32::MAX)) as u32;
        let target = if t < k {
            self.origin.saturating_sub(delta)
        } else {
            self.origin.saturating_add(delta)
        };
        let mut cnt = if target > cwnd {
            cwnd / (target - cwnd)
        } else {
            CNT_AT_TARGET.saturating_mul(cwnd)
        };
        // The first epoch (no loss yet) grows at least 5 % per RTT.
        if self.last_max == 0 {
            cnt = cnt.min(20);
        }
        // TCP-friendly region: never slower than an AIMD flow with the
        // same β (RFC 9438 §4.3: it grows by 3(1-β)/(1+β) per RTT), i.e.
        // one packet per cwnd × (1 + β) / (3 (1 - β)) acknowledged.
        let per = (u64::from(cwnd) * u64::from(1024 + BETA) / 3 / u64::from(1024 - BETA))
            .clamp(1, u64::from(u32::MAX)) as u32;
        let n = self.ack_cnt / per;
        self.ack_cnt -= n * per;
        self.tcp_cwnd = self.tcp_cwnd.saturating_add(n);
        if self.tcp_cwnd > cwnd {
            cnt = cnt.min(cwnd / (self.tcp_cwnd - cwnd));
        }
        cnt.max(2)
    }
}
