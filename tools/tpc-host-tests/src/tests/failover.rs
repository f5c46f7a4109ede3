// SPDX-License-Identifier: GPL-2.0

//! NRTOChanger and TimeoutChanger: the trigger rules of spec sections 2 and
//! 3 step by step, and a model-based test against a reference written from
//! the spec text.

use super::util::arb_kind;
use crate::failover::{seq_after, Flow, Verdict, PROGRESS_BYTES};
use crate::paths::{Strategy as Failover, StrategyKind};
use proptest::prelude::*;
use proptest::sample::select;
use std::vec;
use std::vec::Vec;

use Verdict::{Move, Progress, Wait};

const MS: i64 = 1_000_000;

fn strategy(kind: StrategyKind, n: u32, m: u32, t_ms: u32) -> Failover {
    Failover { kind, n, m, t_ms }
}

fn nrto(n: u32, m: u32) -> Failover {
    strategy(StrategyKind::Nrto, n, m, 0)
}

fn timeout(t_ms: u32, m: u32) -> Failover {
    // N is irrelevant to TimeoutChanger; 1 would move at once if it counted.
    strategy(StrategyKind::Timeout, 1, m, t_ms)
}

/// RTOs at `now` with the given `snd_una` values: (verdict, retrans) after each.
fn rtos(f: &mut Flow, s: &Failover, unas: &[u32], now: i64) -> Vec<(Verdict, u32)> {
    unas.iter()
        .map(|&u| (f.on_rto(s, u, now), f.retrans))
        .collect()
}

/// Duplicates with the given `rcv_nxt` values: (verdict, retrans) after each.
fn dups(f: &mut Flow, s: &Failover, nxts: &[u32]) -> Vec<(Verdict, u32)> {
    nxts.iter().map(|&r| (f.on_dup(s, r), f.retrans)).collect()
}

// ---- NRTOChanger, sender ----

#[test]
fn nrto_third_rto_without_progress_moves() {
    let s = nrto(3, 2);
    let mut f = Flow::new(0);
    // RTO 1 records snd_una (progress), RTO 2 waits, RTO 3 moves; without
    // moved() every further RTO says Move again.
    assert_eq!(
        rtos(&mut f, &s, &[1000; 4], 0),
        [(Progress, 1), (Wait, 2), (Move, 3), (Move, 4)]
    );
    // After a move, N more RTOs without progress are needed.
    f.moved(5 * MS);
    assert_eq!(f.retrans, 0);
    assert_eq!(
        rtos(&mut f, &s, &[1000; 3], 6 * MS),
        [(Wait, 1), (Wait, 2), (Move, 3)]
    );
}

#[test]
fn nrto_n1_moves_at_the_second_rto() {
    let mut f = Flow::new(0);
    assert_eq!(
        rtos(&mut f, &nrto(1, 2), &[7, 7], 0),
        [(Progress, 1), (Move, 2)]
    );
}

#[test]
fn nrto_first_rto_is_progress_whatever_snd_una() {
    for una in [0, 1, PROGRESS_BYTES, 0x7fff_ffff, 0x8000_0000, u32::MAX] {
        for mut f in [Flow::new(0), Flow::default()] {
            assert_eq!(f.last_snd_una, None);
            assert_eq!(f.on_rto(&nrto(3, 2), una, 0), Progress, "snd_una {una}");
            assert_eq!(f.last_snd_una, Some(una));
        }
    }
}

#[test]
fn nrto_progress_needs_more_than_3000_bytes_since_the_record() {
    let s = nrto(3, 2);
    let mut f = Flow::new(0);
    let got = rtos(&mut f, &s, &[1000, 4000, 4001, 5000, 7001, 7002], 0);
    assert_eq!(
        got,
        [
            (Progress, 1),
            (Wait, 2),     // exactly 3000: not progress
            (Progress, 1), // 3001 since 1000, although only 1 since the last RTO
            (Wait, 2),     // 999 since 4001
            (Move, 3),     // exactly 3000 since 4001: the third RTO without progress
            (Progress, 1), // 3001 since 4001
        ]
    );
}

#[test]
fn nrto_progress_in_sequence_space() {
    // (recorded snd_una, later snd_una, progress?)
    let cases = [
        // Across the wrap: 5011 bytes acked. An integer comparison says no.
        (u32::MAX - 5000, 10, true),
        (u32::MAX - 1000, 2000, true),  // 3001 across the wrap
        (u32::MAX - 1000, 1999, false), // exactly 3000 across the wrap
        (u32::MAX - 2999, 0, false),    // 3000 to 0
        (u32::MAX - 2999, 1, true),
        // Backwards across the wrap: an integer comparison says progress.
        (10, u32::MAX - 5000, false),
        (5000, 1000, false),
        (0x1000, 0x1000 + 0x7fff_0000, true), // far, but less than 2^31
    ];
    for (last, una, progress) in cases {
        let mut f = Flow::new(0);
        assert_eq!(f.on_rto(&nrto(3, 2), last, 0), Progress);
        let want = if progress { Progress } else { Wait };
        assert_eq!(f.on_rto(&nrto(3, 2), una, 0), want, "{last:#x} -> {una:#x}");
    }
    assert!(seq_after(1, u32::MAX));
    assert!(!seq_after(u32::MAX, 1));
    assert!(!seq_after(5, 5));
}

// ---- TimeoutChanger, sender ----

#[test]
fn timeout_moves_at_t_after_the_last_sign_of_life() {
    let s = timeout(700, 2);
    let mut f = Flow::new(0);
    let at = |f: &mut Flow, una: u32, now: i64| (f.on_rto(&s, una, now), f.retrans);
    assert_eq!(at(&mut f, 5, 100 * MS), (Progress, 1)); // never the first RTO
    assert_eq!(at(&mut f, 5, 600 * MS), (Wait, 2));
    assert_eq!(at(&mut f, 5, 700 * MS - 1), (Wait, 3));
    assert_eq!(at(&mut f, 5, 700 * MS), (Move, 4)); // T after Flow::new(0)
    f.moved(800 * MS);
    assert_eq!(f.retrans, 0);
    assert_eq!(at(&mut f, 5, 1400 * MS), (Wait, 1));
    assert_eq!(at(&mut f, 5, 1500 * MS), (Move, 2)); // T after the move
    f.moved(1500 * MS);
    // An RTT sample restarts the clock.
    f.on_rtt_sample(2000 * MS);
    assert_eq!(f.last_ok_ns, 2000 * MS);
    assert_eq!(at(&mut f, 5, 2600 * MS), (Wait, 1));
    assert_eq!(at(&mut f, 5, 2700 * MS), (Move, 2));
    // Any change of snd_una is progress, even 1 byte or backwards, even
    // long after T; it does not restart the clock.
    assert_eq!(at(&mut f, 6, 9000 * MS), (Progress, 1));
    assert_eq!(at(&mut f, 5, 9000 * MS), (Progress, 1));
    assert_eq!(at(&mut f, 5, 9000 * MS), (Move, 2));
}

#[test]
fn rtt_samples_only_matter_to_timeout() {
    // The clock runs whatever the strategy (a later switch to Timeout
    // must see it), but only TimeoutChanger's verdicts depend on it.
    let mut f = Flow::new(10);
    f.on_rtt_sample(99 * MS);
    assert_eq!(f.last_ok_ns, 99 * MS);
    for s in [nrto(3, 2), strategy(StrategyKind::Off, 3, 2, 700)] {
        let run = |rtt_at: Option<i64>| {
            let mut f = Flow::new(10);
            let mut v = Vec::new();
            for (i, t) in [100, 900, 1700, 2500].into_iter().enumerate() {
                if rtt_at == Some(i as i64) {
                    f.on_rtt_sample(t * MS - 1);
                }
                v.push(f.on_rto(&s, 5, t * MS));
            }
            v
        };
        assert_eq!(run(None), run(Some(2)));
    }
    let t = timeout(700, 2);
    let mut f = Flow::new(0);
    assert_eq!(f.on_rto(&t, 5, 100 * MS), Progress);
    f.on_rtt_sample(600 * MS);
    assert_eq!(f.on_rto(&t, 5, 1000 * MS), Wait);
    assert_eq!(f.on_rto(&t, 5, 1300 * MS), Move);
}

#[test]
fn timeout_clock_extremes() {
    let s = timeout(u32::MAX, 2);
    let mut f = Flow::new(i64::MIN);
    assert_eq!(f.on_rto(&s, 1, 0), Progress);
    assert_eq!(f.on_rto(&s, 1, i64::MAX), Move);
    // A clock before the last sign of life waits.
    let mut f = Flow::new(1000);
    assert_eq!(f.on_rto(&timeout(0, 2), 1, 0), Progress);
    assert_eq!(f.on_rto(&timeout(0, 2), 1, 0), Wait);
    assert_eq!(f.on_rto(&timeout(0, 2), 1, 1000), Move);
}

// ---- Receiver (both strategies) ----

#[test]
fn receiver_moves_at_the_mth_duplicate() {
    for s in [nrto(3, 2), timeout(700, 2)] {
        let mut f = Flow::new(0);
        assert_eq!(
            dups(&mut f, &s, &[500, 500, 500, 600, 600]),
            [
                (Progress, 1),
                (Move, 2),
                (Move, 3),
                (Progress, 1),
                (Move, 2)
            ]
        );
        f.moved(0);
        assert_eq!(dups(&mut f, &s, &[600, 600]), [(Wait, 1), (Move, 2)]);
    }
    let mut f = Flow::new(0);
    assert_eq!(
        dups(&mut f, &nrto(3, 3), &[0, 0, 0]),
        [(Progress, 1), (Wait, 2), (Move, 3)]
    );
    // Any change of rcv_nxt is progress, backwards too.
    assert_eq!(
        dups(&mut f, &nrto(3, 3), &[u32::MAX, 0]),
        [(Progress, 1), (Progress, 1)]
    );
}

#[test]
fn rto_and_duplicates_share_one_counter() {
    // A duplicate without progress counts towards N: the RTO after it moves
    // although only two RTOs happened.
    let s = nrto(3, 5);
    let mut f = Flow::new(0);
    assert_eq!(f.on_rto(&s, 1000, 0), Progress);
    assert_eq!(dups(&mut f, &s, &[5, 5]), [(Progress, 1), (Wait, 2)]);
    assert_eq!(f.on_rto(&s, 1000, 0), Move);
    // Receiver progress resets the sender's count.
    let s = nrto(3, 2);
    let mut f = Flow::new(0);
    assert_eq!(
        rtos(&mut f, &s, &[1000, 1000], 0),
        [(Progress, 1), (Wait, 2)]
    );
    assert_eq!(f.on_dup(&s, 7), Progress);
    assert_eq!(rtos(&mut f, &s, &[1000, 1000], 0), [(Wait, 2), (Move, 3)]);
    // And RTOs count towards M.
    let mut f = Flow::new(0);
    assert_eq!(f.on_dup(&s, 7), Progress);
    assert_eq!(f.on_rto(&s, 1000, 0), Progress);
    assert_eq!(f.on_rto(&s, 1000, 0), Wait);
    assert_eq!(f.on_dup(&s, 7), Move);
}

#[test]
fn off_never_moves_and_a_switch_starts_unset() {
    let off = strategy(StrategyKind::Off, 1, 1, 0);
    let mut f = Flow::new(0);
    for i in 0..10 {
        assert_ne!(f.on_rto(&off, 1000, i * 1000 * MS), Move);
        assert_ne!(f.on_dup(&off, 5), Move);
    }
    // Signals seen while off record no progress, so switching on later
    // starts from unset values: no immediate move.
    assert_eq!(f.on_rto(&nrto(3, 2), 1000, 0), Progress);
    assert_eq!(f.on_dup(&nrto(3, 2), 5), Progress);
}

#[test]
fn counter_saturates() {
    for s in [
        nrto(3, 2),
        timeout(0, 2),
        strategy(StrategyKind::Off, 3, 2, 0),
    ] {
        let mut f = Flow::new(0);
        f.on_rto(&s, 1, 0);
        f.on_dup(&s, 1);
        f.retrans = u32::MAX;
        let v = f.on_rto(&s, 1, 0);
        assert_eq!(f.retrans, u32::MAX);
        let w = f.on_dup(&s, 1);
        assert_eq!(f.retrans, u32::MAX);
        let off = s.kind == StrategyKind::Off;
        assert_eq!((v == Move, w == Move), (!off, !off));
    }
}

// ---- Model ----

/// The rules of spec sections 2 and 3, with the two deliberate fixes of
/// section 2 (sequence-space comparison, unset start values).
#[derive(Debug)]
struct Spec {
    s: Failover,
    retrans_count: u32,
    last_snd_una: Option<u32>,
    last_rcv_nxt: Option<u32>,
    last_move_time: i64,
}

/// `to` lies strictly after `from`, less than half the sequence space ahead.
fn ahead(from: u32, to: u32) -> bool {
    let d = to.wrapping_sub(from);
    d > 0 && d < 1 << 31
}

impl Spec {
    fn rto(&mut self, snd_una: u32, now: i64) -> Verdict {
        self.retrans_count = self.retrans_count.saturating_add(1);
        let progress = match (self.s.kind, self.last_snd_una) {
            (StrategyKind::Off, _) => return Wait,
            (_, None) => true,
            (StrategyKind::Nrto, Some(last)) => ahead(last.wrapping_add(3000), snd_una),
            (StrategyKind::Timeout, Some(last)) => snd_una != last,
        };
        let enough = match self.s.kind {
            StrategyKind::Timeout => now - self.last_move_time >= i64::from(self.s.t_ms) * MS,
            _ => self.retrans_count >= self.s.n,
        };
        self.verdict(progress, enough, |me| me.last_snd_una = Some(snd_una))
    }

    fn dup(&mut self, rcv_nxt: u32) -> Verdict {
        self.retrans_count = self.retrans_count.saturating_add(1);
        if self.s.kind == StrategyKind::Off {
            return Wait;
        }
        let progress = self.last_rcv_nxt != Some(rcv_nxt);
        let enough = self.retrans_count >= self.s.m;
        self.verdict(progress, enough, |me| me.last_rcv_nxt = Some(rcv_nxt))
    }

    fn verdict(&mut self, progress: bool, enough: bool, record: impl FnOnce(&mut Self)) -> Verdict {
        if progress {
            record(self);
            self.retrans_count = 1;
            Progress
        } else if enough {
            Move
        } else {
            Wait
        }
    }
}

#[derive(Clone, Debug)]
enum Ev {
    Rto(i64, i64),
    Dup(i64),
    Rtt(i64),
    Moved(i64),
}

fn arb_ev() -> impl Strategy<Value = Ev> {
    let d_una = prop_oneof![
        4 => Just(0i64),
        1 => select(vec![1i64, 2999, 3000, 3001, -1]),
        2 => -20_000i64..20_000,
    ];
    let d_nxt = prop_oneof![3 => Just(0i64), 1 => -10i64..5000];
    // Time steps in microseconds, up to 400 ms, sometimes exact ms.
    let dt = prop_oneof![3 => (0i64..400).prop_map(|x| x * MS), 1 => 0i64..400 * MS];
    prop_oneof![
        5 => (d_una, dt.clone()).prop_map(|(d, t)| Ev::Rto(d, t)),
        3 => d_nxt.prop_map(Ev::Dup),
        2 => dt.clone().prop_map(Ev::Rtt),
        1 => dt.prop_map(Ev::Moved),
    ]
}

fn arb_strategy() -> impl Strategy<Value = Failover> {
    (
        arb_kind(),
        1u32..6,
        1u32..6,
        prop_oneof![Just(0u32), 1u32..1500],
    )
        .prop_map(|(kind, n, m, t_ms)| strategy(kind, n, m, t_ms))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn flow_matches_spec(
        s in arb_strategy(),
        una0 in prop_oneof![any::<u32>(), (u32::MAX - 30_000)..=u32::MAX],
        nxt0 in any::<u32>(),
        t0 in 0i64..1_000_000 * MS,
        evs in proptest::collection::vec(arb_ev(), 1..80),
    ) {
        let (mut una, mut nxt, mut now) = (una0, nxt0, t0);
        let mut f = Flow::new(now);
        let mut spec = Spec {
            s,
            retrans_count: 0,
            last_snd_una: None,
            last_rcv_nxt: None,
            last_move_time: now,
        };
        let off = s.kind == StrategyKind::Off;
        for ev in evs {
            let (got, want) = match ev {
                Ev::Rto(d, dt) => {
                    una = una.wrapping_add(d as u32);
                    now += dt;
                    (Some(f.on_rto(&s, una, now)), Some(spec.rto(una, now)))
                }
                Ev::Dup(d) => {
                    nxt = nxt.wrapping_add(d as u32);
                    (Some(f.on_dup(&s, nxt)), Some(spec.dup(nxt)))
                }
                Ev::Rtt(dt) => {
                    now += dt;
                    f.on_rtt_sample(now);
                    if s.kind == StrategyKind::Timeout {
                        spec.last_move_time = now;
                    }
                    (None, None)
                }
                Ev::Moved(dt) => {
                    now += dt;
                    f.moved(now);
                    spec.retrans_count = 0;
                    spec.last_move_time = now;
                    (None, None)
                }
            };
            if off {
                prop_assert_ne!(got, Some(Move));
            } else {
                prop_assert_eq!(got, want, "{:?}", spec);
                prop_assert_eq!(f.retrans, spec.retrans_count);
            }
        }
    }
}
