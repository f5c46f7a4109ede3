// SPDX-License-Identifier: GPL-2.0

//! Helpers shared by the test files: addresses, SRHs, path tables.

use crate::paths::{
    self, Entry, PathError, PathStats, PathTable, Prefix, PrefixStats, StrategyKind, MAX_PATHS,
    MAX_PREFIXES,
};
use crate::srh::{self, Addr, MAX_SRH_LEN, MAX_WAYPOINTS};
use proptest::prelude::*;
use std::net::Ipv6Addr;
use std::vec;
use std::vec::Vec;

/// Parses an IPv6 address.
pub(crate) fn addr(s: &str) -> Addr {
    s.parse::<Ipv6Addr>().expect("IPv6 address").octets()
}

/// A checked prefix (panics on a bad one).
pub(crate) fn pfx(s: &str, len: u8) -> Prefix {
    Prefix::new(addr(s), len).expect("valid prefix")
}

/// The SRH visiting `waypoints`, as bytes.
pub(crate) fn srh_of(waypoints: &[Addr]) -> Vec<u8> {
    let mut buf = [0u8; MAX_SRH_LEN];
    let n = srh::encode(waypoints, &mut buf).expect("encodable waypoints");
    buf[..n].to_vec()
}

/// A distinct one-waypoint SRH for each `k` (waypoint `fd00:ff::k`).
pub(crate) fn srh_k(k: u16) -> Vec<u8> {
    let mut w = addr("fd00:ff::");
    w[14..].copy_from_slice(&k.to_be_bytes());
    srh_of(&[w])
}

/// A table over exactly [`MAX_PREFIXES`] slots.
pub(crate) type Table = PathTable<Vec<Option<Entry>>>;

/// An empty table.
pub(crate) fn table() -> Table {
    PathTable::new(vec![None; MAX_PREFIXES])
}

/// `PathTable::set` with owned SRHs.
pub(crate) fn set(t: &mut Table, p: Prefix, srhs: &[Vec<u8>], excl: bool) -> Result<(), PathError> {
    t.set(p, srhs.iter().map(Vec::as_slice), excl)
}

/// Everything observable about one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EntryDump {
    pub(crate) prefix: Prefix,
    pub(crate) paths: Vec<(Vec<u8>, PathStats)>,
    pub(crate) strategy: Option<paths::Strategy>,
    pub(crate) stats: PrefixStats,
    pub(crate) generation: u32,
}

impl EntryDump {
    pub(crate) fn of(e: &Entry) -> Self {
        assert_eq!(e.len(), e.paths().len());
        Self {
            prefix: e.prefix,
            paths: e
                .paths()
                .iter()
                .map(|p| (p.srh.as_bytes().to_vec(), p.stats))
                .collect(),
            strategy: e.strategy,
            stats: e.stats,
            generation: e.generation,
        }
    }

    /// The SRH bytes of the paths, in order.
    pub(crate) fn srhs(&self) -> Vec<Vec<u8>> {
        self.paths.iter().map(|(s, _)| s.clone()).collect()
    }
}

/// All entries in slot order (through `nth`), checked against `len`.
pub(crate) fn dump(t: &Table) -> Vec<EntryDump> {
    let d: Vec<EntryDump> = (0..).map_while(|i| t.nth(i)).map(EntryDump::of).collect();
    assert_eq!(d.len(), t.len());
    assert_eq!(t.is_empty(), d.is_empty());
    d
}

/// Any IPv6 address.
pub(crate) fn arb_addr() -> impl Strategy<Value = Addr> {
    any::<[u8; 16]>()
}

/// Any valid waypoint list.
pub(crate) fn arb_waypoints() -> impl Strategy<Value = Vec<Addr>> {
    proptest::collection::vec(arb_addr(), 1..=MAX_WAYPOINTS)
}

/// Any valid path: direct (empty) or an SRH with 1..=9 waypoints.
pub(crate) fn arb_path() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        4 => arb_waypoints().prop_map(|w| srh_of(&w)),
    ]
}

/// Any failover strategy kind.
pub(crate) fn arb_kind() -> impl Strategy<Value = StrategyKind> {
    proptest::sample::select(vec![
        StrategyKind::Off,
        StrategyKind::Nrto,
        StrategyKind::Timeout,
    ])
}

/// A path list the table accepts: 1..=8 paths, only path 0 maybe direct.
pub(crate) fn arb_valid_paths() -> impl Strategy<Value = Vec<Vec<u8>>> {
    (
        any::<bool>(),
        proptest::collection::vec(arb_waypoints(), 1..=MAX_PATHS),
    )
        .prop_map(|(direct, ws)| {
            let mut v: Vec<Vec<u8>> = ws.iter().map(|w| srh_of(w)).collect();
            if direct {
                v[0] = Vec::new();
            }
            v
        })
}
