// SPDX-License-Identifier: GPL-2.0

//! `Sf` (soft float) against exact integer references (`u128`, test-only),
//! against `f64`, edge cases, totality, and a host micro-benchmark.

use crate::fpu_helpers::Sf;
use core::cmp::Ordering;
use proptest::prelude::*;
use std::format;
use std::vec::Vec;

/// Smallest and largest exponents of a non-zero `Sf` (see the module doc).
const EXP_MIN: i64 = -16_063;
const EXP_MAX: i64 = 15_936;

// ---------------------------------------------------------------------------
// Conversions (exact through bits).

/// `x` as `Sf`, exactly (finite `x`, subnormals included).
fn sf(x: f64) -> Sf {
    let bits = x.to_bits();
    let neg = bits >> 63 == 1;
    let e = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    assert!(e != 0x7ff, "finite only");
    if e == 0 {
        Sf::from_raw(neg, frac, -1074)
    } else {
        Sf::from_raw(neg, frac | (1 << 52), e - 1075)
    }
}

/// `2^e` as `f64` for `e` in the normal range.
fn pow2(e: i32) -> f64 {
    assert!((-1022..=1023).contains(&e));
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// `x` as `f64`, rounded to nearest (the value must be in `f64`'s normal
/// range; the mantissa is rounded once, scaling is exact).
fn f(x: Sf) -> f64 {
    let (neg, mant, exp) = x.to_raw();
    if mant == 0 {
        return 0.0;
    }
    // mant as f64 rounds to nearest even; 2^exp in at most two exact steps.
    let m = mant as f64;
    let v = if (-1022..=1023).contains(&exp) {
        m * pow2(exp)
    } else {
        let h = exp / 2;
        m * pow2(h) * pow2(exp - h)
    };
    if neg {
        -v
    } else {
        v
    }
}

/// Relative error of `got` against `want` (absolute when `want` is 0).
fn rel(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

// ---------------------------------------------------------------------------
// Exact references in u128 (test-only: the module must not use u128).

type Raw = (bool, u64, i32);

/// Rounds `v * 2^exp` (+ a fraction below 1 unit when `sticky`) to 64 bits,
/// to nearest, ties to even, then saturates / flushes like `Sf`.
fn ref_round(neg: bool, v: u128, sticky: bool, exp: i64) -> Raw {
    if v == 0 {
        assert!(!sticky);
        return (false, 0, 0);
    }
    let lz = v.leading_zeros();
    let v = v << lz;
    let mut mant = (v >> 64) as u64;
    let rest = v as u64;
    let mut e = exp - i64::from(lz) + 64;
    let half = rest >> 63 == 1;
    let more = rest << 1 != 0 || sticky;
    if half && (more || mant & 1 == 1) {
        mant = mant.wrapping_add(1);
        if mant == 0 {
            mant = 1 << 63;
            e += 1;
        }
    }
    if e > EXP_MAX {
        (neg, u64::MAX, EXP_MAX as i32)
    } else if e < EXP_MIN {
        (false, 0, 0)
    } else {
        (neg, mant, e as i32)
    }
}

fn ref_mul(a: Sf, b: Sf) -> Raw {
    let ((an, am, ae), (bn, bm, be)) = (a.to_raw(), b.to_raw());
    if am == 0 || bm == 0 {
        return (false, 0, 0);
    }
    ref_round(
        an != bn,
        u128::from(am) * u128::from(bm),
        false,
        i64::from(ae) + i64::from(be),
    )
}

fn ref_div(a: Sf, b: Sf) -> Raw {
    let ((an, am, ae), (bn, bm, be)) = (a.to_raw(), b.to_raw());
    if am == 0 {
        return (false, 0, 0);
    }
    assert!(bm != 0);
    let n = u128::from(am) << 64;
    let d = u128::from(bm);
    let (q, r) = (n / d, n % d);
    // Two more quotient bits, then the remainder as sticky.
    let (q2, r2) = ((q << 2) | ((r << 2) / d), (r << 2) % d);
    ref_round(an != bn, q2, r2 != 0, i64::from(ae) - i64::from(be) - 66)
}

/// Exact sum through `i128`; beyond a 62-bit exponent gap the small operand
/// is cut with a round-to-odd jam bit (60 spare bits: same final rounding).
fn ref_add(a: Sf, b: Sf) -> Raw {
    let (mut a, mut b) = (a.to_raw(), b.to_raw());
    if a.1 == 0 {
        return b;
    }
    if b.1 == 0 {
        return a;
    }
    if a.2 < b.2 {
        core::mem::swap(&mut a, &mut b);
    }
    let d = i64::from(a.2) - i64::from(b.2);
    let sa = if a.0 { -1i128 } else { 1 };
    let sb = if b.0 { -1i128 } else { 1 };
    let (v, exp) = if d <= 62 {
        (
            sa * (i128::from(a.1) << d) + sb * i128::from(b.1),
            i64::from(b.2),
        )
    } else {
        let s = d - 62;
        let cut = if s >= 64 { 0 } else { b.1 >> s };
        let inexact = s >= 64 || b.1 & ((1u64 << s) - 1) != 0;
        let mut v = sa * (i128::from(a.1) << 62) + sb * i128::from(cut);
        if inexact {
            // The exact value is strictly between v and v + sb: take the odd one.
            let other = v + sb;
            if v & 1 == 0 {
                v = other;
            }
        }
        (v, i64::from(b.2) + s)
    };
    ref_round(v < 0, v.unsigned_abs(), false, exp)
}

/// `num / den` exactly rounded (`num` up to 128 bits).
fn ref_ratio(num: u128, den: u64) -> Raw {
    let d = u128::from(den);
    if num == 0 {
        return (false, 0, 0);
    }
    // Scale so that the quotient has at least 66 bits.
    let lz = num.leading_zeros();
    let n = num << lz; // at most 128 bits
    let (q, r) = (n / d, n % d);
    let mut q = q;
    let mut r = r;
    let mut exp = -i64::from(lz);
    while q >> 66 == 0 {
        q = (q << 1) | ((r << 1) / d);
        r = (r << 1) % d;
        exp -= 1;
    }
    ref_round(false, q, r != 0, exp)
}

/// Distance in units of the smaller operand's last place (same sign).
fn ulps(a: Raw, b: Raw) -> u128 {
    if a == b {
        return 0;
    }
    assert_eq!(a.0, b.0, "signs differ: {a:?} {b:?}");
    let (lo, hi) = if a.2 <= b.2 { (a, b) } else { (b, a) };
    let gap = i64::from(hi.2) - i64::from(lo.2);
    assert!(gap <= 1, "exponents too far apart: {a:?} {b:?}");
    let h = u128::from(hi.1) << gap;
    let l = u128::from(lo.1);
    h.abs_diff(l)
}

// ---------------------------------------------------------------------------
// Strategies.

/// Any `Sf` in a moderate range, with full 64-bit mantissas.
fn raw_mid() -> impl Strategy<Value = Sf> {
    (any::<bool>(), any::<u64>(), -300i32..300).prop_map(|(n, m, e)| Sf::from_raw(n, m, e))
}

/// Any `Sf` over the whole range (saturation and flushing included).
fn raw_wide() -> impl Strategy<Value = Sf> {
    (any::<bool>(), any::<u64>(), -16_140i32..16_000).prop_map(|(n, m, e)| Sf::from_raw(n, m, e))
}

/// Any `Sf` at all, from any raw triple.
fn raw_any() -> impl Strategy<Value = Sf> {
    prop_oneof![
        raw_mid(),
        raw_wide(),
        (any::<bool>(), any::<u64>(), any::<i32>()).prop_map(|(n, m, e)| Sf::from_raw(n, m, e)),
        Just(Sf::ZERO),
        Just(Sf::MAX),
        Just(Sf::MIN),
        Just(Sf::from_raw(false, 1, -16_000)),
    ]
}

/// Finite `f64` values of either sign over 2^-200 .. 2^200, plus integers and 0.
fn f64_wide() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (any::<bool>(), 0u64..(1 << 52), -200i32..200).prop_map(|(n, m, e)| {
            let v = f64::from_bits((((e + 1023) as u64) << 52) | m);
            if n { -v } else { v }
        }),
        1 => any::<i32>().prop_map(f64::from),
        1 => (-1000i64..1000).prop_map(|v| v as f64),
        1 => Just(0.0),
    ]
}

// ---------------------------------------------------------------------------
// Bit-exact arithmetic against the u128 references.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// `+` and `-` are correctly rounded (ties to even), saturating and
    /// flushing like the reference.
    #[test]
    fn add_sub_correctly_rounded(a in raw_any(), b in raw_any()) {
        prop_assert_eq!((a + b).to_raw(), ref_add(a, b), "{:?} + {:?}", a, b);
        prop_assert_eq!((a - b).to_raw(), ref_add(a, -b), "{:?} - {:?}", a, b);
    }

    /// Close exponents, where cancellation happens.
    #[test]
    fn add_sub_close_operands(n in any::<bool>(), m in any::<u64>(), e in -80i32..80,
                              dm in any::<i16>(), de in -3i32..3, nb in any::<bool>()) {
        let a = Sf::from_raw(n, m, e);
        let b = Sf::from_raw(nb, m.wrapping_add(dm as u64), e + de);
        prop_assert_eq!((a + b).to_raw(), ref_add(a, b));
        prop_assert_eq!((a - b).to_raw(), ref_add(a, -b));
    }

    /// `*` is correctly rounded.
    #[test]
    fn mul_correctly_rounded(a in raw_any(), b in raw_any()) {
        prop_assert_eq!((a * b).to_raw(), ref_mul(a, b), "{:?} * {:?}", a, b);
    }

    /// `/` is correctly rounded; `x / 0` saturates by the sign of `x`.
    #[test]
    fn div_correctly_rounded(a in raw_any(), b in raw_any()) {
        let want = if b.is_zero() {
            if a.is_zero() { Sf::ZERO } else if a.is_negative() { Sf::MIN } else { Sf::MAX }.to_raw()
        } else {
            ref_div(a, b)
        };
        prop_assert_eq!((a / b).to_raw(), want, "{:?} / {:?}", a, b);
    }

    /// `from_ratio` is correctly rounded.
    #[test]
    fn from_ratio_correctly_rounded(num in any::<u64>(), den in any::<u64>()) {
        let got = Sf::from_ratio(num, den).to_raw();
        if den == 0 {
            prop_assert_eq!(got, if num == 0 { Sf::ZERO } else { Sf::MAX }.to_raw());
        } else {
            prop_assert_eq!(got, ref_ratio(u128::from(num), den));
        }
    }

    /// `from_decimal` with up to 19 digits is within one unit in the last
    /// place of the exact value; `digits == 0` ignores `frac`.
    #[test]
    fn from_decimal_close(int in prop_oneof![any::<u64>(), 0u64..1000], frac in any::<u64>(), digits in 0u32..=19) {
        let got = Sf::from_decimal(int, frac, digits);
        if digits == 0 || frac == 0 {
            prop_assert_eq!(got, Sf::from_u64(int));
        } else {
            let p = 10u64.pow(digits);
            // int * p + frac may need 128 bits: then check int + frac/p in two parts.
            if let Some(n) = u128::from(int).checked_mul(u128::from(p)).and_then(|v| v.checked_add(u128::from(frac))) {
                let want = ref_ratio(n, p);
                prop_assert!(ulps(got.to_raw(), want) <= 1, "{} {} {}: {:?} vs {:?}", int, frac, digits, got, want);
            }
        }
    }

    /// `from_decimal` accepts any number of digits: `frac / 10^digits` is
    /// accurate until it flushes to zero, and vanishes next to an integer.
    #[test]
    fn from_decimal_many_digits(int in 1u64.., frac in 1u64.., digits in 20u32..6000) {
        let got = Sf::from_decimal(0, frac, digits);
        if digits <= 4795 {
            // Back up by 10^19 steps (each exact to 2^-64): ~frac.
            let mut back = got;
            for _ in 0..digits / 19 {
                back *= Sf::from_u64(10_000_000_000_000_000_000);
            }
            back *= Sf::from_u64(10u64.pow(digits % 19));
            let r = f((back - Sf::from_u64(frac)).abs() / Sf::from_u64(frac));
            prop_assert!(r < 1e-15, "{} / 10^{}: {:?} ({:e})", frac, digits, got, r);
        } else if digits >= 4837 {
            prop_assert_eq!(got, Sf::ZERO); // below 2^-16000
        }
        if digits >= 40 {
            prop_assert_eq!(Sf::from_decimal(int, frac, digits), Sf::from_u64(int));
        }
    }
}

// ---------------------------------------------------------------------------
// Against f64.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// The four operations agree with f64 (itself correctly rounded) to
    /// within f64's rounding.
    #[test]
    fn arithmetic_matches_f64(x in f64_wide(), y in f64_wide()) {
        let (a, b) = (sf(x), sf(y));
        let tol = 1e-12;
        prop_assert!(rel(f(a + b), x + y) <= tol, "{} + {}", x, y);
        prop_assert!(rel(f(a - b), x - y) <= tol, "{} - {}", x, y);
        prop_assert!(rel(f(a * b), x * y) <= tol, "{} * {}", x, y);
        if y != 0.0 {
            prop_assert!(rel(f(a / b), x / y) <= tol, "{} / {}", x, y);
        }
        // Both are roundings of the same exact value: at most one f64 ulp apart.
        let ulp = 2.3e-16;
        prop_assert!(rel(f(a + b), x + y) <= ulp && rel(f(a - b), x - y) <= ulp);
        prop_assert!(rel(f(a * b), x * y) <= ulp);
        prop_assert!(y == 0.0 || rel(f(a / b), x / y) <= ulp);
    }

    /// e^x agrees with f64's exp over [-50, 50].
    #[test]
    fn exp_matches_f64(x in -50.0f64..50.0) {
        let got = f(sf(x).exp());
        prop_assert!(rel(got, x.exp()) <= 1e-15, "e^{}: {} vs {}", x, got, x.exp());
    }

    /// e^x over the whole range never panics and is monotonic.
    #[test]
    fn exp_monotonic(x in raw_any(), y in raw_any()) {
        let (ex, ey) = (x.exp(), y.exp());
        prop_assert!(!ex.is_negative());
        if x <= y {
            prop_assert!(ex <= ey, "{:?} {:?}", x, y);
        }
    }

    /// Integer conversions agree with f64's (saturating `as` casts).
    #[test]
    fn integer_conversions_match_f64(x in prop_oneof![f64_wide(), (-1e20f64..1e20), (-4.0f64..4.0),
                                                      (-40i32..40).prop_map(|v| f64::from(v) / 2.0)]) {
        let a = sf(x);
        prop_assert_eq!(a.to_u64(), x.trunc() as u64, "{}", x);
        prop_assert_eq!(a.to_i64(), x.trunc() as i64, "{}", x);
        prop_assert_eq!(a.round_u64(), x.round() as u64, "{}", x);
    }

    /// Ordering and equality agree with f64.
    #[test]
    fn ordering_matches_f64(x in f64_wide(), y in f64_wide()) {
        let (a, b) = (sf(x), sf(y));
        prop_assert_eq!(Some(a.cmp(&b)), x.partial_cmp(&y));
        prop_assert_eq!(a == b, x == y);
        prop_assert_eq!(a.min(b), sf(x.min(y)));
        prop_assert_eq!(a.max(b), sf(x.max(y)));
        prop_assert_eq!(a.abs(), sf(x.abs()));
        prop_assert_eq!(a.is_negative(), x < 0.0);
        prop_assert_eq!(a.is_zero(), x == 0.0);
        prop_assert_eq!(sf(x) == sf(x), true);
    }

    /// Exact integer round trips.
    #[test]
    fn integers_round_trip(u in any::<u64>(), i in any::<i64>()) {
        prop_assert_eq!(Sf::from_u64(u).to_u64(), u);
        prop_assert_eq!(Sf::from_u64(u).round_u64(), u);
        prop_assert_eq!(Sf::from_i64(i).to_i64(), i);
        prop_assert_eq!(Sf::from_i64(i).cmp(&Sf::from_i64(0)), i.cmp(&0));
        let (n, m, e) = Sf::from_u64(u).to_raw();
        prop_assert!(!n);
        if u != 0 {
            prop_assert_eq!(m >> 63, 1);
            prop_assert_eq!(u128::from(m) >> (-e), u128::from(u));
        }
        prop_assert_eq!(Sf::from_i64(i).to_u64(), if i < 0 { 0 } else { i as u64 });
    }
}

// ---------------------------------------------------------------------------
// Algebraic identities and totality.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn identities(a in raw_any(), b in raw_any()) {
        prop_assert_eq!(a + b, b + a);
        prop_assert_eq!(a * b, b * a);
        prop_assert_eq!(a - a, Sf::ZERO);
        prop_assert_eq!(a * Sf::ONE, a);
        prop_assert_eq!(a / Sf::ONE, a);
        prop_assert_eq!(a + Sf::ZERO, a);
        prop_assert_eq!(-(-a), a);
        prop_assert_eq!(a - b, -(b - a));
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        prop_assert_eq!(a.cmp(&b) == Ordering::Equal, a == b);
        let mut c = a;
        c += b;
        prop_assert_eq!(c, a + b);
        c = a;
        c -= b;
        prop_assert_eq!(c, a - b);
        c = a;
        c *= b;
        prop_assert_eq!(c, a * b);
        c = a;
        c /= b;
        prop_assert_eq!(c, a / b);
    }

    /// Every operation on any raw input: no panic, results canonical.
    #[test]
    fn total(a in raw_any(), b in raw_any(), k in any::<i32>(), digits in 0u32..40,
             int in any::<u64>(), frac in any::<u64>(), ddig in any::<u32>(), prec in 0usize..130) {
        let canonical = |x: Sf| {
            let (n, m, e) = x.to_raw();
            (m == 0 && !n && e == 0) || (m >> 63 == 1 && i64::from(e) >= EXP_MIN && i64::from(e) <= EXP_MAX)
        };
        for r in [a + b, a - b, a * b, a / b, -a, a.exp(), a.scale_pow2(k), a.abs(), a.min(b), a.max(b),
                  Sf::from_decimal(int, frac, ddig), Sf::from_ratio(int, frac)] {
            prop_assert!(canonical(r), "{:?}", r);
        }
        let _ = (a.to_u64(), a.to_i64(), a.round_u64());
        let (n, _, fr) = a.to_decimal(digits);
        prop_assert_eq!(n, a.is_negative());
        prop_assert!(fr < 10u64.pow(digits.min(19)));
        let s = format!("{a}");
        prop_assert!(!s.is_empty() && !s.contains('?'), "{}", s);
        let s = format!("{a:.prec$}");
        prop_assert!(!s.is_empty() && !s.contains('?'), "{}", s);
        let _ = format!("{a:>40.3} {a:+} {a:e<8.0}");
    }

    /// `scale_pow2` is exact (within range) and saturates / flushes outside.
    #[test]
    fn scale_pow2_exact(a in raw_mid(), k in any::<i32>()) {
        let (n, m, e) = a.to_raw();
        let want = Sf::from_raw(n, m, e.saturating_add(k));
        let target = i64::from(e) + i64::from(k);
        if a.is_zero() {
            prop_assert_eq!(a.scale_pow2(k), Sf::ZERO);
        } else if target > EXP_MAX {
            prop_assert_eq!(a.scale_pow2(k), if n { Sf::MIN } else { Sf::MAX });
        } else if target < EXP_MIN {
            prop_assert_eq!(a.scale_pow2(k), Sf::ZERO);
        } else {
            prop_assert_eq!(a.scale_pow2(k), want);
        }
    }

    /// `to_decimal` against exact integer arithmetic on f64 inputs.
    #[test]
    fn to_decimal_matches_exact(x in prop_oneof![f64_wide(), -1e6f64..1e6, -1.0f64..1.0], digits in 0u32..=19) {
        let a = sf(x);
        let (neg, int, fr) = a.to_decimal(digits);
        prop_assert_eq!(neg, x < 0.0);
        // Exact: |x| = m * 2^e; integer part and rounded fraction via u128
        // where it fits.
        let (_, m, e) = a.to_raw();
        if m != 0 && e < 0 && e > -120 {
            let s = (-e) as u32;
            let ip = if s >= 128 { 0 } else { u128::from(m) >> s };
            let fbits = u128::from(m) - (ip << s); // < 2^s
            let p = u128::from(10u64.pow(digits));
            // round(fbits * p / 2^s), halves up; fbits * p < 2^(s + 64) may overflow for s > 64.
            if s <= 64 {
                let num = fbits * p;
                let mut q = num >> s;
                if (num >> (s - 1)) & 1 == 1 {
                    q += 1;
                }
                let (wi, wf) = if q == p { (ip + 1, 0) } else { (ip, q) };
                prop_assert_eq!((int, fr), (wi.min(u128::from(u64::MAX)) as u64, wf as u64), "{} {}", x, digits);
            }
        } else if e >= 0 {
            prop_assert_eq!(fr, 0);
            prop_assert_eq!(int, a.abs().to_u64());
        }
    }
}

// ---------------------------------------------------------------------------
// Spec §8.3 test vectors ("Exact" column) and edge cases.

fn close(got: Sf, want: f64, tol: f64) {
    let g = f(got);
    assert!(
        rel(g, want) <= tol,
        "got {g:e}, want {want:e} (tolerance {tol:e})"
    );
}

#[test]
fn spec_vectors() {
    let five = Sf::from_u64(5);
    let half = Sf::from_ratio(1, 2);
    close(Sf::from_decimal(0, 1, 1), 0.1, 1e-12);
    close(five + half, 5.5, 1e-12);
    close(five * half, 2.5, 1e-12);
    close(half / five, 0.1, 1e-12);
    close(five / half, 10.0, 1e-12);
    close(Sf::ONE / Sf::from_u64(3), 1.0 / 3.0, 1e-12);
    let sum = Sf::from_decimal(0, 1, 1) + Sf::from_decimal(0, 2, 1);
    close(sum, 0.3, 1e-12);
    close(
        Sf::from_u64(10_000) * Sf::from_decimal(0, 3, 1),
        3000.0,
        1e-12,
    );
    assert_eq!(five * half, Sf::from_ratio(5, 2));
    assert_eq!(five + half, Sf::from_ratio(11, 2));
    assert_eq!(five / half, Sf::from_u64(10));
    assert_eq!(Sf::ZERO.exp(), Sf::ONE);
    for (x, want) in [
        (0.1, 1.1051709180756477),
        (0.5, 1.6487212707001282),
        (1.0, core::f64::consts::E),
        (5.0, 148.4131591025766),
        (10.0, 22026.465794806718),
        (29.5, 6481674477934.32),
        (50.0, 5.184705528587072e21),
        (100.0, 2.6881171418161356e43),
    ] {
        close(sf(x).exp(), want, 1e-9);
        close(sf(x).exp(), want, 1e-15);
    }
    // The original's digits == 0 quirk is gone: (2, 1, 0) is exactly 2.
    assert_eq!(Sf::from_decimal(2, 1, 0), Sf::from_u64(2));
}

#[test]
fn saturation_and_special_cases() {
    let tiny = Sf::from_raw(false, 1, -16_000);
    assert_eq!(Sf::from_u64(7) / Sf::ZERO, Sf::MAX);
    assert_eq!(Sf::from_i64(-7) / Sf::ZERO, Sf::MIN);
    assert_eq!(Sf::ZERO / Sf::ZERO, Sf::ZERO);
    assert_eq!(Sf::from_ratio(3, 0), Sf::MAX);
    assert_eq!(Sf::from_ratio(0, 0), Sf::ZERO);
    assert_eq!(Sf::MAX * Sf::MAX, Sf::MAX);
    assert_eq!(Sf::MIN * Sf::MAX, Sf::MIN);
    assert_eq!(Sf::MAX + Sf::MAX, Sf::MAX);
    assert_eq!(Sf::MIN - Sf::MAX, Sf::MIN);
    assert_eq!(Sf::MAX - Sf::MAX, Sf::ZERO);
    assert_eq!(Sf::MIN, -Sf::MAX);
    assert_eq!(tiny * tiny, Sf::ZERO);
    assert_eq!(tiny / Sf::MAX, Sf::ZERO);
    assert_eq!(Sf::MAX / tiny, Sf::MAX);
    assert_eq!(tiny.scale_pow2(-1), Sf::ZERO);
    assert_eq!(Sf::MAX.scale_pow2(1), Sf::MAX);
    assert_eq!(Sf::MIN.scale_pow2(i32::MAX), Sf::MIN);
    assert_eq!(Sf::ONE.scale_pow2(i32::MIN), Sf::ZERO);
    assert_eq!(Sf::from_raw(false, u64::MAX, i32::MAX), Sf::MAX);
    assert_eq!(Sf::from_raw(true, 1, i32::MIN), Sf::ZERO);
    assert_eq!(Sf::from_u64(1_000_000_000).exp(), Sf::MAX);
    assert_eq!(Sf::from_i64(-1_000_000_000).exp(), Sf::ZERO);
    assert_eq!(Sf::MAX.exp(), Sf::MAX);
    assert_eq!(Sf::MIN.exp(), Sf::ZERO);
    assert_eq!(Sf::from_u64(11_091).exp(), Sf::MAX); // above ln MAX ~ 11090.35
    assert!(Sf::from_u64(11_090).exp() < Sf::MAX);
    assert_eq!(Sf::from_i64(-11_091).exp(), Sf::ZERO); // below -16000 ln 2
    assert!(!Sf::from_i64(-11_090).exp().is_zero());
    assert_eq!(Sf::default(), Sf::ZERO);
    assert_eq!(Sf::ZERO.to_raw(), (false, 0, 0));
    assert_eq!(Sf::ONE.to_raw(), (false, 1 << 63, -63));
    assert_eq!(Sf::MAX.to_raw(), (false, u64::MAX, EXP_MAX as i32));
    assert_eq!(tiny.to_raw(), (false, 1 << 63, EXP_MIN as i32));
    // Integer conversions saturate.
    assert_eq!(Sf::MAX.to_u64(), u64::MAX);
    assert_eq!(Sf::MAX.round_u64(), u64::MAX);
    assert_eq!(Sf::MAX.to_i64(), i64::MAX);
    assert_eq!(Sf::MIN.to_i64(), i64::MIN);
    assert_eq!(Sf::MIN.to_u64(), 0);
    assert_eq!(Sf::from_i64(i64::MIN).to_i64(), i64::MIN);
    assert_eq!(Sf::from_ratio(1, 2).round_u64(), 1);
    assert_eq!(Sf::from_ratio(5, 2).round_u64(), 3);
    assert_eq!(Sf::from_ratio(5, 2).to_u64(), 2);
    assert_eq!(Sf::from_i64(-5).to_i64(), -5);
    assert_eq!((-Sf::from_ratio(5, 2)).to_i64(), -2);
    assert_eq!((-Sf::from_ratio(5, 2)).round_u64(), 0);
    // from_decimal.
    close(Sf::from_decimal(0, 1, 1), 0.1, 1e-18);
    assert_eq!(Sf::from_decimal(0, 1, 1), Sf::from_ratio(1, 10));
    assert_eq!(Sf::from_decimal(2, 1, 0), Sf::from_u64(2));
    assert_eq!(Sf::from_decimal(2, 15, 1), Sf::from_ratio(35, 10));
    assert_eq!(Sf::from_decimal(0, u64::MAX, u32::MAX), Sf::ZERO);
    assert_eq!(Sf::from_decimal(5, 1, 5000), Sf::from_u64(5));
    assert!(!Sf::from_decimal(0, 10_000_000_000_000_000_000, 4830).is_zero()); // 1e-4811
    assert!(Sf::from_decimal(0, 1, 4830).is_zero()); // 1e-4830 < 2^-16000
    close(Sf::from_decimal(0, 12345, 25), 1.2345e-21, 1e-15);
    close(Sf::from_decimal(0, 3, 300), 3e-300, 1e-15);
    // to_decimal.
    assert_eq!(
        Sf::from_decimal(0, 9_999_999_999, 10).to_decimal(3),
        (false, 1, 0)
    );
    assert_eq!(
        Sf::from_decimal(6066, 693_561_082, 9).to_decimal(9),
        (false, 6066, 693_561_082)
    );
    assert_eq!((-Sf::from_ratio(5, 2)).to_decimal(1), (true, 2, 5));
    assert_eq!(Sf::from_ratio(5, 2).to_decimal(0), (false, 3, 0));
    assert_eq!(
        Sf::from_ratio(1, 3).to_decimal(19),
        (false, 0, 3_333_333_333_333_333_333)
    );
    assert_eq!(
        Sf::from_ratio(2, 3).to_decimal(19),
        (false, 0, 6_666_666_666_666_666_667)
    );
    assert_eq!(
        Sf::from_ratio(2, 3).to_decimal(99),
        (false, 0, 6_666_666_666_666_666_667)
    );
    assert_eq!(Sf::MAX.to_decimal(5), (false, u64::MAX, 0));
    assert_eq!(tiny.to_decimal(19), (false, 0, 0));
    assert_eq!(Sf::from_raw(false, 1, -65).to_decimal(19), (false, 0, 0)); // 2.7e-20
    assert_eq!(Sf::from_raw(false, 1, -64).to_decimal(19), (false, 0, 1)); // 5.4e-20
}

#[test]
fn display() {
    let cases: [(Sf, &str); 18] = [
        (Sf::ZERO, "0"),
        (Sf::ONE, "1"),
        (Sf::from_ratio(1, 10), "0.1"),
        (Sf::from_ratio(5, 2), "2.5"),
        (Sf::from_i64(-3), "-3"),
        (Sf::from_decimal(6066, 693_561_082, 9), "6066.693561082"),
        (Sf::from_ratio(2, 3), "0.666666667"),
        (Sf::from_decimal(0, 9_999_999_999, 10), "1"),
        (
            Sf::from_u64(1_234_567_890) * Sf::from_u64(10_000_000_000_000),
            "1.23456789e22",
        ),
        (Sf::from_u64(1_000_000_000_000_000), "1e15"),
        (Sf::from_u64(999_999_999_999_999), "999999999999999"),
        (-Sf::from_ratio(5, 10_000_000), "-5e-7"),
        (Sf::from_ratio(1, 1_000_000), "0.000001"),
        (Sf::MAX, "3.019469337e4816"),
        (Sf::MIN, "-3.019469337e4816"),
        (Sf::from_raw(false, 1, -16_000), "3.311840222e-4817"),
        (Sf::from_u64(u64::MAX), "1.844674407e19"),
        (sf(100.0).exp(), "2.688117142e43"),
    ];
    for (x, want) in cases {
        assert_eq!(format!("{x}"), want, "{x:?}");
    }
    let two_thirds = Sf::from_ratio(2, 3);
    assert_eq!(format!("{two_thirds:.3}"), "0.667");
    assert_eq!(format!("{:.0}", Sf::from_ratio(5, 2)), "3");
    assert_eq!(format!("{:.2}", Sf::from_i64(-3)), "-3.00");
    assert_eq!(format!("{:.3}", -Sf::from_ratio(1, 10_000)), "-0.000");
    assert_eq!(
        format!("{:.3}", Sf::from_u64(10).scale_pow2(64)),
        "1.845e20"
    );
    assert_eq!(
        format!("{:.25}", Sf::from_ratio(1, 4)),
        "0.2500000000000000000000000"
    );
    assert_eq!(format!("{:>6}", Sf::from_ratio(5, 2)), "   2.5");
    assert_eq!(format!("{:<6}|", Sf::from_ratio(5, 2)), "2.5   |");
    assert_eq!(format!("{:+}", Sf::from_ratio(5, 2)), "+2.5");
    assert_eq!(format!("{:07.2}", -Sf::from_ratio(5, 2)), "-002.50");
    assert_eq!(
        format!("{:.1}", Sf::from_u64(999_999).scale_pow2(30)),
        "1.1e15"
    );
    // Just below 1e15: fixed notation, the rounding carries into the integer.
    let almost = Sf::from_decimal(999_999_999_999_999, 999, 3);
    assert_eq!(format!("{almost:.2}"), "1000000000000000.00");
}

/// `exp` is within a unit in the last place of the correctly rounded e^x
/// at reference points computed with 60-digit decimal arithmetic (up to
/// e^11090).
#[test]
fn exp_against_high_precision() {
    let mut worst = 0u128;
    let mut worst_rel = 0.0f64;
    for &(x, m, e) in EXP_REF {
        let got = sf(x).exp();
        let want = Sf::from_raw(false, m, e);
        let u = ulps(got.to_raw(), want.to_raw());
        worst = worst.max(u);
        let r = f((got - want).abs() / want);
        worst_rel = worst_rel.max(r);
        assert!(u <= 1, "e^{x}: {got:?} vs {want:?} ({u} ulps)");
    }
    std::println!(
        "exp: worst {worst} ulps, relative error {worst_rel:e}, {} points",
        EXP_REF.len()
    );
    assert!(worst_rel < 1e-18);
}

/// A finite f64 of either sign over 2^-200 .. 2^200 from 64 random bits.
fn rand_f64(next: &mut impl FnMut() -> u64) -> f64 {
    let r = next();
    let e = r % 400 + 1023 - 200;
    f64::from_bits((r & (1 << 63)) | (e << 52) | (next() >> 12))
}

/// Max relative errors over many deterministic random inputs, printed
/// (run with --nocapture): against the exact references and against f64.
#[test]
fn error_survey() {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut worst = [0u128; 4];
    let mut worst_f = [0.0f64; 5];
    let n = if cfg!(debug_assertions) {
        20_000
    } else {
        200_000
    };
    for _ in 0..n {
        // f64 operands (53-bit mantissas), exactly converted.
        let (x, y) = (rand_f64(&mut next), rand_f64(&mut next));
        let (a, b) = (sf(x), sf(y));
        let refs = [ref_add(a, b), ref_add(a, -b), ref_mul(a, b), ref_div(a, b)];
        let got = [a + b, a - b, a * b, a / b];
        for i in 0..4 {
            let u = if got[i].to_raw() == refs[i] { 0 } else { 1_000 };
            worst[i] = worst[i].max(u);
        }
        let r = [
            rel(f(a + b), x + y),
            rel(f(a - b), x - y),
            rel(f(a * b), x * y),
            rel(f(a / b), x / y),
        ];
        for i in 0..4 {
            worst_f[i] = worst_f[i].max(r[i]);
        }
        let z = f64::from_bits(next() >> 11 | 0x3ff0_0000_0000_0000) * 100.0 - 150.0; // [-50, 50)
        worst_f[4] = worst_f[4].max(rel(f(sf(z).exp()), z.exp()));
    }
    std::println!("vs exact (0 = bit-exact, correctly rounded) add/sub/mul/div: {worst:?}");
    std::println!(
        "vs f64: add {:e} sub {:e} mul {:e} div {:e} exp[-50,50] {:e}",
        worst_f[0],
        worst_f[1],
        worst_f[2],
        worst_f[3],
        worst_f[4]
    );
    assert_eq!(worst, [0; 4]);
    assert!(worst_f.iter().all(|&r| r <= 1e-15), "{worst_f:?}");
}

// ---------------------------------------------------------------------------
// Micro-benchmark (host).

/// ns per operation; run with
/// `cargo test --release -p tpc-host-tests fpu_bench -- --ignored --nocapture`.
/// With `FPU_BENCH_JSON=path`, also writes the figures there as one JSON object.
#[test]
#[ignore]
fn fpu_bench() {
    use std::hint::black_box;
    use std::time::Instant;
    const N: usize = 1 << 20;
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let xs: Vec<Sf> = (0..1024)
        .map(|_| Sf::from_raw(next() & 1 == 1, next(), (next() % 200) as i32 - 100))
        .collect();
    let es: Vec<Sf> = (0..1024)
        .map(|_| Sf::from_ratio(next() % 100_000_000, 1_000_000) - Sf::from_u64(50))
        .collect();
    let time = |op: &dyn Fn(Sf, Sf) -> Sf, v: &[Sf]| {
        let t = Instant::now();
        let mut acc = Sf::ZERO;
        for i in 0..N {
            let a = black_box(v[i & 1023]);
            let b = black_box(v[(i * 7 + 3) & 1023]);
            acc = black_box(op(a, b));
        }
        black_box(acc);
        t.elapsed().as_nanos() as f64 / N as f64
    };
    let add = time(&|a, b| a + b, &xs);
    let mul = time(&|a, b| a * b, &xs);
    let div = time(&|a, b| a / b, &xs);
    let exp = time(&|a, _| a.exp(), &es);
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    std::println!(
        "fpu bench ({profile}, {N} ops each): add {add:.2} ns, mul {mul:.2} ns, div {div:.2} ns, exp {exp:.2} ns"
    );
    if let Some(path) = std::env::var_os("FPU_BENCH_JSON") {
        let json = format!(
            "{{\"bench\":\"fpu\",\"unit\":\"ns_per_op\",\"add\":{add:.3},\"mul\":{mul:.3},\"div\":{div:.3},\"exp\":{exp:.3},\"iterations\":{N},\"profile\":\"{profile}\"}}\n"
        );
        std::fs::write(&path, json).expect("write FPU_BENCH_JSON");
    }
}

// ---------------------------------------------------------------------------
// e^x reference points: x, and e^x correctly rounded to 64 bits as
// (mantissa, exponent), from Python's decimal module at 60 digits.

const EXP_REF: &[(f64, u64, i32)] = &[
    (0.1, 0x8d763d9ad0069d10, -63),
    (0.5, 0xd3094c70f034de4c, -63),
    (1.0, 0xadf85458a2bb4a9b, -62),
    (5.0, 0x9469c4cb819c78fb, -56),
    (10.0, 0xac14ee7ca82afcf8, -49),
    (29.5, 0xbca43cf42dca3f3a, -21),
    (50.0, 0x8c881f20405a2b32, 9),
    (100.0, 0x9a4a54d8b8dfa566, 81),
    (-1.0, 0xbc5ab1b16779be35, -65),
    (-0.1, 0xe7a36ccea959d3a5, -64),
    (-50.0, 0xe92beaa3f041f6b9, -136),
    (-100.0, 0xd460f8a7157ae57a, -208),
    (1e-10, 0x8000000036f9bfb4, -63),
    (-1e-10, 0xffffffff920c8099, -64),
    (0.34657359, 0xb504f3332032a16a, -63),
    (-0.34657359, 0xb504f334d38a279f, -64),
    (core::f64::consts::LN_2, 0xfffffffffffffe54, -63),
    (1.0397207708399179, 0xb504f333f9de5feb, -62),
    (700.0, 0xeca2efa7c7647118, 946),
    (-700.0, 0x8a79587dc983f856, -1073),
    (1000.5, 0xaad398ccb2c1d747, 1380),
    (-1000.5, 0xbfd1ff221b495311, -1507),
    (11000.0, 0xc838961a26b2adda, 15806),
    (-11000.0, 0xa3a8bc537a427c0f, -15933),
    (11090.0, 0xb38534a3747f0f62, 15936),
    (-11090.0, 0xb687e610326de8b3, -16063),
    (5000.25, 0xe47905368dc0e6c3, 7150),
    (9.094947017729282e-13, 0x8000000000800000, -63),
    (-17.616723516683763, 0xbfee36b0114d6707, -89),
    (-34.915082607549806, 0xc5d6cc8bc0d33c22, -114),
    (15.093447303985371, 0xdb11aa60d482c423, -42),
    (-42.756371333245724, 0x9f4c97a52b8a9465, -125),
    (3.5882004306689197, 0x90acfbadebc59561, -58),
    (-13.431108308741443, 0xc521638b40f18275, -83),
    (-44.20010752252932, 0x966816f95998b0aa, -127),
    (0.7435733189420262, 0x869ebbeac6146a76, -62),
    (-46.250434155801514, 0x9ad99ca2f266ea2f, -130),
    (-6.635431633761414, 0xac195e3097d8f777, -73),
    (-43.014457642538105, 0xf6205810c0ebed8d, -126),
    (-40.928698665613496, 0xf7afa7b60fd8b2cb, -123),
    (-7.548081085748606, 0x8a2e77eca17540ae, -74),
    (32.68521246720381, 0x8e7f63877f398bde, -16),
    (-37.61980388503544, 0xd3bb6427310bd6f8, -118),
    (-27.676103539298545, 0x868899b391d21800, -103),
    (12.743322240558932, 0xa71e57404d029df0, -45),
    (44.77089424570056, 0xc0c5797ef010fbc4, 1),
    (7.7102948617498654, 0x8b73336eb60413a0, -52),
    (-10.331952534921982, 0x88a19754071fe224, -78),
    (47.62551055929201, 0xd14026e3586d03eb, 5),
    (-45.34173193822437, 0xc019696b2d547ca3, -129),
    (35.84684590486795, 0xd243e93bc1a966bf, -12),
    (-21.039071366832374, 0xc870f9cea1670312, -94),
    (-35.57449166425624, 0xcca0adb4bbb7b363, -115),
    (-38.220776192163164, 0xe82d159d5fdbaedb, -119),
    (-19.151817589806562, 0xa565002000da8b13, -91),
    (31.612635912003142, 0xc3022bd22f4cc70d, -18),
    (-31.927362007606252, 0xf553516f42586717, -110),
    (8.160016366246623, 0xdaa3e6d5fc5e6ad6, -52),
    (13.891346892618408, 0x83b00fffa3e8e211, -43),
    (-12.760245727426877, 0xc0c939d827ee14b9, -82),
    (4.7744465709557815, 0xece3b5b5e37ea157, -57),
    (-43.721102502667684, 0xf2d3976c0fb822a0, -127),
    (-44.03988300337674, 0xb08b1d29da04310b, -127),
    (-29.404128718067348, 0xbf2ecf61fbb9a60f, -106),
    (18.039997318178592, 0x8258db812e5977a9, -37),
    (-7.240769433059711, 0xbbe4f3e0d501d9de, -74),
    (-18.585282962320846, 0x91b9989379dd64c5, -90),
    (8.556186350763873, 0xa27688eb2f6f33a4, -51),
    (-4.681562362922463, 0x97ca3f36a52de033, -70),
    (-20.023300313631765, 0x8a6117464dc13c2d, -92),
    (29.43794815224912, 0xb14ab1e4c1a76d9d, -21),
    (19.899443372957123, 0xd136832f29bdf4b2, -35),
    (-25.59034892778471, 0x8762b6cd569a7cd8, -100),
    (7.442371025867104, 0xd5595a532a9c8ee3, -53),
    (2.5196503811451407, 0xc6c9bc9fb4ed1a0d, -60),
    (37.51374955734289, 0x8b305c5e287caa21, -9),
    (22.944528943921767, 0x895f927e6bdac425, -30),
    (-21.20622351098135, 0xa9966a186390c186, -94),
    (48.017484749258216, 0x9ad5bdb26a53c674, 6),
    (-38.19342217450379, 0xee9d5e496cc57100, -119),
    (-8.187717821477278, 0x91c6eebfca88bdce, -75),
    (25.714092956524937, 0x88f55c7b4f327849, -26),
    (-34.80154653394952, 0xdda02e1a3d76fdca, -114),
    (-1.1036899524194368, 0xa9cd61e702693b94, -65),
    (-46.07927429525623, 0xb7c1ece03ceff832, -130),
    (16.821585653439513, 0x9a2c9cf0162787aa, -39),
    (26.457086621281306, 0x8ff556727f139f44, -25),
    (7.302594027738394, 0xb984a29f72af42ee, -53),
    (37.54778118308883, 0x9001db9e9d82a8cc, -9),
    (-18.625248715190324, 0x8c040cd97688add8, -90),
    (19.52953662736593, 0x9086273febed1837, -35),
    (9.436987710501846, 0xc3ff7f234e0ec3ec, -50),
    (7.989520428249222, 0xb85e1c6d49c129e6, -52),
    (-4.379466869858696, 0xcd532d644664d4ad, -70),
    (33.99677805125414, 0x843cb21a506bb7b7, -14),
    (44.46810951079374, 0x8e6953117cbea673, 1),
    (-2.590166258035552, 0x999d916b22eff6f1, -67),
    (16.41522054746744, 0xcd6179f9cccef641, -40),
    (-43.93305724027803, 0xc4726d5d4ca5c678, -127),
    (20.14920213044239, 0x8648f391c1a8941e, -34),
    (14.712885452766884, 0x95ba8b724b78d1e3, -42),
    (49.30959394666341, 0x8ceadf3b00082218, 8),
    (32.19247866097149, 0xae1e72bd8311f6b4, -17),
    (-21.540446790585076, 0xf2d03b0c55cd107d, -95),
    (-11.420855755328915, 0xb7f3cb0e8da0b698, -80),
    (16.86527158841882, 0xa10f0d8cf25175c7, -39),
    (-47.74370719444114, 0x8b23c3f5d45314ef, -132),
    (-3.8304713700234174, 0xb1c2e87f0c839fc0, -69),
    (-33.195162109345546, 0x8a18002c4c7c051d, -111),
    (-38.29042055182681, 0xd88e7b9c46f9af6f, -119),
    (-44.10455806686896, 0xa57ca263f9a6c1e9, -127),
    (26.823298847252076, 0xcfa0247e456db1c1, -25),
    (-37.06597779813158, 0xb8322abce51c809f, -117),
    (-25.23851663030857, 0xc07941cbc96be7d5, -100),
    (-10.905029686677295, 0x9a0fe2bd57c6db90, -79),
    (37.14219741262994, 0xbffca50e0c5e2b71, -10),
    (-41.941869879986136, 0xb3da4d167dfbb317, -124),
    (-5.081259905066901, 0xcb8eaec18a9944bf, -71),
    (4.9439909144037415, 0x8c5444d3faa39c1e, -56),
    (38.33838264415125, 0x9ebf7c4874915e9f, -8),
    (31.927983783574135, 0x85a70f70d2111ddc, -17),
    (36.39844696985152, 0xb683712b32e030ea, -11),
    (-22.157893548610286, 0x82f43c93c1e2b015, -95),
    (-8.470348278830144, 0xdbc5e54cb3d74122, -76),
    (-14.122883466837521, 0xc566ad0f194e61c8, -84),
    (38.419282719821695, 0xac1fdf3d9a2a9631, -8),
    (45.77312039639912, 0x834b2f73067e398b, 3),
    (-34.907909420889105, 0xc74367719b279c38, -114),
    (-32.37822715096297, 0x9c4a88a7f9408ded, -110),
    (-26.804313318046425, 0xa0d8f8acecd5c2f2, -102),
    (-26.66639163191389, 0xb8a274624859be55, -102),
    (-1.5037269658643382, 0xe3a2a3cf284653b7, -66),
    (8.912350373225564, 0xe7f8b37b298a92dc, -51),
    (-23.725338070146208, 0xda8337628a360e78, -98),
    (-49.590639661493604, 0xaf8fa9aef4e52e18, -135),
    (-8.105349887467206, 0x9e4af591b987a781, -75),
    (-13.074642710527463, 0x8cc7292f9dde32ae, -82),
    (6.634122370639197, 0xbe271e863ba85a59, -54),
    (45.309792552509535, 0xa5376573af377344, 2),
    (19.049365713597794, 0xb2d3dc4b677da281, -36),
    (1.5491433070778413, 0x96a3500ab6c2076b, -61),
    (11.759274940912768, 0xf9df546eb3291d49, -47),
    (17.620008244950142, 0xab4a484f7cf7ef15, -38),
    (-44.60071067762098, 0xc98500388c10e9b0, -128),
    (39.95330100579521, 0xc7868640fa0b5278, -6),
    (27.996949070607286, 0xa7da84e205fd3a34, -23),
    (37.45131841344765, 0x82c3cf655531728a, -9),
    (29.787312119656605, 0xfb6dd585fbc06c53, -21),
    (-10.762109310873136, 0xb1bb593847a6a584, -79),
    (-10.102116767972703, 0xabef912faf8b1d16, -78),
    (-39.64629062896758, 0xdf3f14438ba9e46c, -121),
    (13.428956568570904, 0xa5de20b580a55126, -44),
    (-43.77521783813124, 0xe608fd743d564f0a, -127),
    (-43.26523841569752, 0xbf88a63a38b2c6e9, -126),
    (-29.123681455383554, 0xfd12a94b4933d34c, -106),
    (-33.76968122279026, 0x9b7c9f69fd8331e0, -112),
    (-15.994634776765658, 0xf2f7b02ab14c560f, -87),
    (-44.74243961097331, 0xaee3d9278a4383f5, -128),
    (-49.976671809864335, 0xeeacca504e1496ac, -136),
    (-34.873506772057205, 0xce3cde2473eddf1d, -114),
    (-39.85356319774035, 0xb5744986216e2543, -121),
    (-13.639007796542899, 0xa02076c66570cdea, -83),
    (-47.44991133338543, 0xbaa845b7a031c028, -132),
    (37.43323773738196, 0x806bfbdc8cccb4f9, -9),
    (11.406898778847875, 0xafaa08459962632c, -47),
    (-35.144951466910854, 0x9d35dc771d948f86, -114),
    (-24.77422434429227, 0x991a1d365a171594, -99),
    (-15.261045394629846, 0xfcfebd3c5a9b71a4, -86),
    (-13.583656047171758, 0xa93d70a9c9c7e1c3, -83),
    (-37.71577692378051, 0xc05b287a30385cea, -118),
    (34.893692648461496, 0xa21fd8118c71b527, -13),
    (49.31027217047139, 0x8d0358dd821fe08d, 8),
    (-3.401054084006624, 0x888d8ad4b760e492, -68),
    (-1.616534358373059, 0xcb5a0f12f78db31b, -66),
    (-41.41153384438344, 0x98d48580b53c2bc7, -123),
    (-39.78123832518315, 0xc3106b45256c6a99, -121),
    (-15.736416175699816, 0x9d4689318247c7d2, -86),
    (-23.52431082828199, 0x859544740fa835ad, -97),
    (32.885537812156045, 0xae1a8646afc662f3, -16),
    (-33.856138947356854, 0x8e9bc720c4c56211, -112),
    (-47.69042789547518, 0x92c107376663bc68, -132),
    (45.098557287470214, 0x85c1a883805fb8fb, 2),
    (2.8257395042124784, 0x86fcc2c0d74b0e6e, -59),
    (-35.33974611009093, 0x81627d9c2022816e, -114),
    (4.317242588211435, 0x95f692af22b8a1c2, -57),
    (-47.29575085778315, 0xd9c4dd237b821246, -132),
    (2.810944093830649, 0x85013e36bef3e9dd, -59),
    (47.85012427189727, 0x82f95a2f0cb5a618, 6),
    (36.33250302896688, 0xaaddb55045c0a78a, -11),
    (19.619678590780183, 0x9e282ce2f36a7a5f, -35),
    (-23.888480277063806, 0xb99eb513532d31a6, -98),
    (-13.330020823882116, 0xda1990b5bd3fdccc, -83),
    (-33.295796546566365, 0xf9bf0ce5dc3bfc08, -112),
    (27.19379084020312, 0x965e084e24456709, -24),
    (3.2592397492879, 0xd03ce894eed06e48, -59),
    (27.905489133817724, 0x992ecdf27bc8febf, -23),
    (-17.033500495223763, 0xabf371b20cacc6ce, -88),
    (-27.695832689681488, 0x83e7c68b8d815654, -103),
    (31.151124677359505, 0xf5d6eb498460824b, -19),
    (48.49260505908907, 0xf901b814ad126c02, 6),
    (35.262879874666055, 0xea85bc14d2d8624d, -13),
    (30.607858478566754, 0x8ecb9ef901793c95, -19),
    (31.83329433253732, 0xf327d3dda57589ea, -18),
    (23.98730203757141, 0xc2de7ec278f9e680, -29),
    (-27.32605099684151, 0xbeec1b3bb29080b0, -103),
    (1.7638724243505521, 0xbab83b631dcf7f4a, -61),
    (-14.443745664504185, 0x8f3814bcef3486d2, -84),
    (-47.10198492586346, 0x842a52deb85fb0ce, -131),
    (-47.20629245779355, 0xee25f1ee32ef8c89, -132),
    (-22.05814609509702, 0x90b0a7dc474b7edd, -95),
    (-24.082563673224342, 0x98dfe51cc637abb6, -98),
    (19.25219417001233, 0xdb0a06da18d03823, -36),
    (45.65150763413378, 0xe884d14a81f0baf9, 2),
    (-5.277232223327658, 0xa754cdf1ad0c6dc7, -71),
    (43.70212012762423, 0x84681b7e693351bb, 0),
    (48.803805820286016, 0xa9f478154012a306, 7),
    (45.50006313213332, 0xc7d788249a14a800, 2),
    (-13.536411463813394, 0xb16d748d9c2b0dad, -83),
    (-27.953767700376254, 0xcbd50930ec930bd7, -104),
    (-27.315417326927204, 0xc0f69ca661923db1, -103),
    (-30.329383658068277, 0x9794d467fb2ad0e2, -107),
    (-29.5626636723777, 0xa3277543b006ea29, -106),
    (12.406639743781824, 0xeeb0c7cebe1c05c0, -46),
    (40.03083378841143, 0xd79c5afc1c930a8d, -6),
    (34.04355272792898, 0x8a91c2f03a144938, -14),
    (-2.0526573738461806, 0x837985e362411b25, -66),
    (15.297804284100906, 0x865eb2eb952cdbac, -41),
    (29.964374484966015, 0x9610ed1ee53e217f, -20),
    (-9134.873298091637, 0x8f5e936638c5f466, -13242),
    (3532.88430450767, 0xeab2df25322eab99, 5033),
    (9015.097026137904, 0x8336aa458db63e52, 12943),
    (6210.663450157979, 0x888e9bfb2c4970d6, 8897),
    (5503.090116270087, 0x9b815dedd082e706, 7876),
    (-483.27961893199426, 0xdb040423f3d15764, -761),
    (-7072.522196573382, 0xb5f00ac3731d537b, -10267),
    (6360.9794824460805, 0xf7e3c36c9e7c0805, 9113),
    (-3684.621602978582, 0x9489aa0e228270c2, -5379),
    (6618.118515727201, 0xf3542561d8ee1429, 9484),
    (10376.460357607484, 0x862b14e418d17f9c, 14907),
    (-2291.5531084721406, 0xfdd3629d490ccd11, -3370),
    (-2169.490006910568, 0x880184ca8ae90bbd, -3193),
    (9829.534142227643, 0x81cd2348c6f2a747, 14118),
    (4945.570643952735, 0xf7523d7db1d747b5, 7071),
    (-7259.9194806182995, 0x8e0a9baad52f0b05, -10537),
    (-8205.155919446985, 0xb057f541b89698d0, -11901),
    (-7674.684591607224, 0xda5d7f4549036dc0, -11136),
    (8906.746106131264, 0xd29c7217c47a9857, 12786),
    (6743.043604708317, 0x8e92fe0404b0d444, 9665),
    (-7784.165207634769, 0xe283a08f32ec992c, -11294),
    (7183.230527558517, 0x942a354dc74d6c3d, 10300),
    (10566.73075583467, 0xbe06e2f084870ebe, 15181),
    (3459.902440192438, 0xbfe25da7aba8b309, 4928),
    (-3291.0347325349367, 0x83a53106c59e9652, -4811),
    (1070.5209677091407, 0xad145bf30e7ef844, 1481),
    (-8118.355255792091, 0xce6049f53b52ba01, -11776),
    (-10686.655360565677, 0xaab2d90d4d626366, -15481),
    (10359.583899230816, 0xd2e2b9b8e1f92465, 14882),
    (3292.8427328242724, 0xbdbd7986461bbded, 4687),
    (584.7830361792221, 0xcac1039d1ca8d8f2, 780),
    (9539.74571126339, 0xf63967b9f8c96c0b, 13699),
    (-1456.1923913353166, 0x8edc2a6a086cc033, -2164),
    (8178.344415766889, 0xe7d4cd888167310a, 11735),
    (7175.415539934864, 0xf4f657b6b3d7782b, 10288),
    (-6357.068578780726, 0xce4ffa2d89c626ab, -9235),
    (-5459.634149960016, 0xaa6995335ddd2b27, -7940),
    (-4554.733641255183, 0xf03ebed17024f8ba, -6635),
    (-5708.13336371664, 0xef91eb59fc78d423, -8299),
    (1901.6176996511567, 0xaf63e91ffdcdaa35, 2680),
    (-5293.974504055376, 0xa9fb56b86082dc27, -7701),
    (-1781.7238394000397, 0xb704f680c435ff7b, -2634),
    (-8116.379116923366, 0xba1f025daf6f6f71, -11773),
    (9020.375238942244, 0xc8f0c11f263d9234, 12950),
    (-3216.7514730283037, 0x93e9a682136109d6, -4704),
    (-920.458297621859, 0x8560cf4d1aea9773, -1391),
    (1833.6729849207004, 0xac8e5edc4549607e, 2582),
    (8894.529039924877, 0x88845af54dcb3700, 12769),
    (-1746.1780444005672, 0xde7d5df1179048b8, -2583),
    (9189.863855538613, 0x901bc177ddad7ee2, 13195),
    (36.27670464509356, 0xa197d62c03cdce2d, -11),
    (700.1491735905438, 0x895a4550ae66f38e, 947),
    (517.1448829176588, 0x8785065283f7ca73, 683),
    (-10588.492906080759, 0x83089f7d1279403c, -15339),
    (-1317.251927531246, 0xc2faae0354c92343, -1964),
    (-6971.626480011628, 0x86467b6af7d6b3d0, -10121),
    (-10913.485399835876, 0x8fe199f4d73be811, -15808),
    (6581.749910828876, 0xafd1f64165b68a62, 9432),
    (-7208.372331304125, 0xb729be2aa569bbe8, -10463),
    (-583.15548583696, 0xcdb5eba860d1bcfa, -905),
    (0.00045038654089475574, 0x800ec2f7922b5832, -63),
    (0.00011295124980442652, 0x8003b38ea9493e45, -63),
    (-0.0003480356979022719, 0xffe931f226d6a6d0, -64),
    (3.669742540607368e-05, 0x800133d8912793d1, -63),
    (0.0001108837497604937, 0x8003a2363de6e529, -63),
    (0.000568544950730951, 0x8012a2a8216bb823, -63),
    (-0.0007877811657901435, 0xffcc646e087f13aa, -64),
    (0.00012059226716790443, 0x8003f3a9898e8693, -63),
    (-0.00050301135791382, 0xffdf0afdef3364ad, -64),
    (-0.00044616585907043696, 0xffe2c43fa656a8c1, -64),
    (0.0005445221975109767, 0x8011d906f12ef3c0, -63),
    (1.5427983584641184e-05, 0x8000816b9919885d, -63),
    (0.00012345877331295242, 0x80040bb61048de72, -63),
    (0.0005199862851800333, 0x80110b186b5e7fe3, -63),
    (0.000824976072659624, 0x801b0b4199a45be0, -63),
    (-0.00011350321284512232, 0xfff88fd713e96423, -64),
    (0.00022505576868892072, 0x8007601df8ec6978, -63),
    (1.110626170244323e-05, 0x80005d2aa5d8f7f9, -63),
    (2.4322944870638777e-05, 0x8000cc09c2f961fe, -63),
    (0.00038546200509645824, 0x800ca21ce9349617, -63),
    (-0.03335794541456322, 0xf799ea0e6eaa9203, -64),
    (0.023299806305419613, 0x830473bcce1e5c0a, -63),
    (-0.015374577377540666, 0xfc181e2691f6cfb7, -64),
    (0.3090507892769505, 0xae5a539ef569215c, -63),
    (0.13945251752620003, 0x93278aabe376e7f9, -63),
    (0.2635748372464154, 0xa699ffebaaeff1aa, -63),
    (0.30952641181250296, 0xae6f8f8f9e596ca1, -63),
    (-0.1682853941176165, 0xd8594ccdcd597c62, -64),
    (0.04165966454840042, 0x8571f012838e9001, -63),
    (0.3102869238094387, 0xae9188e82251ba63, -63),
    (0.23799984837524402, 0xa2650e788d618585, -63),
    (-0.25400589487220393, 0xc6937032701fc276, -64),
    (-0.2648646319310735, 0xc46e6a75454b04b6, -64),
    (-0.040517338207469444, 0xf5d5baf0decaee0b, -64),
    (-0.29921773024045817, 0xbdcc41d606bfe949, -64),
    (-0.18155286908271107, 0xd57f547f82b4107e, -64),
    (-0.29881546311912793, 0xbddfce7adb6ce6fc, -64),
    (0.11863050171692702, 0x901f41153eec5849, -63),
    (0.1987552120212086, 0x9c2522f2d1363f64, -63),
    (0.27791850301513676, 0xa9022a5e7f848671, -63),
    (-0.24188736336191552, 0xc8ff3cb0a7f4a24e, -64),
    (0.15128391795173735, 0x94e7e5584b66ca93, -63),
    (0.11217956063395956, 0x8f3202db8a32aa99, -63),
    (-0.24991470145303396, 0xc763d786b525c616, -64),
    (0.26798298355995276, 0xa7566c10148cebd9, -63),
    (0.3272813478664687, 0xb18f7f70a7069e83, -63),
    (-0.19628851843865622, 0xd25fda68eb1f304c, -64),
    (0.31675289024329034, 0xafb36e9aa0c25819, -63),
    (-0.07122018769790966, 0xee66d8ca963c210d, -64),
    (-0.008917457506383897, 0xfdba2efb50c1c552, -64),
    (0.34291001832100054, 0xb45b7cba2f11dc21, -63),
    (0.23271126863806335, 0xa189c642f2fefaeb, -63),
    (-0.23697375808338458, 0xc9fcb0a1cc671943, -64),
    (-0.04793472740165278, 0xf404a739f5cb6739, -64),
    (0.010923540463051329, 0x8167e79b34454303, -63),
    (-0.11261869896282609, 0xe4bbd8456ffccf7a, -64),
    (-0.21297873370624817, 0xcee4726b95fd30b5, -64),
    (-0.1270321021636142, 0xe175e8b8ab46a439, -64),
    (0.15550558459883002, 0x95892a612f0d69f3, -63),
    (-0.3363619503633248, 0xb6e0976d6c350601, -64),
];
