// SPDX-License-Identifier: GPL-2.0

//! Paths chosen for SYN-ACKs, kept until the connection exists.
//!
//! Pure logic, shared by the module and the host tests.
//!
//! A server's SYN-ACK leaves before the connection has a socket of its own
//! (the kernel keeps only a request socket, with no room for module state),
//! so the path EXP3 draws for it is remembered here, keyed by namespace and
//! 4-tuple. A retransmitted SYN-ACK finds the same path; when the handshake
//! completes, the new connection takes the draw out and starts on that path.
//!
//! The cache is a hint with fixed size and no allocation: an entry lives at
//! most [`TTL_NS`] (longer than the kernel's SYN-ACK retransmissions with
//! the default `tcp_synack_retries`, 63 s); when every slot holds a live
//! entry, the oldest is replaced (a SYN flood cannot make it grow). A
//! connection whose entry is gone draws again, as without the cache.

use crate::exp3::Draw;
use crate::srh::Addr;

/// Number of entries.
pub(crate) const SLOTS: usize = 256;

/// Lifetime of an entry, in nanoseconds.
pub(crate) const TTL_NS: i64 = 120_000_000_000;

/// A connection: network namespace cookie and 4-tuple (local -> remote).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConnKey {
    /// Network namespace cookie.
    pub(crate) net: u64,
    /// Local address.
    pub(crate) saddr: Addr,
    /// Remote address.
    pub(crate) daddr: Addr,
    /// Local port.
    pub(crate) sport: u16,
    /// Remote port.
    pub(crate) dport: u16,
}

/// What a SYN-ACK drew.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pending {
    /// The draw.
    pub(crate) draw: Draw,
    /// Generation of the path-table entry the draw indexes.
    pub(crate) generation: u32,
}

#[derive(Clone, Copy)]
struct Slot {
    key: ConnKey,
    pending: Pending,
    /// When it was stored (`ktime_get_ns`).
    at: i64,
}

impl Slot {
    fn live(&self, now: i64) -> bool {
        now.saturating_sub(self.at) < TTL_NS
    }
}

/// The cache.
pub(crate) struct SynCache<const N: usize> {
    slots: [Option<Slot>; N],
    /// Live entries replaced because the cache was full.
    evicted: u64,
}

impl<const N: usize> SynCache<N> {
    /// An empty cache.
    pub(crate) const fn new() -> Self {
        Self {
            slots: [None; N],
            evicted: 0,
        }
    }

    fn find(&self, key: &ConnKey, now: i64) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.is_some_and(|s| s.key == *key && s.live(now)))
    }

    /// The live entry of `key` (a retransmitted SYN-ACK).
    pub(crate) fn get(&self, key: &ConnKey, now: i64) -> Option<Pending> {
        self.find(key, now)
            .and_then(|i| self.slots[i].map(|s| s.pending))
    }

    /// Removes and returns the live entry of `key` (the connection exists).
    pub(crate) fn take(&mut self, key: &ConnKey, now: i64) -> Option<Pending> {
        let i = self.find(key, now)?;
        self.slots[i].take().map(|s| s.pending)
    }

    /// Stores `p` for `key`: in the slot of `key` if it has one, else in an
    /// empty or expired slot, else in place of the oldest entry.
    pub(crate) fn insert(&mut self, key: ConnKey, p: Pending, now: i64) {
        let mut free = None;
        let mut oldest: Option<(usize, i64)> = None;
        for (i, s) in self.slots.iter().enumerate() {
            match s {
                Some(s) if s.key == key => {
                    free = Some(i);
                    break;
                }
                Some(s) if s.live(now) => {
                    if oldest.map_or(true, |(_, at)| s.at < at) {
                        oldest = Some((i, s.at));
                    }
                }
                _ => {
                    if free.is_none() {
                        free = Some(i);
                    }
                }
            }
        }
        let i = match (free, oldest) {
            (Some(i), _) => i,
            (None, Some((i, _))) => {
                self.evicted += 1;
                i
            }
            // N == 0.
            (None, None) => return,
        };
        self.slots[i] = Some(Slot {
            key,
            pending: p,
            at: now,
        });
    }

    /// Live entries.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn len(&self, now: i64) -> usize {
        self.slots
            .iter()
            .filter(|s| s.is_some_and(|s| s.live(now)))
            .count()
    }

    /// Live entries replaced because the cache was full, since creation.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted
    }
}
