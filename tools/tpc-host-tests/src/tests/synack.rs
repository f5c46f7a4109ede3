// SPDX-License-Identifier: GPL-2.0

//! The SYN-ACK draw cache: lookups, expiry, eviction of the oldest, and a
//! model-based property test against a plain map.

use crate::exp3::Draw;
use crate::fpu_helpers::Sf;
use crate::synack::{ConnKey, Pending, SynCache, SLOTS, TTL_NS};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::vec::Vec;

fn key(net: u64, sport: u16) -> ConnKey {
    let mut saddr = [0u8; 16];
    saddr[0] = 0xfd;
    let mut daddr = saddr;
    daddr[15] = 2;
    ConnKey {
        net,
        saddr,
        daddr,
        sport,
        dport: 40000,
    }
}

fn pending(path: u8, generation: u32) -> Pending {
    Pending {
        draw: Draw {
            path,
            p: Sf::from_ratio(1, 2),
            k: 2,
        },
        generation,
    }
}

#[test]
fn get_does_not_consume_take_does() {
    let mut c = SynCache::<8>::new();
    c.insert(key(1, 80), pending(1, 3), 0);
    assert_eq!(c.get(&key(1, 80), 10), Some(pending(1, 3)));
    assert_eq!(c.get(&key(1, 80), 20), Some(pending(1, 3)));
    assert_eq!(c.take(&key(1, 80), 30), Some(pending(1, 3)));
    assert_eq!(c.take(&key(1, 80), 40), None);
    assert_eq!(c.len(40), 0);
}

#[test]
fn keys_differ_by_namespace_and_every_tuple_field() {
    let mut c = SynCache::<8>::new();
    let k = key(1, 80);
    c.insert(k, pending(1, 1), 0);
    let mut others = Vec::new();
    others.push(ConnKey { net: 2, ..k });
    others.push(ConnKey { sport: 81, ..k });
    others.push(ConnKey { dport: 1, ..k });
    let mut a = k.saddr;
    a[1] = 9;
    others.push(ConnKey { saddr: a, ..k });
    others.push(ConnKey { daddr: a, ..k });
    for o in &others {
        assert_eq!(c.get(o, 1), None, "{o:?}");
        assert_eq!(c.take(o, 1), None, "{o:?}");
    }
    assert_eq!(c.get(&k, 1), Some(pending(1, 1)));
}

#[test]
fn reinsert_replaces_in_place() {
    let mut c = SynCache::<4>::new();
    c.insert(key(1, 80), pending(0, 1), 0);
    c.insert(key(1, 80), pending(1, 2), 5);
    assert_eq!(c.len(5), 1);
    assert_eq!(c.take(&key(1, 80), 6), Some(pending(1, 2)));
}

#[test]
fn entries_expire() {
    let mut c = SynCache::<4>::new();
    c.insert(key(1, 80), pending(1, 1), 1_000);
    assert!(c.get(&key(1, 80), 1_000 + TTL_NS - 1).is_some());
    assert_eq!(c.get(&key(1, 80), 1_000 + TTL_NS), None);
    assert_eq!(c.take(&key(1, 80), 1_000 + TTL_NS), None);
    assert_eq!(c.len(1_000 + TTL_NS), 0);
    // An expired slot is reused without counting an eviction.
    for p in 0..4 {
        c.insert(key(1, 100 + p), pending(0, 1), 2 * TTL_NS);
    }
    assert_eq!(c.evicted(), 0);
    assert_eq!(c.len(2 * TTL_NS), 4);
}

#[test]
fn full_cache_replaces_the_oldest() {
    let mut c = SynCache::<SLOTS>::new();
    for p in 0..SLOTS as u16 {
        c.insert(key(1, p), pending(1, 1), i64::from(p) + 1);
    }
    assert_eq!(c.evicted(), 0);
    c.insert(key(1, 9999), pending(0, 1), 10_000);
    assert_eq!(c.evicted(), 1);
    assert_eq!(c.len(10_000), SLOTS);
    assert_eq!(c.get(&key(1, 0), 10_000), None, "the oldest went");
    assert!(c.get(&key(1, 1), 10_000).is_some());
    assert!(c.get(&key(1, 9999), 10_000).is_some());
}

#[derive(Clone, Debug)]
enum Op {
    Insert(u16, u8, i64),
    Get(u16, i64),
    Take(u16, i64),
}

fn op() -> impl Strategy<Value = Op> {
    let dt = 0i64..TTL_NS / 3;
    prop_oneof![
        (0u16..24, 0u8..8, dt.clone()).prop_map(|(k, p, dt)| Op::Insert(k, p, dt)),
        (0u16..24, dt.clone()).prop_map(|(k, dt)| Op::Get(k, dt)),
        (0u16..24, dt).prop_map(|(k, dt)| Op::Take(k, dt)),
    ]
}

proptest! {
    /// Against a model (map of key -> (pending, time)) with the same
    /// capacity, expiry and oldest-first replacement.
    #[test]
    fn matches_a_model(ops in proptest::collection::vec(op(), 1..300)) {
        const N: usize = 8;
        let mut c = SynCache::<N>::new();
        let mut m: BTreeMap<u16, (Pending, i64)> = BTreeMap::new();
        let mut now = 0i64;
        for o in ops {
            match o {
                Op::Insert(k, p, dt) => {
                    now += dt;
                    m.retain(|_, (_, at)| now - *at < TTL_NS);
                    if !m.contains_key(&k) && m.len() == N {
                        let oldest = *m.iter().min_by_key(|(_, (_, at))| *at).unwrap().0;
                        m.remove(&oldest);
                    }
                    m.insert(k, (pending(p, 1), now));
                    c.insert(key(7, k), pending(p, 1), now);
                }
                Op::Get(k, dt) => {
                    now += dt;
                    m.retain(|_, (_, at)| now - *at < TTL_NS);
                    prop_assert_eq!(c.get(&key(7, k), now), m.get(&k).map(|e| e.0));
                }
                Op::Take(k, dt) => {
                    now += dt;
                    m.retain(|_, (_, at)| now - *at < TTL_NS);
                    prop_assert_eq!(c.take(&key(7, k), now), m.remove(&k).map(|e| e.0));
                }
            }
            prop_assert_eq!(c.len(now), m.len());
        }
    }
}
