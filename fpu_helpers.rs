// SPDX-License-Identifier: GPL-2.0

//! Soft float: a binary floating-point number in integer arithmetic only.
//!
//! Pure logic, shared by the module and the host tests. Why: the kernel is
//! built without FPU/SIMD code generation and may only touch the FPU
//! between `kernel_fpu_begin()` and `kernel_fpu_end()` (costly, and not
//! allowed in every context); Rust-for-Linux's compiler-builtins stubs for
//! hardware floating point and for 128-bit shifts and division panic. So
//! [`Sf`] uses `u64`, `i64` and `i32` only: 64x64 -> 128-bit products are
//! built from 32-bit halves, quotients by bitwise restoring long division.
//! No floating-point or 128-bit integer types, no `unsafe`
//! (`scripts/check-no-fp.sh` checks the built module).
//!
//! # Representation
//!
//! `value = (-1)^neg * mant * 2^exp`, with `mant` normalised (bit 63 set),
//! or the single zero `(neg false, mant 0, exp 0)`: every value has exactly
//! one representation, so the derived `==` is numeric equality. The
//! mantissa carries 64 significant bits (about 19.3 decimal digits).
//!
//! Non-zero magnitudes lie in `[2^-16000, 2^16000)` (about `3.3e-4817` to
//! `3.0e4816`): `exp` is within `[-16063, 15936]`.
//!
//! # Rounding, saturation, special cases
//!
//! - Every arithmetic operation (`+`, `-`, `*`, `/`, [`Sf::from_ratio`])
//!   computes the exact result and rounds it once to 64 bits, to nearest,
//!   ties to even (correctly rounded): relative error at most `2^-64`.
//! - A result whose magnitude reaches `2^16000` saturates to [`Sf::MAX`]
//!   (or [`Sf::MIN`] when negative). A non-zero result below `2^-16000`
//!   flushes to [`Sf::ZERO`] (no subnormals, no negative zero).
//! - There is no NaN and no infinity. `x / 0` is [`Sf::MAX`] for `x > 0`,
//!   [`Sf::MIN`] for `x < 0`, and `0 / 0` is [`Sf::ZERO`].
//! - [`Sf::exp`] takes bounded time (range reduction with a two-part
//!   `ln 2`, then a degree-15 polynomial): relative error below `1e-18`;
//!   `exp(0)` is exactly 1, large inputs saturate to [`Sf::MAX`] and very
//!   negative ones flush to [`Sf::ZERO`].
//! - [`Sf::scale_pow2`] and the integer constructors are exact (up to
//!   saturation); [`Sf::from_decimal`] is within one unit in the last place
//!   for up to 19 digits.
//! - Conversions to integers truncate or round as documented per method
//!   and saturate at the integer type's bounds.
//! - The order ([`Ord`]) is the total numeric order; `Display` prints fixed
//!   notation (9 fractional digits by default, trailing zeros trimmed, or
//!   the formatter's precision) and scientific notation for magnitudes of
//!   `1e15` and more or below `1e-6`.
//!
//! Every function is total: no panics, no overflowing arithmetic, for any
//! input.

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// Smallest exponent of a non-zero value (magnitude `>= 2^-16000`).
const EXP_MIN: i64 = -16_063;
/// Largest exponent of a non-zero value (magnitude `< 2^16000`).
const EXP_MAX: i64 = 15_936;
/// The normalised mantissa's top bit.
const TOP: u64 = 1 << 63;
/// Low 32 bits.
const LOW32: u64 = 0xffff_ffff;

/// A soft-float number: `(-1)^neg * mant * 2^exp`, `mant` normalised (bit
/// 63 set), or zero (`mant` 0, `exp` 0, `neg` false; there is one zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sf {
    neg: bool,
    mant: u64,
    exp: i32,
}

/// Checks the exponent range of a normalised mantissa (or zero):
/// saturates above it, flushes to zero below it.
const fn pack(neg: bool, mant: u64, exp: i64) -> Sf {
    if mant == 0 || exp < EXP_MIN {
        Sf::ZERO
    } else if exp > EXP_MAX {
        if neg {
            Sf::MIN
        } else {
            Sf::MAX
        }
    } else {
        Sf {
            neg,
            mant,
            exp: exp as i32,
        }
    }
}

/// Rounds `(hi * 2^64 + lo + s) * 2^exp` to 64 bits, to nearest, ties to
/// even, where `s` is a fraction in `(0, 1)` when `sticky` is set, else 0.
fn round_pack(neg: bool, hi: u64, lo: u64, sticky: bool, exp: i64) -> Sf {
    let (mut hi, mut lo, mut exp) = (hi, lo, exp);
    if hi == 0 {
        if lo == 0 {
            return Sf::ZERO;
        }
        hi = lo;
        lo = 0;
        exp = exp.wrapping_sub(64);
    }
    let s = hi.leading_zeros();
    if s > 0 {
        hi = (hi << s) | (lo >> (64 - s));
        lo <<= s;
        exp = exp.wrapping_sub(i64::from(s));
    }
    // The value is now (hi + lo / 2^64 + ...) * 2^(exp + 64).
    let mut exp = exp.wrapping_add(64);
    let half = lo >> 63 == 1;
    let rest = lo << 1 != 0 || sticky;
    if half && (rest || hi & 1 == 1) {
        hi = hi.wrapping_add(1);
        if hi == 0 {
            hi = TOP;
            exp = exp.wrapping_add(1);
        }
    }
    pack(neg, hi, exp)
}

/// The full 128-bit product `a * b` as `(high, low)` halves.
fn mul_wide(a: u64, b: u64) -> (u64, u64) {
    let (a1, a0) = (a >> 32, a & LOW32);
    let (b1, b0) = (b >> 32, b & LOW32);
    // Each partial product of 32-bit halves fits in 64 bits.
    let p00 = a0.wrapping_mul(b0);
    let p01 = a0.wrapping_mul(b1);
    let p10 = a1.wrapping_mul(b0);
    let p11 = a1.wrapping_mul(b1);
    // At most 3 * (2^32 - 1): no carry out.
    let mid = (p00 >> 32)
        .wrapping_add(p01 & LOW32)
        .wrapping_add(p10 & LOW32);
    let lo = (mid << 32) | (p00 & LOW32);
    let hi = p11
        .wrapping_add(p01 >> 32)
        .wrapping_add(p10 >> 32)
        .wrapping_add(mid >> 32);
    (hi, lo)
}

/// Compares magnitudes.
fn cmp_mag(a: Sf, b: Sf) -> Ordering {
    if a.mant == 0 || b.mant == 0 {
        // A normalised mantissa is above zero.
        a.mant.cmp(&b.mant)
    } else {
        (a.exp, a.mant).cmp(&(b.exp, b.mant))
    }
}

/// `10^n` by binary powering, `n` clamped to 4999 (callers stay far below
/// the saturation near 4816). At most 13 squarings: relative error below
/// about `n * 2^-63`.
fn pow10(n: u32) -> Sf {
    if n <= 19 {
        return Sf::from_u64(10u64.saturating_pow(n));
    }
    let (mut n, mut base, mut acc) = (n.min(4999), Sf::from_u64(10), Sf::ONE);
    while n != 0 {
        if n & 1 == 1 {
            acc = acc.mul(base);
        }
        n >>= 1;
        if n != 0 {
            base = base.mul(base);
        }
    }
    acc
}

/// `1 / n!` for `n` in `0..=15`, correctly rounded: the Taylor
/// coefficients of `exp`. Degree 15 on `|r| <= ln 2 / 2`: truncation error
/// below `(ln 2 / 2)^16 / 16! < 3e-21`, under the rounding error.
const INV_FACT: [Sf; 16] = [
    Sf::from_raw(false, 0x8000000000000000, -63),
    Sf::from_raw(false, 0x8000000000000000, -63),
    Sf::from_raw(false, 0x8000000000000000, -64),
    Sf::from_raw(false, 0xaaaaaaaaaaaaaaab, -66),
    Sf::from_raw(false, 0xaaaaaaaaaaaaaaab, -68),
    Sf::from_raw(false, 0x8888888888888889, -70),
    Sf::from_raw(false, 0xb60b60b60b60b60b, -73),
    Sf::from_raw(false, 0xd00d00d00d00d00d, -76),
    Sf::from_raw(false, 0xd00d00d00d00d00d, -79),
    Sf::from_raw(false, 0xb8ef1d2ab6399c7d, -82),
    Sf::from_raw(false, 0x93f27dbbc4fae397, -85),
    Sf::from_raw(false, 0xd7322b3faa271c7f, -89),
    Sf::from_raw(false, 0x8f76c77fc6c4bdaa, -92),
    Sf::from_raw(false, 0xb092309d43684be5, -96),
    Sf::from_raw(false, 0xc9cba54603e4e906, -100),
    Sf::from_raw(false, 0xd73f9f399dc0f88f, -104),
];
/// `ln 2` cut to 48 significant bits: `k * LN2_HI` is exact for `|k| < 2^16`.
const LN2_HI: Sf = Sf::from_raw(false, 0xb17217f7d1cf0000, -64);
/// `ln 2 - LN2_HI`, correctly rounded.
const LN2_LO: Sf = Sf::from_raw(false, 0xf35793c7673007e6, -113);
/// `1 / ln 2`, correctly rounded.
const INV_LN2: Sf = Sf::from_raw(false, 0xb8aa3b295c17f0bc, -63);
/// `10^-6`, correctly rounded: below it [`Sf`]'s `Display` goes scientific.
const MICRO: Sf = Sf::from_raw(false, 0x8637bd05af6c69b6, -83);
/// `10^15`: from it on [`Sf`]'s `Display` goes scientific.
const PETA: Sf = Sf::from_u64(1_000_000_000_000_000);

impl Sf {
    /// Zero (the only one: there is no negative zero).
    pub(crate) const ZERO: Sf = Sf {
        neg: false,
        mant: 0,
        exp: 0,
    };
    /// One.
    pub(crate) const ONE: Sf = Sf {
        neg: false,
        mant: TOP,
        exp: -63,
    };
    /// The largest finite value, `(2^64 - 1) * 2^15936` (just below
    /// `2^16000`); results above it saturate to it.
    pub(crate) const MAX: Sf = Sf {
        neg: false,
        mant: u64::MAX,
        exp: EXP_MAX as i32,
    };
    /// The most negative value, `-MAX`.
    pub(crate) const MIN: Sf = Sf {
        neg: true,
        mant: u64::MAX,
        exp: EXP_MAX as i32,
    };

    /// The unsigned integer `v` (exact).
    pub(crate) const fn from_u64(v: u64) -> Sf {
        Sf::from_raw(false, v, 0)
    }

    /// The signed integer `v` (exact).
    pub(crate) const fn from_i64(v: i64) -> Sf {
        Sf::from_raw(v < 0, v.unsigned_abs(), 0)
    }

    /// `num / den`, correctly rounded. `den == 0` gives [`Sf::MAX`] if
    /// `num > 0` and [`Sf::ZERO`] if `num == 0`.
    pub(crate) fn from_ratio(num: u64, den: u64) -> Sf {
        Sf::from_u64(num).div(Sf::from_u64(den))
    }

    /// `int + frac / 10^digits`. `digits == 0` means there is no fraction:
    /// `frac` is ignored. `frac` may exceed `10^digits`. For `digits <= 19`
    /// the result is within one unit in the last place; for larger
    /// `digits` the fraction's relative error stays below `digits * 2^-62`,
    /// and for `digits >= 5000` it is below the smallest value and counts
    /// as 0.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn from_decimal(int: u64, frac: u64, digits: u32) -> Sf {
        let int = Sf::from_u64(int);
        if digits == 0 || frac == 0 || digits >= 5000 {
            return int;
        }
        let frac = if digits <= 19 {
            Sf::from_ratio(frac, 10u64.saturating_pow(digits))
        } else {
            // Two steps keep each power of ten far from saturation.
            let half = digits / 2;
            Sf::from_u64(frac)
                .div(pow10(half))
                .div(pow10(digits - half))
        };
        int.add(frac)
    }

    /// `(-1)^neg * mant * 2^exp` for any `mant` (normalised here; exact),
    /// saturating and flushing like every result. `mant == 0` is zero.
    pub(crate) const fn from_raw(neg: bool, mant: u64, exp: i32) -> Sf {
        if mant == 0 {
            return Sf::ZERO;
        }
        let lz = mant.leading_zeros();
        pack(neg, mant << lz, exp as i64 - lz as i64)
    }

    /// `(neg, mant, exp)` with `mant` normalised (bit 63 set), or
    /// `(false, 0, 0)` for zero.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn to_raw(self) -> (bool, u64, i32) {
        (self.neg, self.mant, self.exp)
    }

    /// `self + o`, correctly rounded.
    pub(crate) fn add(self, o: Sf) -> Sf {
        if self.mant == 0 {
            return o;
        }
        if o.mant == 0 {
            return self;
        }
        let (a, b) = if cmp_mag(self, o) == Ordering::Less {
            (o, self)
        } else {
            (self, o)
        };
        // |a| >= |b|, both normalised: a.exp >= b.exp.
        let d = i64::from(a.exp).wrapping_sub(i64::from(b.exp));
        // 128-bit frame in units of 2^(a.exp - 63): a's mantissa at bits
        // 63..126, so a sum stays below 2^128.
        let (ahi, alo) = (a.mant >> 1, a.mant << 63);
        let (bhi, blo, sticky) = if d <= 63 {
            let s = 63 - d as u32;
            let hi = if s == 0 { 0 } else { b.mant >> (64 - s) };
            (hi, b.mant << s, false)
        } else if d < 127 {
            let r = (d - 63) as u32;
            (0, b.mant >> r, b.mant << (64 - r) != 0)
        } else {
            (0, 0, true)
        };
        let (hi, lo, sticky) = if a.neg == b.neg {
            let lo = alo.wrapping_add(blo);
            let carry = u64::from(lo < alo);
            (ahi.wrapping_add(bhi).wrapping_add(carry), lo, sticky)
        } else {
            let lo = alo.wrapping_sub(blo);
            let borrow = u64::from(alo < blo);
            let hi = ahi.wrapping_sub(bhi).wrapping_sub(borrow);
            if sticky {
                // a - (b_cut + s) = (a - b_cut - 1) + (1 - s), 0 < 1 - s < 1.
                let borrow = u64::from(lo == 0);
                (hi.wrapping_sub(borrow), lo.wrapping_sub(1), true)
            } else {
                (hi, lo, false)
            }
        };
        round_pack(a.neg, hi, lo, sticky, i64::from(a.exp).wrapping_sub(63))
    }

    /// `self - o`, correctly rounded.
    pub(crate) fn sub(self, o: Sf) -> Sf {
        self.add(o.neg())
    }

    /// `self * o`, correctly rounded.
    pub(crate) fn mul(self, o: Sf) -> Sf {
        if self.mant == 0 || o.mant == 0 {
            return Sf::ZERO;
        }
        let (hi, lo) = mul_wide(self.mant, o.mant);
        let exp = i64::from(self.exp).wrapping_add(i64::from(o.exp));
        round_pack(self.neg != o.neg, hi, lo, false, exp)
    }

    /// `self / o`, correctly rounded. `x / 0` is [`Sf::MAX`] for `x > 0`,
    /// [`Sf::MIN`] for `x < 0`; `0 / 0` is [`Sf::ZERO`].
    pub(crate) fn div(self, o: Sf) -> Sf {
        if self.mant == 0 {
            return Sf::ZERO;
        }
        if o.mant == 0 {
            return if self.neg { Sf::MIN } else { Sf::MAX };
        }
        let (ma, mb) = (self.mant, o.mant);
        let exp = i64::from(self.exp).wrapping_sub(i64::from(o.exp));
        // Quotient of ma * 2^64 (or 2^63 when ma >= mb) by mb: 64 bits with
        // the top one set, since ma / mb is in (1/2, 2).
        let (mut q, mut rem, steps, exp) = if ma >= mb {
            (1u64, ma.wrapping_sub(mb), 63, exp.wrapping_sub(63))
        } else {
            (0u64, ma, 64, exp.wrapping_sub(64))
        };
        for _ in 0..steps {
            // rem < mb; the doubled remainder may need 65 bits.
            let carry = rem >> 63;
            rem <<= 1;
            let take = carry | u64::from(rem >= mb);
            rem = rem.wrapping_sub(mb & take.wrapping_neg());
            q = (q << 1) | take;
        }
        // The rest is rem / mb in [0, 1): compare it with 1/2.
        let other = mb.wrapping_sub(rem);
        let mut exp = exp;
        if rem > other || (rem == other && q & 1 == 1) {
            q = q.wrapping_add(1);
            if q == 0 {
                q = TOP;
                exp = exp.wrapping_add(1);
            }
        }
        pack(self.neg != o.neg, q, exp)
    }

    /// `-self` (zero stays zero).
    pub(crate) fn neg(self) -> Sf {
        if self.mant == 0 {
            self
        } else {
            Sf {
                neg: !self.neg,
                ..self
            }
        }
    }

    /// `e^self`, relative error below `1e-18`, in bounded time.
    ///
    /// `self = k * ln 2 + r` with `|r| <= ln 2 / 2` (`ln 2` in two parts, so
    /// `r` is accurate to about `2^-64`), `e^r` by a degree-15 Taylor
    /// polynomial in Horner form (truncation error below `3e-21`), then
    /// `e^self = e^r * 2^k`. `exp(0)` is exactly 1. Inputs above
    /// `ln MAX` (about 11090.35) give [`Sf::MAX`], inputs below
    /// `-16000 * ln 2` flush to [`Sf::ZERO`].
    pub(crate) fn exp(self) -> Sf {
        if self.mant == 0 {
            return Sf::ONE;
        }
        if self.exp > -50 {
            // |self| >= 2^14 = 16384: far beyond either end.
            return if self.neg { Sf::ZERO } else { Sf::MAX };
        }
        // |self| < 2^14, so |k| < 2^15 and k * LN2_HI is exact.
        let k = self.mul(INV_LN2).round_i64();
        let kf = Sf::from_i64(k);
        let r = self.sub(kf.mul(LN2_HI)).sub(kf.mul(LN2_LO));
        let mut p = Sf::ZERO;
        for c in INV_FACT.iter().rev() {
            p = p.mul(r).add(*c);
        }
        // |k| < 2^15: the conversion is exact.
        p.scale_pow2(k as i32)
    }

    /// `self * 2^k` (exact unless it saturates or flushes to zero).
    pub(crate) fn scale_pow2(self, k: i32) -> Sf {
        if self.mant == 0 {
            return Sf::ZERO;
        }
        pack(
            self.neg,
            self.mant,
            i64::from(self.exp).wrapping_add(i64::from(k)),
        )
    }

    /// The integer part of `|self|` (truncated), saturating at `u64::MAX`.
    fn trunc_mag(self) -> u64 {
        if self.mant == 0 || self.exp <= -64 {
            0
        } else if self.exp < 0 {
            self.mant >> (-self.exp) as u32
        } else if self.exp == 0 {
            self.mant
        } else {
            u64::MAX
        }
    }

    /// `|self|` rounded to the nearest integer, halves up, saturating at
    /// `u64::MAX`.
    fn round_mag(self) -> u64 {
        if self.mant == 0 || self.exp < -64 {
            0
        } else if self.exp == -64 {
            // In [1/2, 1).
            1
        } else if self.exp < 0 {
            let s = (-self.exp) as u32;
            // s >= 1: the truncated value is below 2^63, +1 cannot overflow.
            (self.mant >> s).wrapping_add((self.mant >> (s - 1)) & 1)
        } else if self.exp == 0 {
            self.mant
        } else {
            u64::MAX
        }
    }

    /// Rounds to the nearest integer, halves away from zero, saturating at
    /// the `i64` bounds.
    fn round_i64(self) -> i64 {
        Sf::signed(self.neg, self.round_mag())
    }

    /// `-mag` if `neg`, else `mag`, saturating at the `i64` bounds.
    fn signed(neg: bool, mag: u64) -> i64 {
        if neg {
            if mag >= TOP {
                i64::MIN
            } else {
                (mag as i64).wrapping_neg()
            }
        } else {
            mag.min(i64::MAX as u64) as i64
        }
    }

    /// Truncates toward zero; negative values give 0, values of `2^64`
    /// and more give `u64::MAX`.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn to_u64(self) -> u64 {
        if self.neg {
            0
        } else {
            self.trunc_mag()
        }
    }

    /// Truncates toward zero, saturating at `i64::MIN` and `i64::MAX`.
    pub(crate) fn to_i64(self) -> i64 {
        Sf::signed(self.neg, self.trunc_mag())
    }

    /// Rounds to the nearest integer, halves up; negative values give 0,
    /// values too large give `u64::MAX`.
    pub(crate) fn round_u64(self) -> u64 {
        if self.neg {
            0
        } else {
            self.round_mag()
        }
    }

    /// Whether this is zero.
    pub(crate) fn is_zero(self) -> bool {
        self.mant == 0
    }

    /// Whether this is below zero.
    pub(crate) fn is_negative(self) -> bool {
        self.neg
    }

    /// `|self|`.
    pub(crate) fn abs(self) -> Sf {
        Sf { neg: false, ..self }
    }

    /// The smaller of `self` and `o`.
    pub(crate) fn min(self, o: Sf) -> Sf {
        if o < self {
            o
        } else {
            self
        }
    }

    /// The larger of `self` and `o`.
    pub(crate) fn max(self, o: Sf) -> Sf {
        if o > self {
            o
        } else {
            self
        }
    }

    /// `(neg, int, frac)`: `|self| = int + frac / 10^digits`, `int`
    /// truncated and saturating at `u64::MAX`, `frac` the rest times
    /// `10^digits` rounded to nearest (halves up), a carry propagated into
    /// `int` (so `frac < 10^digits`). `digits` above 19 count as 19.
    pub(crate) fn to_decimal(self, digits: u32) -> (bool, u64, u64) {
        let digits = digits.min(19);
        let int = self.trunc_mag();
        if self.mant == 0 || self.exp >= 0 || self.exp < -128 || digits == 0 {
            // No fraction, or one below 2^-65 (times 10^19: below 0.28),
            // or none asked for: round the integer part.
            let int = if digits == 0 { self.round_mag() } else { int };
            return (self.neg, int, 0);
        }
        // The fraction as a 128-bit binary fraction hi.lo (units of 2^-128).
        let (hi, lo) = if self.exp > -64 {
            (self.mant << (64 + self.exp) as u32, 0)
        } else {
            // t in [0, 64]: 2^exp * 2^128 = 2^(64 - t).
            let t = (-64 - self.exp) as u32;
            if t == 0 {
                (self.mant, 0)
            } else if t == 64 {
                (0, self.mant)
            } else {
                (self.mant >> t, self.mant << (64 - t))
            }
        };
        let p = 10u64.saturating_pow(digits);
        // (hi * 2^64 + lo) * p = h1 * 2^128 + (h0 + l1) * 2^64 + l0.
        let (h1, h0) = mul_wide(hi, p);
        let (l1, _) = mul_wide(lo, p);
        let mid = h0.wrapping_add(l1);
        let q = h1.wrapping_add(u64::from(mid < h0));
        // The rest is mid / 2^64 plus lower bits: halves up.
        let frac = q.wrapping_add(mid >> 63);
        if frac >= p {
            (self.neg, int.saturating_add(1), 0)
        } else {
            (self.neg, int, frac)
        }
    }
}

impl Default for Sf {
    fn default() -> Sf {
        Sf::ZERO
    }
}

impl Ord for Sf {
    fn cmp(&self, o: &Sf) -> Ordering {
        match (self.neg, o.neg) {
            (false, false) => cmp_mag(*self, *o),
            (true, true) => cmp_mag(*o, *self),
            // Zero is never negative: a negative value is below any other.
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
        }
    }
}

impl PartialOrd for Sf {
    fn partial_cmp(&self, o: &Sf) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Add for Sf {
    type Output = Sf;
    fn add(self, o: Sf) -> Sf {
        Sf::add(self, o)
    }
}

impl Sub for Sf {
    type Output = Sf;
    fn sub(self, o: Sf) -> Sf {
        Sf::sub(self, o)
    }
}

impl Mul for Sf {
    type Output = Sf;
    fn mul(self, o: Sf) -> Sf {
        Sf::mul(self, o)
    }
}

impl Div for Sf {
    type Output = Sf;
    fn div(self, o: Sf) -> Sf {
        Sf::div(self, o)
    }
}

impl Neg for Sf {
    type Output = Sf;
    fn neg(self) -> Sf {
        Sf::neg(self)
    }
}

impl AddAssign for Sf {
    fn add_assign(&mut self, o: Sf) {
        *self = Sf::add(*self, o);
    }
}

impl SubAssign for Sf {
    fn sub_assign(&mut self, o: Sf) {
        *self = Sf::sub(*self, o);
    }
}

impl MulAssign for Sf {
    fn mul_assign(&mut self, o: Sf) {
        *self = Sf::mul(*self, o);
    }
}

impl DivAssign for Sf {
    fn div_assign(&mut self, o: Sf) {
        *self = Sf::div(*self, o);
    }
}

/// Most fractional digits `Display` prints (a larger precision counts as
/// this); digits after the 19th are zeros.
const MAX_PRECISION: usize = 100;

/// A fixed-size text buffer for `Display` (silently full at its end).
struct Buf {
    b: [u8; 128],
    n: usize,
}

impl Buf {
    fn push(&mut self, c: u8) {
        if let Some(s) = self.b.get_mut(self.n) {
            *s = c;
            self.n += 1;
        }
    }

    /// `v` in decimal, zero-padded to at least `width` digits.
    fn push_u64(&mut self, v: u64, width: usize) {
        let mut d = [0u8; 20];
        let (mut v, mut n) = (v, 0usize);
        loop {
            if let Some(s) = d.get_mut(n) {
                *s = b'0' + (v % 10) as u8;
                n += 1;
            }
            v /= 10;
            if v == 0 {
                break;
            }
        }
        for _ in n..width {
            self.push(b'0');
        }
        for c in d.iter().take(n).rev() {
            self.push(*c);
        }
    }

    /// `.` and `frac` as `digits` digits (zeros after the 19th), trailing
    /// zeros and a bare `.` removed if `trim`.
    fn push_frac(&mut self, frac: u64, digits: usize, trim: bool) {
        if digits == 0 {
            return;
        }
        let dot = self.n;
        self.push(b'.');
        self.push_u64(frac, digits.min(19));
        for _ in 19..digits {
            self.push(b'0');
        }
        if trim {
            while self.n > dot + 1 && self.b.get(self.n - 1) == Some(&b'0') {
                self.n -= 1;
            }
            if self.n == dot + 1 {
                self.n = dot;
            }
        }
    }

    fn as_str(&self) -> &str {
        self.b
            .get(..self.n)
            .and_then(|s| core::str::from_utf8(s).ok())
            .unwrap_or("?")
    }
}

/// Fixed notation with the formatter's precision (default: up to 9
/// fractional digits, trailing zeros removed), e.g. `2.5`, `-3`,
/// `6066.693561082`; scientific (`1.23456789e22`, `-5e-7`) when
/// `|x| >= 1e15` or `0 < |x| < 1e-6`. Width, fill and `+` are honoured.
impl fmt::Display for Sf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (digits, trim) = match f.precision() {
            Some(p) => (p.min(MAX_PRECISION), false),
            None => (9, true),
        };
        let d19 = digits.min(19) as u32;
        let a = self.abs();
        let mut buf = Buf { b: [0; 128], n: 0 };
        if a.mant != 0 && (a >= PETA || a < MICRO) {
            // 10^e10 <= a < 10^(e10 + 1); log10(2) ~ 78913 / 2^18 gives
            // e10 within one, fixed below.
            let log2 = i64::from(a.exp).wrapping_add(63);
            let mut e10 = log2.wrapping_mul(78_913) >> 18;
            let n = e10.unsigned_abs() as u32;
            let (p1, p2) = (pow10(n / 2), pow10(n - n / 2));
            let mut m = if e10 >= 0 {
                a.div(p1).div(p2)
            } else {
                a.mul(p1).mul(p2)
            };
            let ten = Sf::from_u64(10);
            if m >= ten {
                m = m.div(ten);
                e10 += 1;
            } else if m < Sf::ONE {
                m = m.mul(ten);
                e10 -= 1;
            }
            let (_, mut int, mut frac) = m.to_decimal(d19);
            if int >= 10 {
                int = 1;
                frac = 0;
                e10 += 1;
            }
            buf.push_u64(int, 1);
            buf.push_frac(frac, digits, trim);
            buf.push(b'e');
            if e10 < 0 {
                buf.push(b'-');
            }
            buf.push_u64(e10.unsigned_abs(), 1);
        } else {
            let (_, int, frac) = a.to_decimal(d19);
            buf.push_u64(int, 1);
            buf.push_frac(frac, digits, trim);
        }
        f.pad_integral(!self.neg, "", buf.as_str())
    }
}
