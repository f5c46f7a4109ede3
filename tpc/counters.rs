// SPDX-License-Identifier: GPL-2.0

//! Global event counters of the module.
//!
//! Pure logic, shared by the module and the host tests. Counters are relaxed
//! atomics, safe to bump from any context (softirq included) and read by the
//! `/dev/tpc` counters query.

use core::sync::atomic::{AtomicU64, Ordering};

/// A counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub(crate) enum Counter {
    /// Connections whose tpc state was initialised.
    ConnsInitialized = 0,
    /// Connections whose tpc state was released.
    ConnsReleased,
    /// Entries into `TCP_CA_Loss` (RTO expiries and equivalents).
    LossEvents,
    /// Successful opens of `/dev/tpc`.
    DevOpens,
    /// Opens refused (no `CAP_NET_ADMIN`, too many openers).
    DevOpenDenied,
    /// Requests accepted on `/dev/tpc`.
    DevMsgsRx,
    /// Replies read from `/dev/tpc`.
    DevMsgsTx,
    /// Requests rejected as malformed or unknown.
    DevMsgsRejected,
    /// Requests refused because the reply queue was full.
    DevQueueFull,
    /// Successful `getsockopt` calls in the private range.
    SockoptGets,
    /// Rejected socket option calls in the private range.
    SockoptRejected,
    /// Connections that started on a path of the table.
    PathStarts,
    /// Path changes after retransmission timeouts (NRTOChanger).
    MovesRto,
    /// Path changes after duplicate data (receiver side).
    MovesDupData,
    /// Path changes after TimeoutChanger's timeout.
    MovesTimeout,
    /// Path changes requested by `TPC_SO_PIN`.
    MovesPin,
    /// Path changes requested by `TPC_SO_MOVE`.
    MovesRequest,
    /// Path changes that failed (the connection kept its path).
    MovesFailed,
    /// Retransmission timeouts seen on managed connections.
    RtoSignals,
    /// Duplicate data segments seen on managed connections.
    DupSignals,
    /// Events appended to the event log.
    Events,
    /// Events readers lost because they fell behind.
    EventsLost,
    /// Total time spent applying path changes, in nanoseconds.
    MoveApplyNs,
    /// Longest time spent applying one path change, in nanoseconds.
    MoveApplyMaxNs,
    /// Path changes of ongoing connections drawn by EXP3.
    MovesExp3,
    /// EXP3 draws (connection starts and re-evaluations).
    Exp3Draws,
    /// EXP3 weight updates (rewards).
    Exp3Updates,
    /// Total time spent in EXP3 weight updates, in nanoseconds.
    Exp3UpdateNs,
    /// Longest EXP3 weight update, in nanoseconds.
    Exp3UpdateMaxNs,
    /// Paths marked failed for EXP3 by a failover move.
    Exp3PathsFailed,
    /// Failed paths rehabilitated by a probe (an RTT sample on them).
    Exp3PathsProbed,
    /// EXP3 weight updates readers lost because they fell behind.
    UpdatesLost,
    /// SYN-ACKs sent with the routing header of their connection's path.
    SynackPaths,
    /// SYN-ACKs whose routing header could not be inserted (they left on
    /// the routing table's path).
    SynackFailed,
    /// Connections Augmenter tracks (their destination has a prefix).
    AugFlows,
    /// Reports of tracked connections folded into their prefix.
    AugReports,
    /// Connections whose initial window Augmenter set.
    AugWindows,
    /// `learned` connections left at the kernel's window: no fresh data.
    AugNoData,
    /// Initial windows lowered by the receive window or the route's clamp.
    AugCapped,
    /// Initial windows restored for the first flight after TCP's restart
    /// after idle had cut them (the application waited over an RTO).
    AugRestored,
}

/// Number of stored counters.
pub(crate) const COUNTER_COUNT: usize = 40;

/// Names as reported by the counters query, indexed by [`Counter`].
pub(crate) const NAMES: [&str; COUNTER_COUNT] = [
    "conns_initialized",
    "conns_released",
    "loss_events",
    "dev_opens",
    "dev_open_denied",
    "dev_msgs_rx",
    "dev_msgs_tx",
    "dev_msgs_rejected",
    "dev_queue_full",
    "sockopt_gets",
    "sockopt_rejected",
    "path_starts",
    "moves_rto",
    "moves_dupdata",
    "moves_timeout",
    "moves_pin",
    "moves_request",
    "moves_failed",
    "rto_signals",
    "dup_signals",
    "events",
    "events_lost",
    "move_apply_ns",
    "move_apply_max_ns",
    "moves_exp3",
    "exp3_draws",
    "exp3_updates",
    "exp3_update_ns",
    "exp3_update_max_ns",
    "exp3_paths_failed",
    "exp3_paths_probed",
    "updates_lost",
    "synack_paths",
    "synack_failed",
    "augment_flows",
    "augment_reports",
    "augment_windows",
    "augment_no_data",
    "augment_capped",
    "augment_restored",
];

/// Name of the derived gauge of live connections.
pub(crate) const CONNS_ACTIVE: &str = "conns_active";

/// Initial value of every counter (copied, never used as a shared value).
#[expect(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);

/// The module's counters.
pub(crate) struct Counters {
    v: [AtomicU64; COUNTER_COUNT],
}

impl Counters {
    /// All counters at zero.
    pub(crate) const fn new() -> Self {
        Self {
            v: [ZERO; COUNTER_COUNT],
        }
    }

    /// Adds one.
    pub(crate) fn inc(&self, c: Counter) {
        self.v[c as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `v`.
    pub(crate) fn add(&self, c: Counter, v: u64) {
        self.v[c as usize].fetch_add(v, Ordering::Relaxed);
    }

    /// Raises the counter to `v` if it is lower.
    pub(crate) fn max(&self, c: Counter, v: u64) {
        self.v[c as usize].fetch_max(v, Ordering::Relaxed);
    }

    /// Current value.
    pub(crate) fn get(&self, c: Counter) -> u64 {
        self.v[c as usize].load(Ordering::Relaxed)
    }

    /// Connections initialised and not yet released.
    pub(crate) fn conns_active(&self) -> u64 {
        // Read the releases first so that a concurrent init/release pair can
        // only make the gauge momentarily high, never wrap below zero.
        let released = self.get(Counter::ConnsReleased);
        self.get(Counter::ConnsInitialized).saturating_sub(released)
    }

    /// All counters as `(name, value)`, the derived gauge first.
    pub(crate) fn snapshot(&self) -> [(&'static str, u64); COUNTER_COUNT + 1] {
        let mut out = [(CONNS_ACTIVE, self.conns_active()); COUNTER_COUNT + 1];
        for (i, slot) in out.iter_mut().skip(1).enumerate() {
            *slot = (NAMES[i], self.v[i].load(Ordering::Relaxed));
        }
        out
    }
}
