// SPDX-License-Identifier: GPL-2.0

//! EXP3 lowest-delay path selection: the as-coded test vectors of spec
//! section 7.6, the textbook preset against an `f64` reference model of the
//! module doc, invariants under random operations, categorical sampling,
//! learning, failed paths, the state table, overrides, the per-connection
//! state and the reward history.

use super::util::{addr, pfx};
use crate::exp3::{
    key_of, Draw, FlowExp3, Overrides, Preset, Sample, SettingError, Settings, State, Table,
    GAMMA_ONE, HISTORY, INHERIT_U32, INHERIT_U8, MAX_EXPONENT, MAX_STATES, TOKENS, WINDOW_NS,
};
use crate::fpu_helpers::Sf;
use crate::paths::{Prefix, MAX_PATHS};
use proptest::prelude::*;
use std::format;
use std::vec;
use std::vec::Vec;

const MS: i64 = 1_000_000;
const SEC: i64 = 1_000_000_000;

// ---------------------------------------------------------------------------
// Helpers.

/// `x` as `f64` (mantissa rounded to 53 bits; `x` within `f64`'s range).
fn f(x: Sf) -> f64 {
    let (neg, mant, exp) = x.to_raw();
    let v = mant as f64 * 2f64.powi(exp);
    if neg {
        -v
    } else {
        v
    }
}

/// A finite, normal (or zero) `f64` as `Sf`, exactly.
fn sf(x: f64) -> Sf {
    assert!(x.is_finite());
    if x == 0.0 {
        return Sf::ZERO;
    }
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i32;
    assert!(e != 0, "normal numbers only");
    let mant = (bits & ((1 << 52) - 1)) | (1 << 52);
    Sf::from_raw(bits >> 63 == 1, mant, e - 1075)
}

/// Relative error of `got` against `want` (absolute when `want` is 0).
fn rel(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            rel(*g, *w) <= tol,
            "{what}[{i}]: got {g}, want {w} (rel {:e}, tol {tol:e})",
            rel(*g, *w)
        );
    }
}

fn weights(st: &State) -> Vec<f64> {
    st.weights().iter().map(|w| f(*w)).collect()
}

fn probs(st: &State, gamma_ppm: u32, usable: u8) -> Vec<f64> {
    st.probs(gamma_ppm, usable)[..st.npaths()]
        .iter()
        .map(|p| f(*p))
        .collect()
}

fn all(n: usize) -> u8 {
    ((1u16 << n) - 1) as u8
}

fn key() -> Prefix {
    pfx("2001:db8:1:2::", 64)
}

fn entry() -> Prefix {
    pfx("2001:db8::", 32)
}

fn state(npaths: u8) -> State {
    State::new(key(), entry(), 1, npaths, 0)
}

fn settings(preset: Preset, gamma_ppm: u32) -> Settings {
    Settings {
        on: true,
        preset,
        gamma_ppm,
        hook_bytes: 0,
        keylen: 64,
        ref_ms: 23,
        fail_timeout_ms: 0,
    }
}

/// `n` random numbers evenly spread over all `u32`s: `floor(i * 2^32 / n)`.
fn grid(n: u64) -> impl Iterator<Item = u32> {
    (0..n).map(move |i| ((i << 32) / n) as u32)
}

/// Draws on the grid: how often each path came out. Checks that every draw
/// reports the probability `probs()` gives its path and the usable count.
fn draw_counts(st: &mut State, gamma_ppm: u32, n: u64, now: i64) -> [u64; MAX_PATHS] {
    let usable = st.usable(now);
    let p = st.probs(gamma_ppm, usable);
    let mut c = [0; MAX_PATHS];
    for r in grid(n) {
        let d = st.draw(gamma_ppm, r, now);
        assert!(usable & (1 << d.path) != 0, "drew unusable path {}", d.path);
        assert_eq!(d.p, p[usize::from(d.path)]);
        assert_eq!(u32::from(d.k), usable.count_ones());
        c[usize::from(d.path)] += 1;
    }
    c
}

/// A deterministic random number generator (Knuth's MMIX LCG, high half).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 32) as u32
    }
}

// ---------------------------------------------------------------------------
// 1. Spec 7.6: as-coded preset (Γ = 0.2, GAMMA_REV = 20, K' = K + 1).

const AS_CODED: Settings = Settings {
    on: true,
    preset: Preset::AsCoded,
    gamma_ppm: 200_000,
    hook_bytes: 0,
    keylen: 64,
    ref_ms: 23,
    fail_timeout_ms: 0,
};

/// Spec 7.6: "agree with the exact column to a relative error <= 1e-6".
const SPEC_TOL: f64 = 1e-6;

#[test]
fn as_coded_spec_vectors() {
    let mut st = state(2);
    let p = st.probs(200_000, 0b11);
    assert_close(&[f(p[0]), f(p[1])], &[0.5, 0.5], SPEC_TOL, "initial p");
    assert!(p[2..].iter().all(|x| x.is_zero()));

    // Flow on path 0 (p = 0.5), srtt 10 ms: r = 13, exponent 13 / (0.5 * 20 * 3).
    let u = st.reward(&AS_CODED, 0, p[0], 2, 10_000, 1_000).unwrap();
    assert_close(
        &weights(&st),
        &[6066.693561082114, 3933.3064389178853],
        SPEC_TOL,
        "w after step 1",
    );
    assert!(rel(weights(&st).iter().sum(), TOKENS as f64) < 1e-12);
    assert_eq!(u.sample.reward_ppm, 13_000_000);
    assert_eq!(u.sample.p_ppm, 500_000);
    assert_eq!(u.sample.srtt_us, 10_000);
    assert_eq!(u.npaths, 2);
    assert_eq!(u.shares_ppm[..2], [606_669, 393_331]);
    assert!(u.shares_ppm[2..].iter().all(|&s| s == 0));
    let p = st.probs(200_000, 0b11);
    assert_close(
        &[f(p[0]), f(p[1])],
        &[0.5853354848865692, 0.41466451511343083],
        SPEC_TOL,
        "p after step 1",
    );

    // Next flow on path 1 with that p, srtt 100 ms: r = 77, negative.
    let u = st.reward(&AS_CODED, 1, p[1], 2, 100_000, 2_000).unwrap();
    assert_eq!(u.sample.reward_ppm, -77_000_000);
    assert_eq!(u.sample.p_ppm, 414_665);
    assert_close(
        &weights(&st),
        &[9714.797121439273, 285.2028785607275],
        SPEC_TOL,
        "w after step 2",
    );
    assert!(rel(weights(&st).iter().sum(), TOKENS as f64) < 1e-12);
    assert_close(
        &probs(&st, 200_000, 0b11),
        &[0.8771837697151419, 0.1228162302848582],
        SPEC_TOL,
        "p after step 2",
    );
    assert_eq!(st.stats.updates, 2);
}

#[test]
fn as_coded_spec_vector_p_last_one() {
    // The original's default p_last = 1.0: exponent 13 / (1 * 20 * 3).
    let mut st = state(2);
    st.reward(&AS_CODED, 0, Sf::ONE, 2, 10_000, 0).unwrap();
    assert_close(
        &weights(&st),
        &[5539.55754719607, 4460.44245280393],
        SPEC_TOL,
        "w",
    );
    // srtt is cut to whole milliseconds: 10.999 ms is 10 ms.
    let mut st2 = state(2);
    st2.reward(&AS_CODED, 0, Sf::ONE, 2, 10_999, 0).unwrap();
    assert_eq!(st.weights(), st2.weights());
}

#[test]
fn as_coded_spec_vector_floor() {
    // w = (9999, 1), path 1 with p = 0.1, srtt 200 ms: exponent 29.5.
    let mut st = state(2);
    st.set_weight(0, Sf::from_u64(9999));
    st.set_weight(1, Sf::ONE);
    let u = st
        .reward(&AS_CODED, 1, Sf::from_ratio(1, 10), 2, 200_000, 0)
        .unwrap();
    assert_eq!(u.sample.reward_ppm, -177_000_000);
    assert_close(&weights(&st), &[10_000.0, 1.0], SPEC_TOL, "w");
    assert_eq!(st.weights()[1], Sf::ONE, "path 1 floored at exactly 1");
}

#[test]
fn as_coded_gamma_rev_table_and_divisor() {
    // Γ = 0.1: GAMMA_REV = 10 (only Γ = 0.2 is the original's 20), K' = K + 1.
    // Path 0, p = 0.5, srtt 3 ms, ref 23 ms: r = 20, exponent 20 / (0.5 * 10 * 3).
    let mut st = state(2);
    st.reward(
        &settings(Preset::AsCoded, 100_000),
        0,
        Sf::from_ratio(1, 2),
        2,
        3_000,
        0,
    )
    .unwrap();
    let x = 20.0 / (0.5 * 10.0 * 3.0);
    let w = weights(&st);
    assert!(rel(w[0] / w[1], f64::exp(x)) < 1e-12, "{w:?}");
    // ref_ms is honoured: ref 50 ms, srtt 60 ms: r = -10, k = 3 -> K' = 4.
    let mut st = state(3);
    let s = Settings {
        ref_ms: 50,
        ..settings(Preset::AsCoded, 500_000)
    };
    let u = st
        .reward(&s, 2, Sf::from_ratio(1, 4), 3, 60_000, 0)
        .unwrap();
    assert_eq!(u.sample.reward_ppm, -10_000_000);
    let x = 10.0 / (0.25 * 2.0 * 4.0);
    let w = weights(&st);
    assert!(rel(w[0] / w[2], f64::exp(x)) < 1e-12, "{w:?}");
    assert_eq!(w[0], w[1]);
}

#[test]
fn textbook_worked_example() {
    // Γ = 0.2, two paths.
    let s = settings(Preset::Textbook, 200_000);
    let mut st = state(2);
    // One sample in the window: r = 1/2, exponent 0.2 * (0.5 / 0.5) / 2.
    let u = st
        .reward(&s, 0, Sf::from_ratio(1, 2), 2, 50_000, 0)
        .unwrap();
    assert_eq!(u.sample.reward_ppm, 500_000);
    assert_eq!(st.rtt_range(), (50_000, 50_000));
    let w = weights(&st);
    assert!(rel(w[0] / w[1], f64::exp(0.1)) < 1e-12);
    // The slowest RTT of the window: r = 0, nothing moves.
    let before = weights(&st);
    let u = st
        .reward(&s, 1, Sf::from_ratio(1, 2), 2, 90_000, MS)
        .unwrap();
    assert_eq!(u.sample.reward_ppm, 0);
    assert_close(&weights(&st), &before, 1e-15, "r = 0");
    // The fastest one: r = 1, exponent 0.2 * (1 / 0.4) / 2.
    let u = st
        .reward(&s, 1, Sf::from_ratio(2, 5), 2, 10_000, 2 * MS)
        .unwrap();
    assert_eq!(u.sample.reward_ppm, 1_000_000);
    assert_eq!(st.rtt_range(), (10_000, 90_000));
    let w = weights(&st);
    assert!(rel(w[1] / w[0], f64::exp(0.25) / f64::exp(0.1)) < 1e-12);
    // In between: r = (90 - 30) / (90 - 10) = 3/4.
    let u = st
        .reward(&s, 0, Sf::from_ratio(1, 2), 2, 30_000, 3 * MS)
        .unwrap();
    assert_eq!(u.sample.reward_ppm, 750_000);
    assert!(
        rel(
            f(st.weights()[0]) / f(st.weights()[1]),
            f64::exp(0.1 + 0.15 - 0.25)
        ) < 1e-12
    );
}

#[test]
fn exponent_is_capped() {
    // Textbook, Γ = 1, p = 2^-32, r = 1/2: exponent 2^30 capped at 40.
    let s = settings(Preset::Textbook, GAMMA_ONE);
    let mut st = state(2);
    st.reward(&s, 0, Sf::from_raw(false, 1, -32), 2, 1_000, 0)
        .unwrap();
    let w = weights(&st);
    assert!(rel(w[0], TOKENS as f64) < 1e-12);
    assert_eq!(w[1], 1.0);
    // Same with a penalty (as-coded): the cap is applied to |exponent|.
    let mut st = state(2);
    st.set_weight(1, Sf::from_u64(9_000));
    st.set_weight(0, Sf::from_u64(1_000));
    st.reward(&AS_CODED, 1, Sf::from_raw(false, 1, -32), 2, 1_000_000, 0)
        .unwrap();
    // 9000 / e^40 is far below the floor.
    assert_close(&weights(&st), &[10_000.0, 1.0], 1e-12, "w");
    // Within [1, TOKENS] the floor hides the cap (w = (1, 1) -> (1, ~TOKENS)
    // either way); a weight set far outside shows it: w = (1e17, 1), an
    // exponent of 2^38 on path 1 capped at 40 -> (1e17, e^40), rescaled.
    let mut st = state(2);
    st.reward(&s, 1, Sf::from_raw(false, 1, -40), 2, 1_000, 0)
        .unwrap();
    assert_close(&weights(&st), &[1.0, TOKENS as f64], 1e-12, "floored");
    let mut st = state(2);
    st.set_weight(0, Sf::from_u64(100_000_000_000_000_000));
    st.reward(&s, 1, Sf::from_raw(false, 1, -40), 2, 1_000, 0)
        .unwrap();
    let (w0, e) = (1e17, f64::exp(MAX_EXPONENT as f64));
    let t = TOKENS as f64;
    assert_close(
        &weights(&st),
        &[t * w0 / (w0 + e), t * e / (w0 + e)],
        1e-12,
        "capped",
    );
}

// ---------------------------------------------------------------------------
// 2. Textbook preset against an f64 model of the module doc.

/// The module doc in `f64`: `r = (max - srtt) / (max - min)` over the RTTs
/// of the window (1/2 when all are equal), exponent `Γ (r / p) / K` capped
/// at 40, `w *= e^x`, rescale to 10000 tokens with a floor of 1.
///
/// The window's exact extent depends on how its two half-window buckets
/// rotate, so the model takes (min, max) from [`State::rtt_range`] after
/// checking it against every sample seen (see [`check_range`]); the bucket
/// mechanics have their own tests below.
struct Model {
    w: Vec<f64>,
    /// Every (time, srtt) rewarded with the textbook preset.
    samples: Vec<(i64, u32)>,
}

/// The range the window reports at `now` (right after the sample of `now`
/// was fed) against the samples seen: it covers every sample younger than
/// half a window, its bounds are samples actually seen, and none older
/// than `max_age`.
fn check_range(
    samples: &[(i64, u32)],
    now: i64,
    (lo, hi): (u32, u32),
    max_age: i64,
) -> Result<(), TestCaseError> {
    for (t, s) in samples.iter().filter(|(t, _)| now - t < WINDOW_NS / 2) {
        prop_assert!(
            lo <= *s && *s <= hi,
            "sample {} at age {} ns outside the range ({}, {})",
            s,
            now - t,
            lo,
            hi
        );
    }
    for b in [lo, hi] {
        prop_assert!(
            samples.iter().any(|(t, s)| *s == b && now - t < max_age),
            "bound {} of ({}, {}) is no sample younger than {} ns",
            b,
            lo,
            hi,
            max_age
        );
    }
    Ok(())
}

impl Model {
    fn new(n: usize) -> Self {
        Self {
            w: vec![1.0; n],
            samples: Vec::new(),
        }
    }

    /// Rewards `path`; `range` is the window's (min, max) after the sample
    /// was fed. Returns r.
    #[allow(clippy::too_many_arguments)]
    fn reward(
        &mut self,
        gamma: f64,
        path: usize,
        p: f64,
        k: u32,
        srtt: u32,
        now: i64,
        (lo, hi): (u32, u32),
    ) -> Result<f64, TestCaseError> {
        self.samples.push((now, srtt));
        // No sample older than one window counts.
        check_range(&self.samples, now, (lo, hi), WINDOW_NS)?;
        let r = if hi > lo {
            f64::from(hi - srtt) / f64::from(hi - lo)
        } else {
            0.5
        };
        let x = (gamma * (r / p) / f64::from(k)).min(40.0);
        self.w[path] *= x.exp();
        let sum: f64 = self.w.iter().sum();
        for w in &mut self.w {
            *w = (*w * 10_000.0 / sum).max(1.0);
        }
        Ok(r)
    }

    fn probs(&self, gamma: f64) -> Vec<f64> {
        let sum: f64 = self.w.iter().sum();
        let k = self.w.len() as f64;
        self.w
            .iter()
            .map(|w| (1.0 - gamma) * w / sum + gamma / k)
            .collect()
    }
}

#[derive(Clone, Debug)]
struct Step {
    path: usize,
    srtt_us: u32,
    dt: i64,
    /// None: the state's probability of the path; else `q * 2^-32`.
    p_q32: Option<u32>,
    k: u8,
}

fn arb_dt() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => 0..2 * SEC,
        2 => 0..WINDOW_NS,
        1 => WINDOW_NS / 2 - 2..WINDOW_NS / 2 + 2,
        1 => WINDOW_NS - 2..WINDOW_NS + 2,
        1 => Just(0),
        1 => 0..3 * WINDOW_NS,
    ]
}

fn arb_srtt() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => 1u32..2_000_000,
        2 => 1_000u32..1_010,
        1 => prop::sample::select(vec![1u32, 10_000, 100_000, 1_999_999]),
    ]
}

fn arb_step() -> impl Strategy<Value = Step> {
    (
        0usize..MAX_PATHS,
        arb_srtt(),
        arb_dt(),
        prop::option::weighted(0.2, 1u32..=u32::MAX),
        1u8..=MAX_PATHS as u8,
    )
        .prop_map(|(path, srtt_us, dt, p_q32, k)| Step {
            path,
            srtt_us,
            dt,
            p_q32,
            k,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn textbook_matches_model(
        gamma_ppm in prop_oneof![0u32..=GAMMA_ONE, prop::sample::select(vec![0, 1, 100_000, GAMMA_ONE])],
        npaths in 2usize..=MAX_PATHS,
        start in 0i64..1_000 * SEC,
        steps in prop::collection::vec(arb_step(), 1..60),
    ) {
        let s = settings(Preset::Textbook, gamma_ppm);
        let gamma = f64::from(gamma_ppm) / 1e6;
        let mut st = State::new(key(), entry(), 0, npaths as u8, start);
        let mut m = Model::new(npaths);
        let mut now = start;
        let everyone = all(npaths);
        for (n, step) in steps.iter().enumerate() {
            now += step.dt;
            let path = step.path % npaths;
            let ps = st.probs(gamma_ppm, everyone);
            let want_p = m.probs(gamma);
            for i in 0..npaths {
                prop_assert!((f(ps[i]) - want_p[i]).abs() < 1e-12, "step {n}: p[{i}] {} vs {}", f(ps[i]), want_p[i]);
            }
            let p = match step.p_q32 {
                None => ps[path],
                Some(q) => Sf::from_raw(false, u64::from(q), -32),
            };
            let u = st.reward(&s, path as u8, p, step.k, step.srtt_us, now).unwrap();
            let r = m.reward(gamma, path, f(p), u32::from(step.k), step.srtt_us, now, st.rtt_range())?;
            prop_assert!((f64::from(u.sample.reward_ppm) - r * 1e6).abs() <= 1.0,
                "step {n}: reward_ppm {} vs r {r}", u.sample.reward_ppm);
            prop_assert_eq!(u.sample.srtt_us, step.srtt_us);
            prop_assert_eq!(usize::from(u.sample.path), path);
            let w = weights(&st);
            prop_assert_eq!(w.len(), npaths);
            for (i, (got, want)) in w.iter().zip(&m.w).enumerate() {
                prop_assert!(rel(*got, *want) <= 1e-9,
                    "step {n}: w[{i}] {got} vs model {want} (rel {:e})", rel(*got, *want));
            }
            let sum: f64 = m.w.iter().sum();
            for i in 0..npaths {
                let share = m.w[i] / sum * 1e6;
                prop_assert!((f64::from(u.shares_ppm[i]) - share).abs() <= 0.5 + 1e-6,
                    "step {n}: share[{i}] {} vs {share}", u.shares_ppm[i]);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn window_covers_the_last_half_window(
        steps in prop::collection::vec((arb_srtt(), arb_dt()), 1..60),
    ) {
        let s = settings(Preset::Textbook, 100_000);
        let mut st = state(2);
        let mut now = 0;
        let mut seen = Vec::new();
        for (srtt, dt) in steps {
            now += dt;
            seen.push((now, srtt));
            st.reward(&s, 0, Sf::from_ratio(1, 2), 2, srtt, now).unwrap();
            check_range(&seen, now, st.rtt_range(), WINDOW_NS + WINDOW_NS / 2)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn window_forgets_samples_older_than_the_window(
        steps in prop::collection::vec((arb_srtt(), arb_dt()), 1..60),
    ) {
        let s = settings(Preset::Textbook, 100_000);
        let mut st = state(2);
        let mut now = 0;
        let mut seen: Vec<(i64, u32)> = Vec::new();
        for (srtt, dt) in steps {
            now += dt;
            seen.push((now, srtt));
            st.reward(&s, 0, Sf::from_ratio(1, 2), 2, srtt, now).unwrap();
            check_range(&seen, now, st.rtt_range(), WINDOW_NS)?;
        }
    }
}

#[test]
fn window_buckets() {
    let s = settings(Preset::Textbook, 100_000);
    let half = Sf::from_ratio(1, 2);
    let mut st = state(2);
    assert_eq!(st.rtt_range(), (0, 0));
    st.reward(&s, 0, half, 2, 50_000, 0).unwrap();
    st.reward(&s, 0, half, 2, 20_000, SEC).unwrap();
    assert_eq!(st.rtt_range(), (20_000, 50_000));
    // Half a window after the bucket started: a new bucket, the old one
    // still counts.
    st.reward(&s, 0, half, 2, 30_000, WINDOW_NS / 2).unwrap();
    assert_eq!(st.rtt_range(), (20_000, 50_000));
    // Another half window: the first bucket (0 and 1 s) drops out.
    let u = st.reward(&s, 0, half, 2, 40_000, WINDOW_NS).unwrap();
    assert_eq!(st.rtt_range(), (30_000, 40_000));
    assert_eq!(u.sample.reward_ppm, 0);
    // A whole window after the current bucket began: everything drops.
    let u = st.reward(&s, 0, half, 2, 60_000, 2 * WINDOW_NS).unwrap();
    assert_eq!(st.rtt_range(), (60_000, 60_000));
    assert_eq!(u.sample.reward_ppm, 500_000);
    // The as-coded preset does not feed the window.
    st.reward(&AS_CODED, 0, half, 2, 1_000, 2 * WINDOW_NS + 1)
        .unwrap();
    assert_eq!(st.rtt_range(), (60_000, 60_000));
}

#[test]
fn window_drops_a_sample_older_than_the_window() {
    // 500 ms outlier at 0 s, 10 ms at 9.9 s, 20 ms at 14 s: the last 10 s
    // hold 10 and 20 ms, so the 20 ms sample is the worst (r = 0).
    let s = settings(Preset::Textbook, 100_000);
    let half = Sf::from_ratio(1, 2);
    let mut st = state(2);
    st.reward(&s, 0, half, 2, 500_000, 0).unwrap();
    st.reward(&s, 0, half, 2, 10_000, 9_900 * MS).unwrap();
    let u = st.reward(&s, 0, half, 2, 20_000, 14 * SEC).unwrap();
    assert_eq!(st.rtt_range(), (10_000, 20_000));
    assert_eq!(u.sample.reward_ppm, 0);
}

// ---------------------------------------------------------------------------
// 3. Invariants under random operations.

#[derive(Clone, Debug)]
enum PSel {
    Drawn,
    Raw(Sf),
}

#[derive(Clone, Debug)]
enum Op {
    Draw {
        rand: u32,
        dt: i64,
    },
    Reward {
        path: u8,
        p: PSel,
        k: u8,
        srtt: u32,
        dt: i64,
        as_coded: bool,
    },
    Fail {
        path: u8,
        until: Until,
    },
    Probe {
        path: u8,
    },
    Jump {
        now: i64,
    },
}

#[derive(Clone, Copy, Debug)]
enum Until {
    Probe,
    After(i64),
    Before(i64),
    At(i64),
}

fn arb_sf() -> impl Strategy<Value = Sf> {
    prop_oneof![
        Just(Sf::ZERO),
        Just(Sf::ONE),
        Just(Sf::MAX),
        Just(Sf::MIN),
        (any::<bool>(), any::<u64>(), -100i32..10).prop_map(|(n, m, e)| Sf::from_raw(n, m, e)),
        (any::<bool>(), any::<u64>(), any::<i32>()).prop_map(|(n, m, e)| Sf::from_raw(n, m, e)),
    ]
}

fn arb_op() -> impl Strategy<Value = Op> {
    let dt = prop_oneof![
        4 => 0..2 * SEC,
        1 => 0..3 * WINDOW_NS,
        1 => -SEC..0,
    ];
    prop_oneof![
        4 => (any::<u32>(), dt.clone()).prop_map(|(rand, dt)| Op::Draw { rand, dt }),
        4 => (
            0u8..10,
            prop_oneof![3 => Just(PSel::Drawn), 1 => arb_sf().prop_map(PSel::Raw)],
            prop_oneof![4 => 1u8..=8, 1 => any::<u8>()],
            prop_oneof![
                4 => 1u32..2_000_000,
                1 => Just(0u32),
                1 => any::<u32>(),
            ],
            dt,
            any::<bool>(),
        )
            .prop_map(|(path, p, k, srtt, dt, as_coded)| Op::Reward {
                path,
                p,
                k,
                srtt,
                dt,
                as_coded,
            }),
        2 => (
            0u8..10,
            prop_oneof![
                Just(Until::Probe),
                (1..3 * WINDOW_NS).prop_map(Until::After),
                (0..3 * WINDOW_NS).prop_map(Until::Before),
                any::<i64>().prop_map(Until::At),
            ],
        )
            .prop_map(|(path, until)| Op::Fail { path, until }),
        2 => (0u8..10).prop_map(|path| Op::Probe { path }),
        1 => any::<i64>().prop_map(|now| Op::Jump { now }),
    ]
}

/// What failover told the state: per path, marked and until.
#[derive(Clone, Copy, Default)]
struct Marks {
    marked: u8,
    until: [i64; MAX_PATHS],
}

impl Marks {
    fn excluded(&self, n: usize, now: i64) -> u8 {
        (0..n)
            .filter(|&i| self.marked & (1 << i) != 0 && (self.until[i] == 0 || now < self.until[i]))
            .fold(0, |m, i| m | 1 << i)
    }
}

fn check_invariants(
    st: &State,
    gamma_ppm: u32,
    marks: &Marks,
    now: i64,
) -> Result<(), TestCaseError> {
    let n = st.npaths();
    for (i, w) in weights(st).iter().enumerate() {
        prop_assert!(
            (1.0..=TOKENS as f64 * (1.0 + 1e-12)).contains(w),
            "w[{i}] = {w}"
        );
    }
    let excluded = marks.excluded(n, now);
    prop_assert_eq!(st.failed_mask(now), excluded);
    let usable = if excluded == all(n) {
        all(n)
    } else {
        all(n) & !excluded
    };
    prop_assert_eq!(st.usable(now), usable);
    let k = usable.count_ones();
    let p = st.probs(gamma_ppm, usable);
    let floor = f64::from(gamma_ppm) / 1e6 / f64::from(k);
    let mut sum = 0.0;
    for (i, pi) in p.iter().enumerate() {
        let pi = f(*pi);
        if i < n && usable & (1 << i) != 0 {
            prop_assert!(pi >= floor * (1.0 - 1e-15), "p[{i}] = {pi} < Γ/K = {floor}");
            prop_assert!(pi <= 1.0 + 1e-15, "p[{i}] = {pi}");
            sum += pi;
        } else {
            prop_assert_eq!(pi, 0.0, "p[{}] of an unusable path", i);
        }
    }
    prop_assert!((sum - 1.0).abs() <= 1e-12, "Σp = {sum}");
    let shares: u32 = st.shares_ppm()[..n].iter().sum();
    prop_assert!(shares.abs_diff(1_000_000) <= n as u32, "Σshares = {shares}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn invariants_hold(
        npaths in 1u8..=MAX_PATHS as u8,
        gamma_ppm in prop_oneof![0u32..=GAMMA_ONE, prop::sample::select(vec![0, 200_000, GAMMA_ONE])],
        start in any::<i64>(),
        ops in prop::collection::vec(arb_op(), 1..80),
    ) {
        let mut st = State::new(key(), entry(), 3, npaths, start);
        let n = st.npaths();
        let mut marks = Marks::default();
        let mut now = start;
        let mut last_p = [Sf::ONE; MAX_PATHS];
        check_invariants(&st, gamma_ppm, &marks, now)?;
        for op in ops {
            match op {
                Op::Draw { rand, dt } => {
                    now = now.saturating_add(dt);
                    let usable = st.usable(now);
                    let p = st.probs(gamma_ppm, usable);
                    let draws = st.stats.draws;
                    let d = st.draw(gamma_ppm, rand, now);
                    let i = usize::from(d.path);
                    prop_assert!(i < n && usable & (1 << i) != 0, "drew {i}, usable {usable:#b}");
                    prop_assert_eq!(d.p, p[i]);
                    prop_assert_eq!(u32::from(d.k), usable.count_ones());
                    let mut want = draws;
                    want[i] += 1;
                    prop_assert_eq!(st.stats.draws, want);
                    last_p[i] = d.p;
                }
                Op::Reward { path, p, k, srtt, dt, as_coded } => {
                    now = now.saturating_add(dt);
                    let preset = if as_coded { Preset::AsCoded } else { Preset::Textbook };
                    let s = settings(preset, gamma_ppm);
                    let p = match p {
                        PSel::Drawn => last_p[usize::from(path) % MAX_PATHS],
                        PSel::Raw(x) => x,
                    };
                    let before = format!("{st:?}");
                    let updates = st.stats.updates;
                    let u = st.reward(&s, path, p, k, srtt, now);
                    if usize::from(path) >= n || srtt == 0 {
                        prop_assert!(u.is_none());
                        prop_assert_eq!(format!("{st:?}"), before, "reward changed the state");
                    } else {
                        let u = u.unwrap();
                        prop_assert_eq!(u.sample.path, path);
                        prop_assert_eq!(u.sample.srtt_us, srtt);
                        prop_assert_eq!(u.sample.ktime_ns, now.max(0) as u64);
                        prop_assert!(u.sample.p_ppm <= 1_000_000);
                        if !as_coded {
                            prop_assert!((0..=1_000_000).contains(&u.sample.reward_ppm));
                        }
                        prop_assert_eq!(usize::from(u.npaths), n);
                        prop_assert_eq!(u.shares_ppm, st.shares_ppm());
                        prop_assert_eq!(st.stats.updates, updates + 1);
                        prop_assert_eq!(st.history().last(), Some(&u.sample));
                    }
                }
                Op::Fail { path, until } => {
                    let until = match until {
                        Until::Probe => 0,
                        Until::After(d) => now.saturating_add(d),
                        Until::Before(d) => now.saturating_sub(d),
                        Until::At(t) => t,
                    };
                    let failures = st.stats.failures;
                    let before = format!("{st:?}");
                    st.mark_failed(path, until);
                    let i = usize::from(path);
                    if i < n {
                        marks.marked |= 1 << i;
                        marks.until[i] = until;
                        prop_assert_eq!(st.stats.failures, failures + 1);
                    } else {
                        prop_assert_eq!(format!("{st:?}"), before);
                    }
                }
                Op::Probe { path } => {
                    let i = usize::from(path);
                    let was = i < n && marks.marked & (1 << i) != 0;
                    prop_assert_eq!(st.probe_ok(path), was);
                    if was {
                        marks.marked &= !(1 << i);
                    }
                }
                Op::Jump { now: t } => now = t,
            }
            check_invariants(&st, gamma_ppm, &marks, now)?;
        }
    }
}

#[test]
fn out_of_range_inputs_change_nothing() {
    let mut st = state(3);
    st.reward(&AS_CODED, 1, Sf::from_ratio(1, 3), 3, 5_000, 7)
        .unwrap();
    let before = format!("{st:?}");
    for preset in [Preset::Textbook, Preset::AsCoded] {
        let s = settings(preset, 100_000);
        assert!(st.reward(&s, 3, Sf::ONE, 3, 5_000, 9).is_none());
        assert!(st.reward(&s, 255, Sf::ONE, 3, 5_000, 9).is_none());
        assert!(st.reward(&s, 0, Sf::ONE, 3, 0, 9).is_none());
    }
    st.mark_failed(3, 0);
    st.mark_failed(200, 5);
    assert!(!st.probe_ok(3));
    st.set_weight(3, Sf::from_u64(5));
    assert_eq!(format!("{st:?}"), before);
    // p = 0, negative or above 1, k = 0 are accepted without panicking.
    for p in [
        Sf::ZERO,
        Sf::from_i64(-1),
        Sf::from_u64(7),
        Sf::MAX,
        Sf::MIN,
    ] {
        for k in [0, 1, 255] {
            for preset in [Preset::Textbook, Preset::AsCoded] {
                for gamma in [0, 1, GAMMA_ONE] {
                    let u = st.reward(&settings(preset, gamma), 0, p, k, u32::MAX, 9);
                    assert!(u.is_some());
                    let w = weights(&st);
                    assert!(
                        w.iter().all(|w| (1.0..=10_000.0 + 1e-9).contains(w)),
                        "{w:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn p_guard_and_k_zero() {
    // p = 0 counts as 1e-6, p > 1 as 1; k = 0 as 1 (textbook, r = 1/2).
    let ratio = |gamma_ppm: u32, p: Sf, k: u8| {
        let mut st = state(2);
        let s = settings(Preset::Textbook, gamma_ppm);
        st.reward(&s, 0, p, k, 1_000, 0).unwrap();
        let w = weights(&st);
        w[0] / w[1]
    };
    // Γ = 1e-6: exponent 1e-6 * 0.5 / 1e-6.
    assert!(rel(ratio(1, Sf::ZERO, 1), f64::exp(0.5)) < 1e-12);
    assert!(rel(ratio(1, Sf::from_i64(-3), 1), f64::exp(0.5)) < 1e-12);
    // Γ = 1/2: exponent 0.5 * 0.5 / 1.
    assert!(rel(ratio(500_000, Sf::from_u64(3), 1), f64::exp(0.25)) < 1e-12);
    assert_eq!(
        ratio(500_000, Sf::from_u64(3), 0),
        ratio(500_000, Sf::ONE, 1)
    );
    let mut st = state(2);
    let u = st.reward(&AS_CODED, 0, Sf::ZERO, 1, 1_000, 0).unwrap();
    assert_eq!(u.sample.p_ppm, 1);
}

// ---------------------------------------------------------------------------
// 4. Categorical sampling.

#[test]
fn draw_frequencies_match_probabilities() {
    let mut st = state(2);
    st.set_weight(0, Sf::from_u64(3_000));
    st.set_weight(1, Sf::from_u64(7_000));
    assert_close(&probs(&st, 100_000, 0b11), &[0.32, 0.68], 1e-15, "p");
    let n = 100_000;
    let c = draw_counts(&mut st, 100_000, n, 0);
    assert!((c[0] as f64 / n as f64 - 0.32).abs() <= 1e-4, "{c:?}");
    assert!((c[1] as f64 / n as f64 - 0.68).abs() <= 1e-4, "{c:?}");
    assert_eq!(st.stats.draws[..2], c[..2]);
}

#[test]
fn draw_frequencies_with_a_failed_path() {
    let mut st = state(5);
    for (i, w) in [1_000, 2_000, 3_000, 4_000, 500].into_iter().enumerate() {
        st.set_weight(i, Sf::from_u64(w));
    }
    st.mark_failed(2, 0);
    // Usable 0, 1, 3, 4: Σw = 7500, K = 4, Γ = 0.2.
    let want: Vec<f64> = [1_000.0, 2_000.0, 0.0, 4_000.0, 500.0]
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == 2 {
                0.0
            } else {
                0.8 * w / 7_500.0 + 0.05
            }
        })
        .collect();
    let got = probs(&st, 200_000, st.usable(0));
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-15, "{got:?} vs {want:?}");
    }
    let n = 100_000;
    let c = draw_counts(&mut st, 200_000, n, 0);
    assert_eq!(c[2], 0);
    for i in 0..5 {
        assert!((c[i] as f64 / n as f64 - want[i]).abs() <= 1e-4, "{c:?}");
    }
}

#[test]
fn draw_edges() {
    let mut st = state(4);
    for (i, w) in [10, 20, 30, 40].into_iter().enumerate() {
        st.set_weight(i, Sf::from_u64(w));
    }
    assert_eq!(st.draw(100_000, 0, 0).path, 0);
    assert_eq!(st.draw(100_000, u32::MAX, 0).path, 3);
    // The boundary: u < p0 picks 0, u >= p0 picks 1.
    let p0 = f(st.probs(100_000, 0b1111)[0]);
    let b = (p0 * 2f64.powi(32)).ceil() as u32;
    assert_eq!(st.draw(100_000, b - 1, 0).path, 0);
    assert_eq!(st.draw(100_000, b, 0).path, 1);
    st.mark_failed(0, 0);
    st.mark_failed(3, 0);
    assert_eq!(st.draw(100_000, 0, 0).path, 1);
    assert_eq!(st.draw(100_000, u32::MAX, 0).path, 2);
    // Γ = 0 and a floored weight: still never an unusable path.
    st.set_weight(2, Sf::ONE);
    st.set_weight(1, Sf::from_u64(10_000));
    assert_eq!(st.draw(0, u32::MAX, 0).path, 2);
    // All failed: all usable again.
    st.mark_failed(1, 0);
    st.mark_failed(2, 0);
    assert_eq!(st.usable(0), 0b1111);
    assert_eq!(st.draw(100_000, u32::MAX, 0).path, 3);
    assert_eq!(st.draw(100_000, 0, 0).path, 0);
    assert_eq!(st.draw(100_000, 0, 0).k, 4);
}

#[test]
fn gamma_one_is_uniform() {
    let mut st = state(4);
    for (i, w) in [9_997, 1, 1, 1].into_iter().enumerate() {
        st.set_weight(i, Sf::from_u64(w));
    }
    assert_close(&probs(&st, GAMMA_ONE, 0b1111), &[0.25; 4], 1e-15, "p");
    let n = 100_000;
    let c = draw_counts(&mut st, GAMMA_ONE, n, 0);
    for x in &c[..4] {
        assert!((*x as f64 / n as f64 - 0.25).abs() <= 1e-4, "{c:?}");
    }
    // Γ above 1 counts as 1 in probs.
    assert_eq!(st.probs(u32::MAX, 0b1111), st.probs(GAMMA_ONE, 0b1111));
}

#[test]
fn single_usable_path() {
    for gamma in [0, 1, 100_000, 200_000, 333_333, 999_999, GAMMA_ONE] {
        let mut st = State::new(key(), entry(), 0, 1, 0);
        st.set_weight(0, Sf::from_u64(1_234));
        for r in [0, 1, 1 << 31, u32::MAX] {
            let d = st.draw(gamma, r, 0);
            assert_eq!((d.path, d.k), (0, 1));
            assert!((f(d.p) - 1.0).abs() <= 1e-15, "Γ {gamma}: p = {:?}", d.p);
        }
        // Two of three paths failed.
        let mut st = state(3);
        st.mark_failed(0, 0);
        st.mark_failed(2, 100);
        for r in [0, 1, 1 << 31, u32::MAX] {
            let d = st.draw(gamma, r, 50);
            assert_eq!((d.path, d.k), (1, 1));
            assert!((f(d.p) - 1.0).abs() <= 1e-15, "Γ {gamma}: p = {:?}", d.p);
        }
    }
    // npaths 0 counts as 1, more than MAX_PATHS as MAX_PATHS.
    assert_eq!(State::new(key(), entry(), 0, 0, 0).npaths(), 1);
    assert_eq!(State::new(key(), entry(), 0, 200, 0).npaths(), MAX_PATHS);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// A draw picks the first usable path whose cumulative probability
    /// exceeds rand / 2^32.
    #[test]
    fn draw_is_the_inverse_cdf(
        w in prop::collection::vec(1u64..=10_000, 1..=MAX_PATHS),
        failed in any::<u8>(),
        gamma_ppm in 0u32..=GAMMA_ONE,
        rand in any::<u32>(),
    ) {
        let n = w.len();
        let mut st = State::new(key(), entry(), 0, n as u8, 0);
        for (i, x) in w.iter().enumerate() {
            st.set_weight(i, Sf::from_u64(*x));
            if failed & (1 << i) != 0 {
                st.mark_failed(i as u8, 0);
            }
        }
        let usable = st.usable(0);
        let p = probs(&st, gamma_ppm, usable);
        let u = f64::from(rand) / 2f64.powi(32);
        let d = st.draw(gamma_ppm, rand, 0);
        let i = usize::from(d.path);
        let below: f64 = p[..i].iter().sum();
        prop_assert!(usable & (1 << i) != 0);
        // u lies in [Σ_{j<i} p_j, Σ_{j<=i} p_j) up to rounding.
        prop_assert!(u >= below - 1e-15, "u {u} below the start {below} of path {i}");
        prop_assert!(u < below + p[i] + 1e-15, "u {u} beyond path {i}: {p:?}");
    }
}

// ---------------------------------------------------------------------------
// 5. Learning.

fn play(
    st: &mut State,
    s: &Settings,
    rtts: &[u32],
    lcg: &mut Lcg,
    now: &mut i64,
) -> [u32; MAX_PATHS] {
    let d = st.draw(s.gamma_ppm, lcg.next(), *now);
    let u = st
        .reward(s, d.path, d.p, d.k, rtts[usize::from(d.path)], *now)
        .unwrap();
    *now += 10 * MS;
    u.shares_ppm
}

/// Rounds until `fast` holds more than 90 % of the weight.
fn rounds_to_90(
    st: &mut State,
    s: &Settings,
    rtts: &[u32],
    fast: usize,
    max: usize,
    lcg: &mut Lcg,
    now: &mut i64,
) -> Option<usize> {
    (1..=max).find(|_| play(st, s, rtts, lcg, now)[fast] > 900_000)
}

#[test]
fn textbook_learns_the_fast_path() {
    let s = settings(Preset::Textbook, 100_000);
    let mut st = state(2);
    let mut lcg = Lcg(42);
    let mut now = 0;
    let mut shares = [0; MAX_PATHS];
    for _ in 0..200 {
        shares = play(&mut st, &s, &[10_000, 100_000], &mut lcg, &mut now);
    }
    assert!(shares[0] > 900_000, "{shares:?}");
    let c = draw_counts(&mut st, s.gamma_ppm, 10_000, now);
    assert!(c[0] > 8_500, "{c:?}");
    // Γ = 1 ignores the weights.
    let c = draw_counts(&mut st, GAMMA_ONE, 10_000, now);
    assert!((4_500..=5_500).contains(&c[0]), "{c:?}");
    // The paths swap their delays: the weight moves over.
    let n = rounds_to_90(&mut st, &s, &[100_000, 10_000], 1, 1000, &mut lcg, &mut now);
    assert!(
        n.is_some(),
        "did not move within 1000 rounds: {:?}",
        weights(&st)
    );
    let c = draw_counts(&mut st, s.gamma_ppm, 10_000, now);
    assert!(c[1] > 8_500, "{c:?}");
}

#[test]
fn as_coded_converges_faster() {
    let rtts = [10_000, 100_000];
    let mut rounds = Vec::new();
    for preset in [Preset::Textbook, Preset::AsCoded] {
        let s = settings(preset, 100_000);
        let mut st = state(2);
        let (mut lcg, mut now) = (Lcg(7), 0);
        let n = rounds_to_90(&mut st, &s, &rtts, 0, 1000, &mut lcg, &mut now);
        rounds.push(n.expect("converges within 1000 rounds"));
    }
    assert!(
        rounds[1] < rounds[0],
        "as-coded {} vs textbook {}",
        rounds[1],
        rounds[0]
    );
}

#[test]
fn textbook_learns_among_eight_paths() {
    let s = settings(Preset::Textbook, 100_000);
    let mut st = state(8);
    let rtts = [
        80_000, 70_000, 60_000, 50_000, 5_000, 40_000, 30_000, 20_000,
    ];
    let (mut lcg, mut now) = (Lcg(99), 0);
    let n = rounds_to_90(&mut st, &s, &rtts, 4, 5000, &mut lcg, &mut now);
    assert!(n.is_some(), "{:?}", weights(&st));
}

// ---------------------------------------------------------------------------
// 6. Failed paths.

#[test]
fn failed_paths() {
    let mut st = state(3);
    st.mark_failed(1, 1_000);
    assert_eq!(st.stats.failures, 1);
    assert_eq!(st.failed_mask(0), 0b010);
    assert_eq!(st.failed_mask(999), 0b010);
    assert_eq!(st.failed_mask(1_000), 0);
    assert_eq!(st.usable(500), 0b101);
    assert_eq!(st.usable(1_000), 0b111);
    assert!(st.probs(100_000, st.usable(500))[1].is_zero());
    let c = draw_counts(&mut st, 100_000, 10_000, 500);
    assert_eq!(c[1], 0);
    assert!(c[0] > 0 && c[2] > 0);
    let c = draw_counts(&mut st, 100_000, 10_000, 1_000);
    assert!(c[1] > 0);
    // Until a probe.
    st.mark_failed(2, 0);
    assert_eq!(st.stats.failures, 2);
    assert_eq!(st.failed_mask(i64::MAX), 0b100);
    assert_eq!(st.failed_mask(i64::MIN), 0b110);
    assert!(st.probe_ok(2));
    assert!(!st.probe_ok(2));
    assert_eq!(st.failed_mask(0), 0b010);
    // A probe ends a timed failure early.
    assert!(st.probe_ok(1));
    assert_eq!(st.failed_mask(0), 0);
    assert!(!st.probe_ok(1));
    assert!(!st.probe_ok(0));
    // Marking again extends or shortens; every mark counts.
    st.mark_failed(0, 5_000);
    st.mark_failed(0, 2_000);
    assert_eq!(st.stats.failures, 4);
    assert_eq!(st.failed_mask(3_000), 0);
    assert_eq!(st.failed_mask(1_999), 0b001);
    // A deadline already past excludes nothing.
    st.mark_failed(1, -5);
    assert_eq!(st.failed_mask(0), 0b001);
    // All failed: all count again.
    st.mark_failed(1, 0);
    st.mark_failed(2, 0);
    assert_eq!(st.failed_mask(0), 0b111);
    assert_eq!(st.usable(0), 0b111);
    assert_close(
        &probs(&st, GAMMA_ONE, st.usable(0)),
        &[1.0 / 3.0; 3],
        1e-15,
        "all failed",
    );
    // Out of range: nothing happens.
    st.mark_failed(3, 0);
    assert_eq!(st.stats.failures, 7);
    assert_eq!(st.failed_mask(0), 0b111);
    // Rewards still update a failed path's weight.
    let w = st.weights()[0];
    st.reward(&AS_CODED, 0, Sf::ONE, 3, 1_000, 0).unwrap();
    assert!(st.weights()[0] > w);
}

// ---------------------------------------------------------------------------
// 7. The state table.

type T = Table<Vec<Option<State>>>;

fn table(slots: usize) -> T {
    Table::from_empty(vec![None; slots])
}

/// Key `i` of entry 2001:db8::/32.
fn key_i(i: usize) -> Prefix {
    let mut a = addr("2001:db8::");
    a[4..8].copy_from_slice(&(i as u32).to_be_bytes());
    Prefix::truncate(&a, 64)
}

#[test]
fn table_get_or_insert() {
    let mut t = table(MAX_STATES);
    assert_eq!(t.len(), 0);
    assert!(t.nth(0).is_none());
    let st = t.get_or_insert(key(), entry(), 7, 3, 100);
    assert_eq!(
        (st.key, st.entry, st.generation, st.npaths()),
        (key(), entry(), 7, 3)
    );
    assert_eq!(weights(st), [1.0; 3]);
    assert_eq!(st.stats, Default::default());
    let d = st.draw(100_000, 0, 200);
    st.reward(&AS_CODED, d.path, d.p, d.k, 1_000, 200).unwrap();
    let learned = weights(st);
    assert_eq!(t.len(), 1);
    // Found again, weights kept.
    let st = t.get_or_insert(key(), entry(), 7, 3, 300);
    assert_eq!(weights(st), learned);
    assert_eq!(st.stats.updates, 1);
    assert_eq!(t.len(), 1);
    assert_eq!(weights(t.get_mut(key(), entry()).unwrap()), learned);
    // Another key, or the same key under another entry: other states.
    let other = pfx("2001:db8:1:3::", 64);
    assert_eq!(
        weights(t.get_or_insert(other, entry(), 7, 3, 300)),
        [1.0; 3]
    );
    let entry2 = pfx("2001:db8:1::", 48);
    assert_eq!(weights(t.get_or_insert(key(), entry2, 7, 3, 300)), [1.0; 3]);
    assert_eq!(t.len(), 3);
    assert_eq!(weights(t.get_mut(key(), entry()).unwrap()), learned);
    assert!(t.get_mut(pfx("2001:db8:1:4::", 64), entry()).is_none());
    // New generation: weights, failures and history reset, counters kept.
    let st = t.get_mut(key(), entry()).unwrap();
    st.mark_failed(1, 0);
    let stats = st.stats;
    let st = t.get_or_insert(key(), entry(), 8, 3, 400);
    assert_eq!((st.generation, st.npaths()), (8, 3));
    assert_eq!(weights(st), [1.0; 3]);
    assert_eq!(st.failed_mask(0), 0);
    assert_eq!(st.history().count(), 0);
    assert_eq!(st.stats, stats);
    // Another number of paths: same.
    st.reward(&AS_CODED, 0, Sf::ONE, 3, 1_000, 400).unwrap();
    let stats = st.stats;
    let st = t.get_or_insert(key(), entry(), 8, 5, 500);
    assert_eq!(st.npaths(), 5);
    assert_eq!(weights(st), [1.0; 5]);
    assert_eq!(st.stats, stats);
    assert_eq!(t.len(), 3);
    // npaths is clamped like State::new.
    assert_eq!(
        t.get_or_insert(key(), entry(), 8, 100, 500).npaths(),
        MAX_PATHS
    );
    assert_eq!(t.get_or_insert(key(), entry(), 8, 0, 500).npaths(), 1);
}

#[test]
fn table_recycles_the_least_recently_used() {
    let mut t = table(MAX_STATES);
    for i in 0..MAX_STATES {
        t.get_or_insert(key_i(i), entry(), 0, 2, 1_000 + i as i64);
    }
    assert_eq!(t.len(), MAX_STATES);
    // State 0 draws, state 1 is rewarded later: state 2 is now the least
    // recently used, then 3...
    t.get_mut(key_i(0), entry()).unwrap().draw(0, 0, 5_000);
    t.get_mut(key_i(1), entry())
        .unwrap()
        .reward(&AS_CODED, 0, Sf::ONE, 2, 1_000, 6_000)
        .unwrap();
    // A lookup alone does not count as use.
    t.get_or_insert(key_i(2), entry(), 0, 2, 7_000);
    let st = t.get_or_insert(key_i(1000), entry(), 0, 2, 8_000);
    assert_eq!(st.key, key_i(1000));
    assert_eq!(st.stats, Default::default());
    assert_eq!(weights(st), [1.0; 2]);
    assert_eq!(t.len(), MAX_STATES);
    assert!(t.get_mut(key_i(2), entry()).is_none());
    for i in [0, 1, 3, MAX_STATES - 1, 1000] {
        assert!(t.get_mut(key_i(i), entry()).is_some(), "state {i}");
    }
    // The new state was created at 8000: 3 goes next, and its slot's
    // counters are not inherited.
    t.get_mut(key_i(3), entry()).unwrap().mark_failed(0, 0);
    t.get_or_insert(key_i(1001), entry(), 0, 2, 9_000);
    assert!(t.get_mut(key_i(3), entry()).is_none());
    assert_eq!(t.get_mut(key_i(1001), entry()).unwrap().stats.failures, 0);
    assert!(t.get_mut(key_i(4), entry()).is_some());
    // Storage beyond MAX_STATES is ignored.
    let mut t = table(MAX_STATES + 3);
    for i in 0..MAX_STATES + 3 {
        t.get_or_insert(key_i(i), entry(), 0, 2, i as i64);
    }
    assert_eq!(t.len(), MAX_STATES);
    assert!(t.get_mut(key_i(0), entry()).is_none());
    assert!(t.get_mut(key_i(MAX_STATES + 2), entry()).is_some());
}

#[test]
fn table_forget_nth_len() {
    let mut t = table(MAX_STATES);
    let e1 = pfx("2001:db8::", 32);
    let e2 = pfx("2001:db9::", 32);
    for i in 0..5 {
        t.get_or_insert(key_i(i), e1, 0, 2, 0);
        t.get_or_insert(key_i(i), e2, 0, 2, 0);
    }
    assert_eq!(t.len(), 10);
    let mut seen: Vec<(Prefix, Prefix)> = (0..t.len())
        .map(|i| t.nth(i).map(|s| (s.key, s.entry)).unwrap())
        .collect();
    assert!(t.nth(10).is_none());
    seen.sort_by_key(|(k, e)| (k.addr, e.addr));
    seen.dedup();
    assert_eq!(seen.len(), 10);
    t.forget(e1);
    assert_eq!(t.len(), 5);
    assert!((0..5).all(|i| t.nth(i).unwrap().entry == e2));
    assert!((0..5).all(|i| t.get_mut(key_i(i), e1).is_none()));
    // Freed slots are reused before anything is recycled.
    for i in 0..MAX_STATES - 5 {
        t.get_or_insert(key_i(100 + i), e1, 0, 2, 0);
    }
    assert_eq!(t.len(), MAX_STATES);
    assert!((0..5).all(|i| t.get_mut(key_i(i), e2).is_some()));
    t.forget(pfx("2001:dba::", 32));
    assert_eq!(t.len(), MAX_STATES);
}

#[test]
fn key_length() {
    let a = addr("2001:db8:1:2:3:4:5:6");
    let e48 = pfx("2001:db8:1::", 48);
    let e96 = pfx("2001:db8:1:2:3:4::", 96);
    assert_eq!(key_of(&a, &e48, 64), pfx("2001:db8:1:2::", 64));
    assert_eq!(key_of(&a, &e96, 64), pfx("2001:db8:1:2:3:4::", 96));
    assert_eq!(key_of(&a, &e48, 0), e48);
    assert_eq!(key_of(&a, &e48, 56), pfx("2001:db8:1::", 56));
    assert_eq!(key_of(&a, &e48, 128), pfx("2001:db8:1:2:3:4:5:6", 128));
    assert_eq!(key_of(&a, &e48, 255), pfx("2001:db8:1:2:3:4:5:6", 128));
    let all = pfx("::", 0);
    assert_eq!(key_of(&a, &all, 1), pfx("::", 1));
    assert_eq!(key_of(&a, &all, 21), pfx("2001:800::", 21));
}

// ---------------------------------------------------------------------------
// 8. Overrides.

#[test]
fn overrides_validate() {
    assert_eq!(Overrides::NONE.validate(), Ok(()));
    assert!(Overrides::NONE.is_none());
    let o = |f: &dyn Fn(&mut Overrides)| {
        let mut x = Overrides::NONE;
        f(&mut x);
        x
    };
    for v in 0..=255u8 {
        let want = if v <= 1 || v == INHERIT_U8 {
            Ok(())
        } else {
            Err(SettingError::Mode)
        };
        let x = o(&|x| x.mode = v);
        assert_eq!(x.validate(), want, "mode {v}");
        assert_eq!(x.is_none(), v == INHERIT_U8);
        let want = if v <= 1 || v == INHERIT_U8 {
            Ok(())
        } else {
            Err(SettingError::Preset)
        };
        assert_eq!(o(&|x| x.preset = v).validate(), want, "preset {v}");
        let want = if v <= 128 {
            Ok(())
        } else {
            Err(SettingError::KeyLen)
        };
        assert_eq!(o(&|x| x.keylen = v).validate(), want, "keylen {v}");
    }
    for (g, ok) in [
        (0, true),
        (1, true),
        (GAMMA_ONE, true),
        (GAMMA_ONE + 1, false),
        (u32::MAX - 1, false),
        (INHERIT_U32, true),
    ] {
        let want = if ok { Ok(()) } else { Err(SettingError::Gamma) };
        assert_eq!(o(&|x| x.gamma_ppm = g).validate(), want, "gamma {g}");
    }
    for h in [0, 1, u32::MAX - 1, INHERIT_U32] {
        assert_eq!(o(&|x| x.hook_bytes = h).validate(), Ok(()));
    }
    assert!(!o(&|x| x.hook_bytes = 0).is_none());
    assert!(!o(&|x| x.keylen = 64).is_none());
    let msgs = [
        SettingError::Mode,
        SettingError::Preset,
        SettingError::Gamma,
        SettingError::KeyLen,
    ]
    .map(SettingError::as_str);
    for (i, m) in msgs.iter().enumerate() {
        assert!(!m.is_empty());
        assert!(msgs[i + 1..].iter().all(|n| n != m));
    }
}

#[test]
fn overrides_resolve() {
    let g = Settings {
        on: false,
        preset: Preset::Textbook,
        gamma_ppm: 100_000,
        hook_bytes: 65_536,
        keylen: 64,
        ref_ms: 23,
        fail_timeout_ms: 3_000,
    };
    assert_eq!(Overrides::NONE.resolve(&g), g);
    let with = |f: &dyn Fn(&mut Overrides)| {
        let mut x = Overrides::NONE;
        f(&mut x);
        x.resolve(&g)
    };
    assert_eq!(with(&|x| x.mode = 1), Settings { on: true, ..g });
    let on = Settings { on: true, ..g };
    assert_eq!(
        Overrides {
            mode: 0,
            ..Overrides::NONE
        }
        .resolve(&on),
        g
    );
    assert_eq!(
        Overrides {
            mode: INHERIT_U8,
            ..Overrides::NONE
        }
        .resolve(&on),
        on
    );
    assert_eq!(
        with(&|x| x.preset = 1),
        Settings {
            preset: Preset::AsCoded,
            ..g
        }
    );
    let ac = Settings {
        preset: Preset::AsCoded,
        ..g
    };
    assert_eq!(
        Overrides {
            preset: 0,
            ..Overrides::NONE
        }
        .resolve(&ac),
        g
    );
    assert_eq!(with(&|x| x.keylen = 48), Settings { keylen: 48, ..g });
    assert_eq!(with(&|x| x.keylen = 128), Settings { keylen: 128, ..g });
    assert_eq!(with(&|x| x.keylen = 0), g);
    assert_eq!(with(&|x| x.gamma_ppm = 0), Settings { gamma_ppm: 0, ..g });
    assert_eq!(
        with(&|x| x.gamma_ppm = GAMMA_ONE),
        Settings {
            gamma_ppm: GAMMA_ONE,
            ..g
        }
    );
    assert_eq!(with(&|x| x.hook_bytes = 0), Settings { hook_bytes: 0, ..g });
    assert_eq!(
        with(&|x| x.hook_bytes = 1_000),
        Settings {
            hook_bytes: 1_000,
            ..g
        }
    );
    let all = Overrides {
        mode: 1,
        preset: 1,
        keylen: 96,
        gamma_ppm: 50_000,
        hook_bytes: 10,
    };
    assert_eq!(all.validate(), Ok(()));
    assert_eq!(
        all.resolve(&g),
        Settings {
            on: true,
            preset: Preset::AsCoded,
            gamma_ppm: 50_000,
            hook_bytes: 10,
            keylen: 96,
            ..g
        }
    );
    // Even unvalidated overrides resolve to valid settings.
    let bad = Overrides {
        mode: 1,
        preset: 7,
        keylen: 200,
        gamma_ppm: 5_000_000,
        hook_bytes: INHERIT_U32,
    };
    let r = bad.resolve(&g);
    assert_eq!(
        (r.preset, r.keylen, r.gamma_ppm),
        (g.preset, g.keylen, GAMMA_ONE)
    );
}

#[test]
fn presets() {
    assert_eq!(Preset::from_raw(0), Some(Preset::Textbook));
    assert_eq!(Preset::from_raw(1), Some(Preset::AsCoded));
    assert_eq!(Preset::from_raw(2), None);
    assert_eq!(Preset::from_raw(u32::MAX), None);
    assert_eq!(Preset::Textbook as u8, 0);
    assert_eq!(Preset::AsCoded as u8, 1);
    assert_eq!(Preset::Textbook.name(), "textbook");
    assert_eq!(Preset::AsCoded.name(), "as-coded");
}

// ---------------------------------------------------------------------------
// 9. The per-connection state.

fn draw_with(p: Sf, k: u8) -> Draw {
    Draw { path: 1, p, k }
}

#[test]
fn flow_drawn() {
    let mut fl = FlowExp3::default();
    assert!(!fl.pending);
    fl.drawn(&draw_with(Sf::from_ratio(1, 4), 3), 12_345, 1_000);
    assert_eq!(fl.p_q32, 1 << 30);
    assert_eq!(
        (fl.k, fl.pending, fl.mark, fl.hook_bytes),
        (3, true, 12_345, 1_000)
    );
    assert_eq!(fl.p(), Sf::from_ratio(1, 4));
    // p = 1 saturates to 1 - 2^-32.
    fl.drawn(&draw_with(Sf::ONE, 1), 0, 0);
    assert_eq!(fl.p_q32, u32::MAX);
    assert!((f(fl.p()) - 1.0).abs() <= 2f64.powi(-32));
    // Nonsense p does not panic.
    for p in [Sf::ZERO, Sf::MAX, Sf::MIN, Sf::from_i64(-1)] {
        fl.drawn(&draw_with(p, 2), 0, 0);
        assert!(f(fl.p()) <= 1.0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn flow_p_round_trips(q in 1u64..=1 << 32, e in 0i32..20) {
        // p in (0, 1].
        let p = Sf::from_raw(false, q, -32 - e);
        let mut fl = FlowExp3::default();
        fl.drawn(&draw_with(p, 2), 0, 0);
        // Rounded to nearest, except p = 1, which saturates to 1 - 2^-32.
        let tol = if fl.p_q32 == u32::MAX { 2f64.powi(-32) } else { 2f64.powi(-33) };
        prop_assert!((f(fl.p()) - f(p)).abs() <= tol * (1.0 + 1e-12), "{} vs {}", f(fl.p()), f(p));
    }

    #[test]
    fn flow_due(
        mark in any::<u32>(),
        hook in any::<u32>(),
        d in any::<u32>(),
        rtt in prop::option::of(0u32..1_000_000),
    ) {
        let mut fl = FlowExp3::default();
        fl.on_rtt(1_000, 1);
        prop_assert!(!fl.due(mark.wrapping_add(d)), "no draw pending");
        fl.drawn(&draw_with(Sf::ONE, 1), mark, hook);
        fl.path_changed(7);
        if let Some(r) = rtt {
            fl.on_rtt(r, 8);
        }
        let want = rtt.is_some() && hook != 0 && d >= hook && u64::from(d) < 1 << 31;
        prop_assert_eq!(fl.due(mark.wrapping_add(d)), want);
    }
}

#[test]
fn flow_due_examples() {
    let mut fl = FlowExp3::default();
    let mark = u32::MAX - 100;
    fl.drawn(&draw_with(Sf::ONE, 1), mark, 1_000);
    // Nothing measured on the path yet: nothing to report.
    assert!(!fl.due(899));
    fl.on_rtt(5_000, 1);
    assert!(!fl.due(mark));
    assert!(!fl.due(u32::MAX));
    assert!(!fl.due(898));
    assert!(fl.due(899)); // mark + 1000, wrapped
    assert!(fl.due(mark.wrapping_add(0x7fff_ffff)));
    assert!(!fl.due(mark.wrapping_add(0x8000_0000)));
    assert!(!fl.due(mark - 1)); // backwards
                                // A path change forgets the RTT: not due until a new sample.
    fl.path_changed(10_000);
    assert!(!fl.due(899));
    fl.on_rtt(5_000, 10_001);
    assert!(fl.due(899));
    fl.pending = false;
    assert!(!fl.due(899));
    fl.drawn(&draw_with(Sf::ONE, 1), mark, 0);
    assert!(!fl.due(899));
    assert!(!fl.due(mark.wrapping_add(1)));
}

#[test]
fn flow_rtt_examples() {
    let mut fl = FlowExp3::default();
    fl.on_rtt(0, 1);
    assert_eq!(fl.srtt_us, 1);
    fl.path_changed(0);
    assert_eq!(fl.srtt_us, 0);
    fl.on_rtt(1_000, 1);
    assert_eq!(fl.srtt_us, 1_000);
    fl.on_rtt(1_800, 2);
    assert_eq!(fl.srtt_us, 1_100);
    fl.on_rtt(300, 3);
    assert_eq!(fl.srtt_us, 1_000);
    // Truncated toward zero either way.
    fl.on_rtt(1_007, 4);
    assert_eq!(fl.srtt_us, 1_000);
    fl.on_rtt(993, 5);
    assert_eq!(fl.srtt_us, 1_000);
    fl.on_rtt(u32::MAX, 6);
    assert_eq!(fl.srtt_us, 1_000 + (u32::MAX - 1_000) / 8);
    fl.path_changed(6);
    fl.on_rtt(77, 7);
    assert_eq!(fl.srtt_us, 77);
}

#[test]
fn flow_rtt_ignores_acks_of_the_old_path() {
    // Path change when snd_nxt was near the sequence wrap.
    let nxt = u32::MAX - 10;
    let mut fl = FlowExp3::default();
    fl.on_rtt(50_000, 1);
    fl.path_changed(nxt);
    assert_eq!((fl.srtt_us, fl.clean_seq), (0, nxt));
    // ACKs up to snd_nxt (and stale ones) may time old-path segments.
    for una in [nxt - 1_000, nxt - 1, nxt, nxt.wrapping_add(0x8000_0000)] {
        fl.on_rtt(9_999, una);
        assert_eq!(fl.srtt_us, 0, "snd_una {una}");
    }
    fl.on_rtt(2_000, nxt + 1);
    assert_eq!(fl.srtt_us, 2_000);
    // Beyond the wrap.
    fl.on_rtt(2_800, 5);
    assert_eq!(fl.srtt_us, 2_100);
    fl.on_rtt(2_100, nxt.wrapping_add(0x7fff_ffff));
    assert_eq!(fl.srtt_us, 2_100);
    // Ignored samples leave the EWMA alone.
    fl.on_rtt(1, nxt);
    assert_eq!(fl.srtt_us, 2_100);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Within 8 µs of the exact 1/8 EWMA (each step truncates by less than
    /// 1 µs and the error decays by 7/8).
    #[test]
    fn flow_rtt_ewma(
        rtts in prop::collection::vec(prop_oneof![1u32..200_000, 1u32..=u32::MAX], 1..100),
        nxt in any::<u32>(),
    ) {
        let mut fl = FlowExp3::default();
        fl.path_changed(nxt);
        let mut want = 0.0;
        for (i, r) in rtts.iter().enumerate() {
            let old = fl.srtt_us;
            fl.on_rtt(*r, nxt.wrapping_add(1 + i as u32));
            want = if i == 0 { f64::from(*r) } else { want + (f64::from(*r) - want) / 8.0 };
            prop_assert!((f64::from(fl.srtt_us) - want).abs() < 8.0, "{} vs {want}", fl.srtt_us);
            if i > 0 {
                // Moves toward the sample, never past it.
                prop_assert!(fl.srtt_us >= old.min(*r) && fl.srtt_us <= old.max(*r));
            }
        }
    }

    /// A sample counts if and only if snd_una is after the sequence number
    /// of the last path change (within half the sequence space).
    #[test]
    fn flow_rtt_sequence_filter(nxt in any::<u32>(), d in any::<u32>(), rtt in 1u32..1_000_000) {
        let mut fl = FlowExp3::default();
        fl.path_changed(nxt);
        fl.on_rtt(rtt, nxt.wrapping_add(d));
        let counts = d != 0 && d < 1 << 31;
        prop_assert_eq!(fl.srtt_us, if counts { rtt } else { 0 });
    }
}

// ---------------------------------------------------------------------------
// 10. History.

#[test]
fn history_keeps_the_last_rewards_oldest_first() {
    let mut st = state(3);
    assert_eq!(st.history().count(), 0);
    let mut all_samples: Vec<Sample> = Vec::new();
    let total = HISTORY + 5;
    for i in 0..total {
        let path = (i % 3) as u8;
        let srtt = 1_000 * (i as u32 + 1);
        let p = Sf::from_ratio(1, i as u64 + 2);
        let now = 1_000_000 + 7 * i as i64;
        let u = st.reward(&AS_CODED, path, p, 3, srtt, now).unwrap();
        let want = Sample {
            ktime_ns: now as u64,
            path,
            srtt_us: srtt,
            reward_ppm: (22 - i as i32) * 1_000_000,
            p_ppm: (1e6 / (i as f64 + 2.0)).round() as u32,
        };
        assert_eq!(u.sample, want, "reward {i}");
        all_samples.push(want);
        let h: Vec<Sample> = st.history().copied().collect();
        let from = all_samples.len().saturating_sub(HISTORY);
        assert_eq!(h, all_samples[from..], "after {} rewards", i + 1);
    }
    assert_eq!(st.history().count(), HISTORY);
    // Refused rewards are not recorded; a negative time reads as 0.
    assert!(st.reward(&AS_CODED, 9, Sf::ONE, 3, 1_000, 0).is_none());
    assert_eq!(st.history().last(), all_samples.last());
    let u = st.reward(&AS_CODED, 0, Sf::ONE, 3, 1_000, -5).unwrap();
    assert_eq!(u.sample.ktime_ns, 0);
    assert_eq!(st.history().last(), Some(&u.sample));
    assert_eq!(st.history().next(), Some(&all_samples[total - HISTORY + 1]));
}
