// SPDX-License-Identifier: GPL-2.0

//! The path-change event log: a bounded ring that many readers follow.
//!
//! Pure logic, shared by the module and the host tests. Every path change
//! appends one [`Event`] with a sequence number. Each subscribed reader
//! keeps its own cursor; a reader that falls more than the ring's capacity
//! behind loses the oldest events, and the next event it reads says how
//! many were lost. Nothing is lost silently. Writers never wait for
//! readers, so appending is safe from softirq (under the module's BH lock).

use super::paths::{Prefix, Reason, MAX_PATHS};
use super::srh::Addr;

/// One path change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    /// `ktime_get_ns()` (CLOCK_MONOTONIC) at the change.
    pub(crate) ktime_ns: u64,
    /// Why.
    pub(crate) reason: Reason,
    /// Path before (equal to `new` for the first path of a connection).
    pub(crate) old: u8,
    /// Path after.
    pub(crate) new: u8,
    /// Local address.
    pub(crate) saddr: Addr,
    /// Remote address.
    pub(crate) daddr: Addr,
    /// Local port.
    pub(crate) sport: u16,
    /// Remote port.
    pub(crate) dport: u16,
}

impl Event {
    /// A placeholder for ring storage.
    pub(crate) const EMPTY: Self = Self {
        ktime_ns: 0,
        reason: Reason::Init,
        old: 0,
        new: 0,
        saddr: [0; 16],
        daddr: [0; 16],
        sport: 0,
        dport: 0,
    };
}

/// One EXP3 weight update (a connection reported the RTT of its path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UpdateEvent {
    /// `ktime_get_ns()` at the update.
    pub(crate) ktime_ns: u64,
    /// The EXP3 state's destination key.
    pub(crate) key: Prefix,
    /// Path rewarded.
    pub(crate) path: u8,
    /// Paths of the state.
    pub(crate) npaths: u8,
    /// RTT measured on the path (µs).
    pub(crate) srtt_us: u32,
    /// Reward in millionths (see `exp3::Sample`).
    pub(crate) reward_ppm: i32,
    /// Probability the path was drawn with, in millionths.
    pub(crate) p_ppm: u32,
    /// Weight shares after the update, in millionths.
    pub(crate) shares_ppm: [u32; MAX_PATHS],
}

impl UpdateEvent {
    /// A placeholder for ring storage.
    pub(crate) const EMPTY: Self = Self {
        ktime_ns: 0,
        key: Prefix {
            addr: [0; 16],
            len: 0,
        },
        path: 0,
        npaths: 0,
        srtt_us: 0,
        reward_ppm: 0,
        p_ppm: 0,
        shares_ppm: [0; MAX_PATHS],
    };
}

/// What a reader gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Delivery<T = Event> {
    /// Sequence number of `event` (0-based, global).
    pub(crate) seq: u64,
    /// Events this reader lost just before this one (ring overrun).
    pub(crate) lost: u64,
    /// The event.
    pub(crate) event: T,
}

/// The ring. `S` is its storage (of `T`s); its length is the capacity (at
/// least 1).
pub(crate) struct EventLog<S, T = Event> {
    buf: S,
    next: u64,
    _t: core::marker::PhantomData<T>,
}

impl<T: Copy, S: AsRef<[T]> + AsMut<[T]>> EventLog<S, T> {
    /// An empty log over `buf`.
    pub(crate) const fn new(buf: S) -> Self {
        Self {
            buf,
            next: 0,
            _t: core::marker::PhantomData,
        }
    }

    fn cap(&self) -> u64 {
        self.buf.as_ref().len() as u64
    }

    /// Sequence number the next event will get; a new reader starts here.
    pub(crate) fn head(&self) -> u64 {
        self.next
    }

    /// Appends `ev`, overwriting the oldest event when full.
    pub(crate) fn push(&mut self, ev: T) {
        let cap = self.cap();
        if cap == 0 {
            return;
        }
        let at = (self.next % cap) as usize;
        self.buf.as_mut()[at] = ev;
        self.next += 1;
    }

    /// Whether a reader at `cursor` has something to read.
    pub(crate) fn pending(&self, cursor: u64) -> bool {
        cursor < self.next
    }

    /// The event at `*cursor` (or the oldest still kept, counting the ones
    /// skipped as lost); advances the cursor.
    pub(crate) fn read(&self, cursor: &mut u64) -> Option<Delivery<T>> {
        if *cursor >= self.next {
            return None;
        }
        let oldest = self.next.saturating_sub(self.cap());
        let lost = oldest.saturating_sub(*cursor);
        let seq = (*cursor).max(oldest);
        let event = self.buf.as_ref()[(seq % self.cap()) as usize];
        *cursor = seq + 1;
        Some(Delivery { seq, lost, event })
    }
}
