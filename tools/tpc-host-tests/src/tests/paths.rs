// SPDX-License-Identifier: GPL-2.0

//! Prefixes against u128 arithmetic, the path table against a `Vec` model,
//! its limits (each leaving the table unchanged), counters kept across
//! replacements, and the next-path rule.

use super::util::{addr, arb_addr, arb_kind, dump, pfx, set, srh_k, table, EntryDump, Table};
use crate::paths::{
    self, Entry, PathError, PathStats, PathTable, Prefix, PrefixStats, Reason, StrategyKind,
    MAX_PATHS, MAX_PREFIXES, REASONS,
};
use crate::srh::{Addr, SrhError};
use proptest::prelude::*;
use proptest::sample::select;
use std::format;
use std::vec;
use std::vec::Vec;

fn u(a: &Addr) -> u128 {
    u128::from_be_bytes(*a)
}

/// Mask of the first `len` bits.
fn mask(len: u8) -> u128 {
    match len {
        0 => 0,
        l => u128::MAX << (128 - u32::from(l)),
    }
}

fn in_prefix(p: &Prefix, a: &Addr) -> bool {
    u(a) & mask(p.len) == u(&p.addr)
}

fn nrto(n: u32) -> paths::Strategy {
    paths::Strategy {
        kind: StrategyKind::Nrto,
        n,
        m: 2,
        t_ms: 700,
    }
}

fn stats(starts: u64, moves_in: u64, moves_out: u64) -> PathStats {
    PathStats {
        moves_in,
        moves_out,
        starts,
    }
}

/// The entry of exactly `p`, as a dump.
fn entry(t: &mut Table, p: Prefix) -> EntryDump {
    EntryDump::of(t.get_mut(p).expect("entry present"))
}

/// An entry with `n` distinct paths (path 0 direct).
fn entry_with(n: usize) -> Entry {
    let mut t = table();
    let srhs: Vec<Vec<u8>> = (0..n)
        .map(|k| if k == 0 { Vec::new() } else { srh_k(k as u16) })
        .collect();
    set(&mut t, pfx("fd00::", 16), &srhs, false).unwrap();
    *t.nth(0).unwrap()
}

#[test]
fn prefix_rules() {
    assert_eq!(Prefix::new(addr("::"), 129), Err(PathError::BadPrefix));
    assert_eq!(Prefix::new(addr("::"), 255), Err(PathError::BadPrefix));
    assert_eq!(
        Prefix::new(addr("fd00:b::1"), 64),
        Err(PathError::BadPrefix)
    );
    assert_eq!(
        Prefix::new(addr("fd00:b:0:1::"), 63),
        Err(PathError::BadPrefix)
    );
    assert_eq!(Prefix::new(addr("fdc0::"), 9), Err(PathError::BadPrefix));
    assert_eq!(Prefix::new(addr("::1"), 0), Err(PathError::BadPrefix));
    for (a, len) in [
        ("fd00:b::", 64),
        ("fd00:b:0:1::", 64),
        ("fd00:b::", 63),
        ("fd80::", 9),
        ("::", 0),
        ("fd00:b::1", 128),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128),
    ] {
        let p = Prefix::new(addr(a), len).unwrap();
        assert_eq!((p.addr, p.len), (addr(a), len));
    }
    let all = pfx("::", 0);
    assert!(all.contains(&addr("::")) && all.contains(&addr("ffff::1")));
    let host = pfx("fd00:b::5", 128);
    assert!(host.contains(&addr("fd00:b::5")) && !host.contains(&addr("fd00:b::4")));
    assert_eq!(format!("{}", pfx("fd00:b::", 64)), "fd00:b:0:0:0:0:0:0/64");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    /// `new` accepts exactly the prefixes without host bits; `contains`
    /// compares the first `len` bits.
    #[test]
    fn prefix_matches_u128_masks(a in arb_addr(), len in 0u8..=128, b in arb_addr(), bit in 0u32..128) {
        let host_bits = u(&a) & !mask(len) != 0;
        prop_assert_eq!(Prefix::new(a, len).is_err(), host_bits);
        let net = (u(&a) & mask(len)).to_be_bytes();
        let p = Prefix::new(net, len).unwrap();
        prop_assert_eq!(p.contains(&b), in_prefix(&p, &b));
        // One bit flipped: inside exactly when the bit is a host bit.
        let near = (u(&net) ^ (1u128 << bit)).to_be_bytes();
        prop_assert_eq!(p.contains(&near), bit < 128 - u32::from(len));
        prop_assert!(p.contains(&net));
    }

    /// `truncate` keeps the first `len` bits (at most 128) and yields a
    /// valid prefix containing the address.
    #[test]
    fn truncate_matches_u128_masks(a in arb_addr(), len in any::<u8>()) {
        let l = len.min(128);
        let t = Prefix::truncate(&a, len);
        prop_assert_eq!(t.len, l);
        prop_assert_eq!(u(&t.addr), u(&a) & mask(l));
        prop_assert_eq!(Prefix::new(t.addr, t.len), Ok(t));
        prop_assert!(t.contains(&a));
    }
}

#[test]
fn truncate_examples() {
    let a = addr("fd00:b::1:2:3:4");
    assert_eq!(Prefix::truncate(&a, 64), pfx("fd00:b::", 64));
    assert_eq!(Prefix::truncate(&a, 0), pfx("::", 0));
    assert_eq!(Prefix::truncate(&a, 128), pfx("fd00:b::1:2:3:4", 128));
    assert_eq!(Prefix::truncate(&a, 200), pfx("fd00:b::1:2:3:4", 128));
    assert_eq!(Prefix::truncate(&a, 17), pfx("fd00::", 17));
}

#[test]
fn exp3_overrides_follow_the_entry() {
    use crate::exp3::Overrides;
    let mut t = table();
    let p = pfx("fd00:b::", 64);
    let o = Overrides {
        mode: 1,
        gamma_ppm: 200_000,
        ..Overrides::NONE
    };
    assert_eq!(t.set_exp3(p, o), Err(PathError::NotFound));
    set(&mut t, p, &[srh_k(1), srh_k(2)], false).unwrap();
    assert_eq!(t.get_mut(p).unwrap().exp3, Overrides::NONE);
    t.set_exp3(p, o).unwrap();
    assert_eq!(t.get_mut(p).unwrap().exp3, o);
    // Only the exact prefix: a covering lookup is not enough.
    assert_eq!(t.set_exp3(pfx("fd00:b::", 80), o), Err(PathError::NotFound));
    // Replacing the paths keeps the overrides, like the strategy.
    set(&mut t, p, &[srh_k(3)], false).unwrap();
    assert_eq!(t.get_mut(p).unwrap().exp3, o);
    t.set_exp3(p, Overrides::NONE).unwrap();
    assert!(t.get_mut(p).unwrap().exp3.is_none());
    // Deleting forgets them.
    t.set_exp3(p, o).unwrap();
    t.del(p).unwrap();
    set(&mut t, p, &[srh_k(3)], false).unwrap();
    assert_eq!(t.get_mut(p).unwrap().exp3, Overrides::NONE);
}

#[test]
fn longest_prefix_match() {
    let mut t = table();
    assert!(t.is_empty());
    assert!(t.lookup(&addr("fd00:b::5")).is_none());
    let ps = [
        pfx("::", 0),
        pfx("fd00::", 16),
        pfx("fd00:b::", 64),
        pfx("fd00:b::5", 128),
    ];
    // Inserted most specific first, so slot order cannot decide.
    for (k, p) in ps.iter().enumerate().rev() {
        set(&mut t, *p, &[srh_k(k as u16)], false).unwrap();
    }
    assert_eq!(t.len(), 4);
    let mut best = |a: &str| {
        t.lookup(&addr(a))
            .map(|e| (e.prefix, e.paths()[0].srh.as_bytes().to_vec()))
    };
    assert_eq!(best("fd00:b::5"), Some((ps[3], srh_k(3))));
    assert_eq!(best("fd00:b::6"), Some((ps[2], srh_k(2))));
    assert_eq!(best("fd00:b:0:1::5"), Some((ps[1], srh_k(1))));
    assert_eq!(best("fd00:c::1"), Some((ps[1], srh_k(1))));
    assert_eq!(best("2001:db8::1"), Some((ps[0], srh_k(0))));
    t.del(ps[2]).unwrap();
    assert_eq!(t.lookup(&addr("fd00:b::6")).unwrap().prefix, ps[1]);
    t.del(ps[0]).unwrap();
    assert!(t.lookup(&addr("2001:db8::1")).is_none());
    assert_eq!(t.len(), 2);
}

/// A table holding `fd00:b::/64` (direct + 2 SRHs, with counters and a
/// strategy override) and `fd00:c::/64`.
fn populated() -> Table {
    let mut t = table();
    let b = pfx("fd00:b::", 64);
    set(&mut t, b, &[Vec::new(), srh_k(1), srh_k(2)], false).unwrap();
    set(&mut t, pfx("fd00:c::", 64), &[srh_k(3)], false).unwrap();
    let e = t.get_mut(b).unwrap();
    e.record_move(None, 0, Reason::Init);
    e.record_move(Some(0), 1, Reason::Rto);
    e.stats.apply_failed = 5;
    t.set_strategy(b, Some(nrto(4))).unwrap();
    t
}

/// What, prefix, paths, excl, expected error.
type SetCase<'a> = (&'a str, Prefix, Vec<Vec<u8>>, bool, PathError);

#[test]
fn refused_changes_leave_the_table_unchanged() {
    let mut t = populated();
    let before = dump(&t);
    let b = pfx("fd00:b::", 64);
    let new = pfx("fd00:d::", 64);
    let nine: Vec<Vec<u8>> = (1..=9).map(srh_k).collect();
    let host_bits = Prefix {
        addr: addr("fd00:b::1"),
        len: 64,
    };
    let long = Prefix {
        addr: addr("fd00:b::"),
        len: 129,
    };
    let cases: Vec<SetCase<'_>> = vec![
        (
            "host bits",
            host_bits,
            vec![srh_k(1)],
            false,
            PathError::BadPrefix,
        ),
        (
            "length 129",
            long,
            vec![srh_k(1)],
            false,
            PathError::BadPrefix,
        ),
        ("no paths", b, vec![], false, PathError::NoPaths),
        ("no paths, new", new, vec![], false, PathError::NoPaths),
        ("9 paths", b, nine.clone(), false, PathError::TooManyPaths),
        ("9 paths, new", new, nine, false, PathError::TooManyPaths),
        (
            "direct second",
            b,
            vec![srh_k(1), Vec::new()],
            false,
            PathError::DirectNotFirst,
        ),
        (
            "two direct",
            new,
            vec![Vec::new(), Vec::new()],
            false,
            PathError::DirectNotFirst,
        ),
        (
            "duplicate",
            b,
            vec![srh_k(1), srh_k(2), srh_k(1)],
            false,
            PathError::Duplicate,
        ),
        (
            "invalid SRH last",
            b,
            vec![srh_k(1), vec![0; 7]],
            false,
            PathError::Srh(SrhError::TooShort),
        ),
        (
            "bad type",
            new,
            vec![{
                let mut s = srh_k(1);
                s[2] = 0;
                s
            }],
            false,
            PathError::Srh(SrhError::BadType),
        ),
        (
            "excl on existing",
            b,
            vec![srh_k(5)],
            true,
            PathError::Exists,
        ),
    ];
    for (what, p, srhs, excl, want) in cases {
        assert_eq!(set(&mut t, p, &srhs, excl), Err(want), "{what}");
        assert_eq!(dump(&t), before, "{what} changed the table");
    }
    assert_eq!(t.del(new), Err(PathError::NotFound));
    assert_eq!(t.del(host_bits), Err(PathError::NotFound));
    assert_eq!(t.set_strategy(new, None), Err(PathError::NotFound));
    assert_eq!(dump(&t), before);
    // Refused changes used no generation number.
    let last = before.iter().map(|e| e.generation).max().unwrap();
    set(&mut t, new, &[srh_k(7)], true).unwrap();
    assert_eq!(entry(&mut t, new).generation, last + 1);
}

#[test]
fn table_full() {
    for storage in [MAX_PREFIXES, MAX_PREFIXES + 6] {
        let mut t: Table = PathTable::new(vec![None; storage]);
        let p = |i: usize| {
            let mut a = addr("fd00::");
            a[2] = i as u8;
            Prefix::new(a, 24).unwrap()
        };
        for i in 0..MAX_PREFIXES {
            set(&mut t, p(i), &[srh_k(1)], true).unwrap();
        }
        assert_eq!(t.len(), MAX_PREFIXES);
        let before = dump(&t);
        assert_eq!(
            set(&mut t, p(64), &[srh_k(1)], false),
            Err(PathError::TableFull)
        );
        assert_eq!(dump(&t), before);
        // Replacing needs no free slot; excl still says Exists.
        assert_eq!(set(&mut t, p(3), &[srh_k(1)], true), Err(PathError::Exists));
        set(&mut t, p(3), &[srh_k(2)], false).unwrap();
        assert_eq!(entry(&mut t, p(3)).srhs(), [srh_k(2)]);
        assert_eq!(t.len(), MAX_PREFIXES);
        t.del(p(10)).unwrap();
        set(&mut t, p(64), &[srh_k(1)], true).unwrap();
        assert_eq!(t.len(), MAX_PREFIXES);
        assert!(t.get_mut(p(10)).is_none());
    }
}

#[test]
fn replacing_keeps_counters_with_their_srh() {
    let mut t = table();
    let p = pfx("fd00:b::", 64);
    let (a, b, c, d) = (srh_k(1), srh_k(2), srh_k(3), srh_k(4));
    set(&mut t, p, &[a.clone(), b.clone(), c.clone()], false).unwrap();
    let gen0 = entry(&mut t, p).generation;
    let e = t.get_mut(p).unwrap();
    e.record_move(None, 0, Reason::Init);
    e.record_move(Some(0), 1, Reason::Rto);
    e.record_move(Some(1), 2, Reason::DupData);
    e.stats.apply_failed = 2;
    t.set_strategy(p, Some(nrto(5))).unwrap();
    let old = entry(&mut t, p);
    assert_eq!(old.paths[0].1, stats(1, 0, 1));
    assert_eq!(old.paths[1].1, stats(0, 1, 1));
    assert_eq!(old.paths[2].1, stats(0, 1, 0));

    // Reordered, one dropped, one added.
    set(&mut t, p, &[c.clone(), d.clone(), a.clone()], false).unwrap();
    let new = entry(&mut t, p);
    assert_eq!(new.srhs(), [c.clone(), d, a]);
    assert_eq!(
        new.paths[0].1,
        stats(0, 1, 0),
        "c's counters follow it to index 0"
    );
    assert_eq!(new.paths[1].1, PathStats::default(), "d is new");
    assert_eq!(
        new.paths[2].1,
        stats(1, 0, 1),
        "a's counters follow it to index 2"
    );
    assert_eq!(new.stats, old.stats);
    assert_eq!(new.stats.moves[Reason::Init as usize], 1);
    assert_eq!(new.stats.apply_failed, 2);
    assert_eq!(new.strategy, Some(nrto(5)));
    assert_eq!(new.generation, gen0.wrapping_add(1));

    // b was dropped: its counters are gone when it comes back.
    set(&mut t, p, &[b, c], false).unwrap();
    let again = entry(&mut t, p);
    assert_eq!(again.paths[0].1, PathStats::default());
    assert_eq!(again.paths[1].1, stats(0, 1, 0));
    assert_eq!(again.generation, gen0.wrapping_add(2));

    // Deleting forgets everything.
    t.del(p).unwrap();
    set(&mut t, p, &[srh_k(3)], false).unwrap();
    let fresh = entry(&mut t, p);
    assert_eq!(fresh.paths[0].1, PathStats::default());
    assert_eq!(fresh.stats, PrefixStats::default());
    assert_eq!(fresh.strategy, None);
}

#[test]
fn record_move_counters() {
    let mut e = entry_with(3);
    e.record_move(None, 0, Reason::Init);
    e.record_move(None, 2, Reason::Init);
    e.record_move(Some(0), 1, Reason::Rto);
    e.record_move(Some(1), 2, Reason::Timeout);
    e.record_move(Some(2), 0, Reason::Pin);
    e.record_move(Some(0), 0, Reason::Request);
    e.record_move(Some(0), 2, Reason::Exp3);
    let got: Vec<PathStats> = e.paths().iter().map(|p| p.stats).collect();
    assert_eq!(got, [stats(1, 2, 3), stats(0, 1, 1), stats(1, 2, 1)]);
    assert_eq!(e.stats.moves, [0, 2, 1, 0, 1, 1, 1, 1]);
    // Indexes beyond the entry (it shrank under the connection) count for
    // the prefix only.
    let before: Vec<PathStats> = e.paths().iter().map(|p| p.stats).collect();
    e.record_move(Some(7), 5, Reason::DupData);
    e.record_move(Some(MAX_PATHS + 3), 1, Reason::Rto);
    let after: Vec<PathStats> = e.paths().iter().map(|p| p.stats).collect();
    assert_eq!(after[0], before[0]);
    assert_eq!(after[1], stats(0, 2, 1));
    assert_eq!(after[2], before[2]);
    assert_eq!(e.stats.moves[Reason::DupData as usize], 1);
}

/// Spec section 1: the first slot after the current one, else slot 0.
fn spec_next(cur: usize, n: usize) -> usize {
    if cur + 1 < n {
        cur + 1
    } else {
        0
    }
}

#[test]
fn next_after_examples() {
    let three = entry_with(3);
    assert_eq!(
        [0, 1, 2, 3, 7, usize::MAX].map(|c| three.next_after(c)),
        [1, 2, 0, 0, 0, 0]
    );
    let one = entry_with(1);
    assert_eq!([0, 1, 9].map(|c| one.next_after(c)), [0, 0, 0]);
}

proptest! {
    #[test]
    fn next_after_matches_spec(n in 1usize..=MAX_PATHS, cur in 0usize..20) {
        prop_assert_eq!(entry_with(n).next_after(cur), spec_next(cur, n));
    }
}

#[test]
fn raw_values() {
    for r in 1..REASONS as u8 {
        assert_eq!(Reason::from_raw(r).map(|r| r as u8), Some(r));
    }
    assert_eq!(Reason::from_raw(0), None);
    assert_eq!(Reason::from_raw(REASONS as u8), None);
    assert_eq!(REASONS, 8);
    assert_eq!(Reason::from_raw(7), Some(Reason::Exp3));
    assert_eq!(Reason::Exp3.name(), "exp3");
    let names: Vec<&str> = (1..REASONS as u8)
        .map(|r| Reason::from_raw(r).unwrap().name())
        .collect();
    assert_eq!(
        names,
        ["init", "rto", "dupdata", "timeout", "pin", "request", "exp3"]
    );
    for k in 0..3 {
        assert_eq!(
            StrategyKind::from_raw(k).map(|k| u32::from(k as u8)),
            Some(k)
        );
    }
    assert_eq!(StrategyKind::from_raw(3), None);
    assert_eq!(StrategyKind::from_raw(0xff), None);
}

// ---- Model-based test of the whole table. ----

/// Prefixes the model test uses (nested and disjoint).
fn prefix_pool() -> Vec<Prefix> {
    vec![
        pfx("::", 0),
        pfx("fd00::", 16),
        pfx("fd00:b::", 48),
        pfx("fd00:b::", 64),
        pfx("fd00:b::4", 126),
        pfx("fd00:b::5", 128),
        pfx("fd00:c::", 64),
        pfx("2001:db8::", 32),
    ]
}

/// Path pool: index 0 direct, 1..=6 valid SRHs, 7 an invalid one.
fn path_of(k: u16) -> Vec<u8> {
    match k {
        0 => Vec::new(),
        7 => vec![0; 7],
        k => srh_k(k),
    }
}

fn arb_reason() -> impl Strategy<Value = Reason> {
    select(vec![
        Reason::Init,
        Reason::Rto,
        Reason::DupData,
        Reason::Timeout,
        Reason::Pin,
        Reason::Request,
        Reason::Exp3,
    ])
}

fn arb_strategy() -> impl Strategy<Value = Option<paths::Strategy>> {
    proptest::option::of(
        (arb_kind(), any::<[u32; 3]>()).prop_map(|(kind, [n, m, t_ms])| paths::Strategy {
            kind,
            n,
            m,
            t_ms,
        }),
    )
}

fn arb_lookup_addr() -> impl Strategy<Value = Addr> {
    let fixed: Vec<Addr> = [
        "fd00:b::5",
        "fd00:b::4",
        "fd00:b::7",
        "fd00:b::8",
        "fd00:b:0:1::1",
        "fd00:b:1::1",
        "fd00:c::1",
        "fd00:d::1",
        "2001:db8::1",
        "::1",
    ]
    .iter()
    .map(|s| addr(s))
    .collect();
    prop_oneof![4 => select(fixed), 1 => arb_addr()]
}

#[derive(Clone, Debug)]
enum Op {
    Set(usize, Vec<u16>, bool),
    Del(usize),
    Lookup(Addr),
    Move(Addr, Option<usize>, usize, Reason),
    Strategy(usize, Option<paths::Strategy>),
}

fn arb_op() -> impl Strategy<Value = Op> {
    let np = prefix_pool().len();
    let list = prop_oneof![
        8 => proptest::collection::vec(0u16..7, 1..=4),
        1 => proptest::collection::vec(0u16..8, 0..=MAX_PATHS + 1),
    ];
    prop_oneof![
        4 => (0..np, list, any::<bool>()).prop_map(|(p, l, x)| Op::Set(p, l, x)),
        1 => (0..np).prop_map(Op::Del),
        3 => arb_lookup_addr().prop_map(Op::Lookup),
        3 => (arb_lookup_addr(), proptest::option::of(0usize..6), 0usize..6, arb_reason())
            .prop_map(|(a, o, n, r)| Op::Move(a, o, n, r)),
        1 => (0..np, arb_strategy()).prop_map(|(p, s)| Op::Strategy(p, s)),
    ]
}

/// The table as a list of dumps, with the rules of the module doc.
#[derive(Default)]
struct Model {
    entries: Vec<EntryDump>,
    generation: u32,
}

impl Model {
    fn find(&mut self, p: Prefix) -> Option<&mut EntryDump> {
        self.entries.iter_mut().find(|e| e.prefix == p)
    }

    fn set(&mut self, p: Prefix, srhs: &[Vec<u8>], excl: bool) -> Result<(), PathError> {
        if srhs.is_empty() {
            return Err(PathError::NoPaths);
        }
        if srhs.len() > MAX_PATHS {
            return Err(PathError::TooManyPaths);
        }
        for (i, s) in srhs.iter().enumerate() {
            if s.len() == 7 {
                return Err(PathError::Srh(SrhError::TooShort));
            }
            if i > 0 && s.is_empty() {
                return Err(PathError::DirectNotFirst);
            }
            if srhs[..i].contains(s) {
                return Err(PathError::Duplicate);
            }
        }
        let exists = self.find(p).is_some();
        if exists && excl {
            return Err(PathError::Exists);
        }
        if !exists && self.entries.len() == MAX_PREFIXES {
            return Err(PathError::TableFull);
        }
        self.generation = self.generation.wrapping_add(1);
        let generation = self.generation;
        let old = self.find(p).cloned();
        let paths = srhs
            .iter()
            .map(|s| {
                let kept = old
                    .as_ref()
                    .and_then(|o| o.paths.iter().find(|(b, _)| b == s));
                (s.clone(), kept.map(|(_, st)| *st).unwrap_or_default())
            })
            .collect();
        let e = EntryDump {
            prefix: p,
            paths,
            strategy: old.as_ref().and_then(|o| o.strategy),
            stats: old.map(|o| o.stats).unwrap_or_default(),
            generation,
        };
        self.entries.retain(|e| e.prefix != p);
        self.entries.push(e);
        Ok(())
    }

    fn del(&mut self, p: Prefix) -> Result<(), PathError> {
        self.find(p).ok_or(PathError::NotFound)?;
        self.entries.retain(|e| e.prefix != p);
        Ok(())
    }

    fn set_strategy(&mut self, p: Prefix, s: Option<paths::Strategy>) -> Result<(), PathError> {
        self.find(p).ok_or(PathError::NotFound)?.strategy = s;
        Ok(())
    }

    fn lookup(&mut self, a: &Addr) -> Option<&mut EntryDump> {
        let best = self
            .entries
            .iter()
            .filter(|e| in_prefix(&e.prefix, a))
            .map(|e| e.prefix.len)
            .max()?;
        self.entries
            .iter_mut()
            .find(|e| e.prefix.len == best && in_prefix(&e.prefix, a))
    }

    fn record_move(e: &mut EntryDump, old: Option<usize>, new: usize, why: Reason) {
        e.stats.moves[why as usize] += 1;
        if let Some((_, s)) = old.and_then(|o| e.paths.get_mut(o)) {
            s.moves_out += 1;
        }
        if let Some((_, s)) = e.paths.get_mut(new) {
            match why {
                Reason::Init => s.starts += 1,
                _ => s.moves_in += 1,
            }
        }
    }

    fn sorted(&self) -> Vec<EntryDump> {
        let mut v = self.entries.clone();
        v.sort_by_key(|e| (e.prefix.len, e.prefix.addr));
        v
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn table_matches_model(ops in proptest::collection::vec(arb_op(), 1..120)) {
        let pool = prefix_pool();
        let mut t = table();
        let mut m = Model::default();
        for op in ops {
            match op {
                Op::Set(p, list, excl) => {
                    let srhs: Vec<Vec<u8>> = list.into_iter().map(path_of).collect();
                    prop_assert_eq!(set(&mut t, pool[p], &srhs, excl), m.set(pool[p], &srhs, excl));
                }
                Op::Del(p) => {
                    prop_assert_eq!(t.del(pool[p]), m.del(pool[p]));
                }
                Op::Lookup(a) => {
                    let got = t.lookup(&a).map(|e| EntryDump::of(e));
                    prop_assert_eq!(got, m.lookup(&a).cloned());
                }
                Op::Move(a, old, new, why) => {
                    if let Some(e) = t.lookup(&a) {
                        e.record_move(old, new, why);
                    }
                    if let Some(e) = m.lookup(&a) {
                        Model::record_move(e, old, new, why);
                    }
                }
                Op::Strategy(p, s) => {
                    prop_assert_eq!(t.set_strategy(pool[p], s), m.set_strategy(pool[p], s));
                }
            }
            let mut got = dump(&t);
            got.sort_by_key(|e| (e.prefix.len, e.prefix.addr));
            prop_assert_eq!(got, m.sorted());
        }
    }
}
