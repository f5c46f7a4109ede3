// SPDX-License-Identifier: GPL-2.0

//! Failover state machines of one connection: NRTOChanger(N, M) and
//! TimeoutChanger(T, M).
//!
//! Pure logic, shared by the module (the state lives in the socket's
//! `icsk_ca_priv` and is driven from TCP callbacks under the socket lock)
//! and the host tests. The rules follow the original TPC programs; see
//! `Documentation/admin-guide.rst` ("Failover") for the exact semantics:
//!
//! - **Sender, NRTOChanger**: each RTO bumps a counter; more than
//!   [`PROGRESS_BYTES`] acknowledged since the last recorded `snd_una`
//!   resets it to 1; the N-th RTO without progress moves the connection.
//! - **Sender, TimeoutChanger**: each RTO bumps the counter; any change of
//!   `snd_una` resets it; otherwise the first RTO at least T after the last
//!   RTT sample (or move) moves the connection.
//! - **Receiver, both**: each duplicate data segment bumps the same counter;
//!   any change of `rcv_nxt` resets it to 1; the M-th duplicate without
//!   progress moves the connection.
//!
//! Deliberate fix over the original: sequence numbers are compared in
//! sequence space (wrap-safe), and `snd_una`/`rcv_nxt` start "unset" (the
//! first signal always counts as progress) instead of 0, so that a random
//! initial sequence number cannot decide the outcome.

use super::paths::{Strategy, StrategyKind};

/// Bytes that must be acknowledged between two RTOs for NRTOChanger to see
/// progress (the original's constant).
pub(crate) const PROGRESS_BYTES: u32 = 3000;

/// What the connection should do after a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The connection made progress since the last signal.
    Progress,
    /// No progress yet, but not enough evidence to move.
    Wait,
    /// Move to the next path.
    Move,
}

/// `a` is after `b` in sequence space.
pub(crate) fn seq_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// Failover state of one connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flow {
    /// Signals since the last progress or move (shared by both sides).
    pub(crate) retrans: u32,
    /// `snd_una` at the last sender progress; `None` before the first RTO.
    pub(crate) last_snd_una: Option<u32>,
    /// `rcv_nxt` at the last receiver progress; `None` before the first
    /// duplicate.
    pub(crate) last_rcv_nxt: Option<u32>,
    /// Last time the path was known to work: last move or, with
    /// TimeoutChanger, last RTT sample (ns).
    pub(crate) last_ok_ns: i64,
}

impl Flow {
    /// A flow that starts (or moved) at `now_ns`.
    pub(crate) fn new(now_ns: i64) -> Self {
        Self {
            last_ok_ns: now_ns,
            ..Self::default()
        }
    }

    /// A retransmission timeout fired with `snd_una` unacknowledged.
    pub(crate) fn on_rto(&mut self, s: &Strategy, snd_una: u32, now_ns: i64) -> Verdict {
        self.retrans = self.retrans.saturating_add(1);
        match s.kind {
            StrategyKind::Off => Verdict::Wait,
            StrategyKind::Nrto => {
                let progress = match self.last_snd_una {
                    None => true,
                    Some(last) => seq_after(snd_una, last.wrapping_add(PROGRESS_BYTES)),
                };
                if progress {
                    self.last_snd_una = Some(snd_una);
                    self.retrans = 1;
                    Verdict::Progress
                } else if self.retrans < s.n {
                    Verdict::Wait
                } else {
                    Verdict::Move
                }
            }
            StrategyKind::Timeout => {
                if self.last_snd_una != Some(snd_una) {
                    self.last_snd_una = Some(snd_una);
                    self.retrans = 1;
                    Verdict::Progress
                } else if now_ns.saturating_sub(self.last_ok_ns)
                    < i64::from(s.t_ms).saturating_mul(1_000_000)
                {
                    Verdict::Wait
                } else {
                    Verdict::Move
                }
            }
        }
    }

    /// A duplicate (or out-of-window) data segment arrived while
    /// `rcv_nxt` is the next expected sequence number.
    pub(crate) fn on_dup(&mut self, s: &Strategy, rcv_nxt: u32) -> Verdict {
        self.retrans = self.retrans.saturating_add(1);
        if s.kind == StrategyKind::Off {
            return Verdict::Wait;
        }
        if self.last_rcv_nxt != Some(rcv_nxt) {
            self.last_rcv_nxt = Some(rcv_nxt);
            self.retrans = 1;
            Verdict::Progress
        } else if self.retrans < s.m {
            Verdict::Wait
        } else {
            Verdict::Move
        }
    }

    /// An RTT sample arrived: the path works. Only TimeoutChanger reads
    /// this clock, but it is kept whatever the strategy, so that a switch
    /// to TimeoutChanger at run time starts from a true "last known good".
    pub(crate) fn on_rtt_sample(&mut self, now_ns: i64) {
        self.last_ok_ns = now_ns;
    }

    /// The connection moved to another path at `now_ns`.
    pub(crate) fn moved(&mut self, now_ns: i64) {
        self.retrans = 0;
        self.last_ok_ns = now_ns;
    }
}
