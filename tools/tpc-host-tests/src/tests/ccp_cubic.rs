// SPDX-License-Identifier: GPL-2.0

//! The CCP fallback's Cubic: the integer cube root, the reduction, and the
//! window's growth after a loss against RFC 9438's curve in f64.

use crate::ccp_cubic::{cbrt, Cubic, BETA};
use proptest::prelude::*;
use std::vec::Vec;

#[test]
fn cube_roots() {
    for r in [0u64, 1, 2, 3, 10, 1000, 2_097_151] {
        assert_eq!(cbrt(r * r * r), r);
        if r > 0 {
            assert_eq!(cbrt(r * r * r - 1), r - 1);
        }
    }
    assert_eq!(cbrt(u64::MAX), 2_642_245);
}

proptest! {
    #[test]
    fn cube_root_is_the_floor(x in any::<u64>()) {
        let r = cbrt(x);
        prop_assert!(r * r * r <= x);
        prop_assert!((r + 1).checked_mul(r + 1).and_then(|s| s.checked_mul(r + 1)).map_or(true, |c| c > x));
    }

    /// Whatever the inputs, `cnt` is at least 2 and the state never
    /// panics (overflow checks are on in tests).
    #[test]
    fn cnt_is_sane(cwnd in 0u32..u32::MAX, acked in 0u32..100_000, now in any::<u32>(),
                   rtt in 0u32..100_000, loss_at in 0u32..u32::MAX) {
        let mut c = Cubic::default();
        c.ssthresh(loss_at);
        prop_assert!(c.cnt(cwnd, acked, now, rtt) >= 2);
        prop_assert!(c.cnt(cwnd, acked, now.wrapping_add(5000), rtt) >= 2);
    }
}

#[test]
fn reduction_and_fast_convergence() {
    let mut c = Cubic::default();
    assert_eq!(c.ssthresh(100), 100 * BETA / 1024);
    assert_eq!(c.ssthresh(2), 2, "never below 2");
    // A loss below the previous maximum (2) is not; the next one below 100
    // lowers the remembered maximum to (1 + β) / 2 of the window.
    let mut c = Cubic::default();
    c.ssthresh(100);
    c.ssthresh(80);
    // Growth after that loss aims at 80 × 1741 / 2048 = 68, not 80.
    let mut cwnd = 56u32;
    let mut acc = 0u32;
    let mut now = 1000u32;
    // Plenty of time: the window passes the plateau (68) and keeps
    // growing, but the plateau is where it flattens.
    let mut at_plateau_rtts = 0;
    for _ in 0..200 {
        // One round: the packets of the window at its start.
        let round = cwnd;
        for _ in 0..round {
            let cnt = c.cnt(cwnd, 1, now, 100);
            acc += 1;
            if acc >= cnt {
                acc = 0;
                cwnd += 1;
            }
        }
        if (66..=70).contains(&cwnd) {
            at_plateau_rtts += 1;
        }
        now += 100;
    }
    assert!(
        at_plateau_rtts >= 5,
        "lingered {at_plateau_rtts} RTTs near 68"
    );
}

/// Simulates congestion avoidance after a loss at `wmax` with a fixed RTT
/// and one ACK per packet; returns the window at each RTT.
fn grow(wmax: u32, rtt_ms: u32, rtts: usize) -> Vec<u32> {
    let mut c = Cubic::default();
    let mut cwnd = c.ssthresh(wmax);
    let mut acc = 0u32;
    let mut now = 10_000u32;
    let mut out = Vec::new();
    for _ in 0..rtts {
        out.push(cwnd);
        // One round: the packets of the window at its start.
        let round = cwnd;
        for _ in 0..round {
            let cnt = c.cnt(cwnd, 1, now, rtt_ms);
            acc += 1;
            if acc >= cnt {
                acc = 0;
                cwnd += 1;
            }
        }
        now += rtt_ms;
    }
    out
}

#[test]
fn follows_the_cubic_curve() {
    // Wmax 1000, RTT 100 ms: K = cbrt(300 / 0.4) = 9.09 s.
    let (wmax, rtt) = (1000.0f64, 100u32);
    let k = (wmax * (1.0 - f64::from(BETA) / 1024.0) / 0.4).cbrt();
    let w = grow(1000, rtt, 160);
    for (i, &got) in w.iter().enumerate().skip(10) {
        let t = i as f64 * f64::from(rtt) / 1000.0;
        // The window reaches W(t + RTT) one RTT later: compare with W(t).
        let want = 0.4 * (t - k).powi(3) + wmax;
        assert!(
            (f64::from(got) - want).abs() <= 0.04 * want + 3.0,
            "t {t:.1} s: cwnd {got}, RFC 9438 W(t) {want:.1}"
        );
    }
    // Concave, then flat around Wmax at K, then convex.
    let at = |s: f64| w[(s * 10.0) as usize];
    assert!(at(2.0) - at(1.0) > at(8.0) - at(7.0));
    assert!(at(15.0) - at(14.0) > at(10.0) - at(9.0));
}

#[test]
fn never_slower_than_reno() {
    // Small window, long RTT: Cubic's curve is flat for seconds, the
    // Reno estimate (3(1-β)/(1+β) ≈ 0.53 packets per RTT) takes over.
    let w = grow(20, 1000, 60);
    let per_rtt = f64::from(w[59] - w[10]) / 49.0;
    assert!(per_rtt >= 0.45, "{per_rtt} packets per RTT; {w:?}");
}

#[test]
fn first_epoch_grows_at_least_5_percent_per_rtt() {
    // No loss yet (slow start ended by ssthresh): cnt <= 20.
    let mut c = Cubic::default();
    assert!(c.cnt(200, 1, 5, 10) <= 20);
    let mut c = Cubic::default();
    c.ssthresh(300);
    let mut c2 = c;
    c2.reset();
    assert_eq!(c2, Cubic::default());
    assert!(
        c.cnt(200, 1, 5, 10) > 20,
        "after a loss the plateau is flat"
    );
}
