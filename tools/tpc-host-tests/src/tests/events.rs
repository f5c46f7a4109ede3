// SPDX-License-Identifier: GPL-2.0

//! The event log: in-order delivery, counted losses for readers that fall
//! behind, and a model of many readers.

use crate::events::{Delivery, Event, EventLog, UpdateEvent};
use crate::paths::{Prefix, Reason, MAX_PATHS};
use proptest::prelude::*;
use std::collections::VecDeque;
use std::vec;
use std::vec::Vec;

type Log = EventLog<Vec<Event>>;

fn log(cap: usize) -> Log {
    EventLog::new(vec![Event::EMPTY; cap])
}

/// A distinct event for each `i`.
fn ev(i: u64) -> Event {
    let b = i.to_le_bytes();
    Event {
        ktime_ns: 1_000 + i,
        reason: Reason::from_raw((i % 7) as u8 + 1).unwrap(),
        old: b[0],
        new: b[0].wrapping_add(1),
        saddr: [b[0]; 16],
        daddr: [b[1]; 16],
        sport: i as u16,
        dport: (i >> 16) as u16,
    }
}

fn push_range(l: &mut Log, r: core::ops::Range<u64>) {
    r.for_each(|i| l.push(ev(i)));
}

/// Reads until empty: (seq, lost, event index) of each delivery.
fn drain(l: &Log, cursor: &mut u64) -> Vec<(u64, u64, u64)> {
    core::iter::from_fn(|| l.read(cursor))
        .map(|d| (d.seq, d.lost, d.event.ktime_ns - 1_000))
        .collect()
}

#[test]
fn reads_in_order() {
    let mut l = log(4);
    let mut c = l.head();
    assert_eq!(c, 0);
    assert!(!l.pending(c));
    assert_eq!(l.read(&mut c), None);
    push_range(&mut l, 0..3);
    assert!(l.pending(c));
    let d = l.read(&mut c).unwrap();
    assert_eq!(
        d,
        Delivery {
            seq: 0,
            lost: 0,
            event: ev(0)
        }
    );
    assert_eq!(drain(&l, &mut c), [(1, 0, 1), (2, 0, 2)]);
    assert!(!l.pending(c));
    assert_eq!(c, 3);
    assert_eq!(l.head(), 3);
    // Filling exactly to capacity loses nothing.
    push_range(&mut l, 3..7);
    assert_eq!(
        drain(&l, &mut c),
        [(3, 0, 3), (4, 0, 4), (5, 0, 5), (6, 0, 6)]
    );
}

#[test]
fn a_reader_that_falls_behind_is_told_how_many_it_lost() {
    let mut l = log(4);
    let mut c = 0;
    push_range(&mut l, 0..10);
    // Events 0..6 were overwritten; the reader resumes at the oldest kept.
    assert_eq!(
        drain(&l, &mut c),
        [(6, 6, 6), (7, 0, 7), (8, 0, 8), (9, 0, 9)]
    );
    // Partly behind: read two, then fall behind by one.
    push_range(&mut l, 10..12);
    assert_eq!(l.read(&mut c).map(|d| (d.seq, d.lost)), Some((10, 0)));
    push_range(&mut l, 12..16);
    assert_eq!(
        drain(&l, &mut c),
        [(12, 1, 12), (13, 0, 13), (14, 0, 14), (15, 0, 15)]
    );
}

#[test]
fn a_new_reader_sees_only_later_events() {
    let mut l = log(4);
    push_range(&mut l, 0..5);
    let mut c = l.head();
    assert_eq!(c, 5);
    assert!(!l.pending(c));
    assert_eq!(l.read(&mut c), None);
    l.push(ev(5));
    assert_eq!(drain(&l, &mut c), [(5, 0, 5)]);
}

#[test]
fn readers_are_independent() {
    let mut l = log(4);
    let (mut a, mut b) = (0, 0);
    push_range(&mut l, 0..3);
    assert_eq!(drain(&l, &mut a).len(), 3);
    push_range(&mut l, 3..8);
    assert_eq!(
        drain(&l, &mut a),
        [(4, 1, 4), (5, 0, 5), (6, 0, 6), (7, 0, 7)]
    );
    assert_eq!(drain(&l, &mut b)[0], (4, 4, 4));
}

#[test]
fn tiny_capacities() {
    let mut one = log(1);
    let mut c = 0;
    push_range(&mut one, 0..3);
    assert_eq!(drain(&one, &mut c), [(2, 2, 2)]);
    // Zero capacity keeps nothing and never panics.
    let mut zero = log(0);
    zero.push(ev(1));
    assert_eq!(zero.head(), 0);
    let mut c = 0;
    assert!(!zero.pending(c));
    assert_eq!(zero.read(&mut c), None);
}

/// A distinct EXP3 update for each `i`.
fn upd(i: u64) -> UpdateEvent {
    let b = i.to_le_bytes();
    UpdateEvent {
        ktime_ns: 1_000 + i,
        key: Prefix {
            addr: [b[0]; 16],
            len: 64,
        },
        path: b[0] % 8,
        npaths: 8,
        srtt_us: i as u32,
        reward_ppm: -(i as i32),
        p_ppm: 125_000,
        shares_ppm: [b[1].into(); MAX_PATHS],
    }
}

#[test]
fn the_log_holds_exp3_updates_too() {
    let mut l: EventLog<Vec<UpdateEvent>, UpdateEvent> = EventLog::new(vec![UpdateEvent::EMPTY; 3]);
    let mut c = l.head();
    assert_eq!(l.read(&mut c), None);
    (0..5).for_each(|i| l.push(upd(i)));
    assert!(l.pending(c));
    let got: Vec<Delivery<UpdateEvent>> = core::iter::from_fn(|| l.read(&mut c)).collect();
    assert_eq!(
        got,
        [
            Delivery {
                seq: 2,
                lost: 2,
                event: upd(2)
            },
            Delivery {
                seq: 3,
                lost: 0,
                event: upd(3)
            },
            Delivery {
                seq: 4,
                lost: 0,
                event: upd(4)
            },
        ]
    );
    assert!(!l.pending(c));
    assert_eq!(UpdateEvent::EMPTY.shares_ppm, [0; MAX_PATHS]);
    // A fixed-size array works as storage, as in the module.
    let mut a: EventLog<[UpdateEvent; 2], UpdateEvent> = EventLog::new([UpdateEvent::EMPTY; 2]);
    a.push(upd(9));
    let mut c = 0;
    assert_eq!(a.read(&mut c).map(|d| d.event), Some(upd(9)));
}

#[derive(Clone, Debug)]
enum Op {
    Push,
    Read(usize),
    Join(usize),
}

/// The last `cap` events with their sequence numbers, and per reader its
/// cursor, events delivered and events reported lost since it joined.
struct Model {
    cap: usize,
    kept: VecDeque<(u64, Event)>,
    next: u64,
    readers: Vec<(u64, u64, u64, u64)>, // (joined at, cursor, delivered, lost)
}

impl Model {
    fn push(&mut self, e: Event) {
        if self.cap == 0 {
            return;
        }
        if self.kept.len() == self.cap {
            self.kept.pop_front();
        }
        self.kept.push_back((self.next, e));
        self.next += 1;
    }

    fn read(&mut self, r: usize) -> Option<Delivery> {
        let (_, cursor, delivered, lost) = &mut self.readers[r];
        let &(seq, event) = self.kept.iter().find(|(s, _)| *s >= *cursor)?;
        let d = Delivery {
            seq,
            lost: seq - *cursor,
            event,
        };
        *cursor = seq + 1;
        *delivered += 1;
        *lost += d.lost;
        Some(d)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn log_matches_model(
        cap in 0usize..7,
        ops in proptest::collection::vec(
            prop_oneof![3 => Just(Op::Push), 3 => (0usize..3).prop_map(Op::Read), 1 => (0usize..3).prop_map(Op::Join)],
            0..150,
        ),
    ) {
        let mut l = log(cap);
        let mut m = Model { cap, kept: VecDeque::new(), next: 0, readers: vec![(0, 0, 0, 0); 3] };
        let mut cursors = [0u64; 3];
        for op in ops {
            match op {
                Op::Push => {
                    let e = ev(m.next);
                    l.push(e);
                    m.push(e);
                }
                Op::Read(r) => {
                    prop_assert_eq!(l.read(&mut cursors[r]), m.read(r));
                    prop_assert_eq!(cursors[r], m.readers[r].1);
                }
                Op::Join(r) => {
                    cursors[r] = l.head();
                    m.readers[r] = (m.next, m.next, 0, 0);
                }
            }
            prop_assert_eq!(l.head(), m.next);
            for (r, c) in cursors.iter().enumerate() {
                prop_assert_eq!(l.pending(*c), m.kept.iter().any(|(s, _)| *s >= m.readers[r].1));
            }
        }
        // Drained readers account for every event since they joined.
        for (r, c) in cursors.iter_mut().enumerate() {
            while let Some(d) = l.read(c) {
                prop_assert_eq!(Some(d), m.read(r));
            }
            let (joined, _, delivered, lost) = m.readers[r];
            prop_assert_eq!(delivered + lost, m.next - joined);
        }
    }
}
