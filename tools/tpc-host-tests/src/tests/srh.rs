// SPDX-License-Identifier: GPL-2.0

//! SRH encoding against hand-computed bytes, validation rule by rule, and
//! validation against a reference built from the rules of the spec.

use super::util::{addr, arb_waypoints, srh_of};
use crate::srh::{encode, validate, waypoints, Addr, SrhError, MAX_SRH_LEN, MAX_WAYPOINTS};
use proptest::prelude::*;
use std::vec;
use std::vec::Vec;

/// Encodes into a buffer pre-filled with 0xaa, and checks that nothing past
/// the SRH was written.
fn encode_dirty(w: &[Addr]) -> Vec<u8> {
    let mut buf = [0xaau8; MAX_SRH_LEN + 8];
    let n = encode(w, &mut buf).unwrap();
    assert!(buf[n..].iter().all(|&b| b == 0xaa), "wrote past the SRH");
    buf[..n].to_vec()
}

/// The SRH visiting fd00:a::1 then fd00:b::2 (entries: ::, fd00:b::2, fd00:a::1).
fn two() -> Vec<u8> {
    srh_of(&[addr("fd00:a::1"), addr("fd00:b::2")])
}

/// A copy of `b` changed by `f`.
fn with(b: &[u8], f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut v = b.to_vec();
    f(&mut v);
    v
}

/// An otherwise well-formed SRH of `entries` entries (zero addresses).
fn raw_srh(entries: usize) -> Vec<u8> {
    let mut b = vec![0u8; 8 + 16 * entries];
    b[1] = (2 * entries) as u8;
    b[2] = 4;
    b[3] = (entries - 1) as u8;
    b[4] = (entries - 1) as u8;
    b
}

/// The acceptance rule of spec section 5.2 plus the module's limits,
/// written independently of `validate`: the number of entries, or `None`.
fn spec_valid(b: &[u8]) -> Option<usize> {
    if b.len() < 8 {
        return None;
    }
    let (hdrlen, ty, sl, fs, flags) = (
        usize::from(b[1]),
        b[2],
        usize::from(b[3]),
        usize::from(b[4]),
        b[5],
    );
    let length_ok = b.len() == (hdrlen + 1) * 8;
    // first_segment <= hdrlen/2 - 1, which needs hdrlen >= 2.
    let fs_ok = hdrlen >= 2 && fs < hdrlen / 2;
    let no_tlv = b.len() == 8 + 16 * (fs + 1);
    let ok = length_ok && ty == 4 && sl <= fs && fs_ok && no_tlv && fs < 10 && flags & 0x08 == 0;
    ok.then_some(fs + 1)
}

#[test]
fn encode_one_waypoint_matches_hand_computed_bytes() {
    let w = addr("fd00:1::1");
    #[rustfmt::skip]
    let want: [u8; 40] = [
        // nexthdr, hdrlen 2(n+1) = 4, type 4, SL = 1, FS = 1, flags, tag
        0x00, 0x04, 0x04, 0x01, 0x01, 0x00, 0x00, 0x00,
        // segments[0] = ::
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        // segments[1] = fd00:1::1
        0xfd, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01,
    ];
    assert_eq!(encode_dirty(&[w]), want);
    assert_eq!(validate(&want), Ok(2));
}

#[test]
fn encode_two_waypoints_reverses_them() {
    #[rustfmt::skip]
    let want: [u8; 56] = [
        // hdrlen 6, type 4, SL = FS = 2
        0x00, 0x06, 0x04, 0x02, 0x02, 0x00, 0x00, 0x00,
        // segments[0] = ::
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        // segments[1] = fd00:b::2, visited last
        0xfd, 0x00, 0x00, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02,
        // segments[2] = fd00:a::1, visited first (segments[segments_left])
        0xfd, 0x00, 0x00, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01,
    ];
    assert_eq!(encode_dirty(&[addr("fd00:a::1"), addr("fd00:b::2")]), want);
    assert_eq!(two(), want);
    let back: Vec<Addr> = waypoints(&want).collect();
    assert_eq!(back, [addr("fd00:a::1"), addr("fd00:b::2")]);
}

#[test]
fn encode_limits() {
    let mut buf = [0u8; 2 * MAX_SRH_LEN];
    assert_eq!(encode(&[], &mut buf), Err(SrhError::NoSegments));
    let ten = [addr("fd00::1"); MAX_WAYPOINTS + 1];
    assert_eq!(encode(&ten, &mut buf), Err(SrhError::TooManySegments));
    // Nine waypoints fill the largest SRH exactly.
    assert_eq!(encode(&ten[..9], &mut buf), Ok(MAX_SRH_LEN));
    assert_eq!(validate(&buf[..MAX_SRH_LEN]), Ok(10));
    // The buffer must hold the whole SRH: 16n + 24 bytes.
    let w = [addr("fd00::1"), addr("fd00::2")];
    assert_eq!(encode(&w, &mut buf[..55]), Err(SrhError::NoSpace));
    assert_eq!(encode(&w, &mut buf[..56]), Ok(56));
}

#[test]
fn validate_rejects_each_rule_with_its_error() {
    let ok = two();
    assert_eq!(validate(&ok), Ok(3));
    let cases: Vec<(&str, Vec<u8>, SrhError)> = vec![
        ("empty", vec![], SrhError::TooShort),
        ("7 bytes", ok[..7].to_vec(), SrhError::TooShort),
        ("9 bytes", ok[..9].to_vec(), SrhError::NotMultipleOf8),
        (
            "one extra byte",
            with(&ok, |b| b.push(0)),
            SrhError::NotMultipleOf8,
        ),
        ("cut by 8", ok[..48].to_vec(), SrhError::LengthMismatch),
        (
            "hdrlen too small",
            with(&ok, |b| b[1] = 4),
            SrhError::LengthMismatch,
        ),
        (
            "hdrlen too big",
            with(&ok, |b| b[1] = 8),
            SrhError::LengthMismatch,
        ),
        ("type 0", with(&ok, |b| b[2] = 0), SrhError::BadType),
        ("type 2 (MIPv6)", with(&ok, |b| b[2] = 2), SrhError::BadType),
        ("type 5", with(&ok, |b| b[2] = 5), SrhError::BadType),
        (
            "hdrlen 0",
            vec![0, 0, 4, 0, 0, 0, 0, 0],
            SrhError::NoSegments,
        ),
        (
            "hdrlen 1",
            with(&[0; 16], |b| {
                b[1] = 1;
                b[2] = 4
            }),
            SrhError::NoSegments,
        ),
        ("11 entries", raw_srh(11), SrhError::TooManySegments),
        (
            "FS beyond entries",
            with(&ok, |b| b[4] = 3),
            SrhError::BadFirstSegment,
        ),
        (
            "FS 255",
            with(&ok, |b| b[4] = 255),
            SrhError::BadFirstSegment,
        ),
        (
            "SL > FS",
            with(&ok, |b| b[3] = 3),
            SrhError::BadSegmentsLeft,
        ),
        // FS = 1 leaves the last 16 bytes after the entries: a TLV area.
        (
            "16 bytes after the entries",
            with(&ok, |b| {
                b[3] = 1;
                b[4] = 1
            }),
            SrhError::Tlv,
        ),
        (
            "8 bytes of padding TLV",
            with(&ok, |b| {
                b.extend([1, 6, 0, 0, 0, 0, 0, 0]);
                b[1] = 7
            }),
            SrhError::Tlv,
        ),
        ("HMAC flag", with(&ok, |b| b[5] = 0x08), SrhError::Hmac),
        (
            "HMAC among other flags",
            with(&ok, |b| b[5] = 0xff),
            SrhError::Hmac,
        ),
    ];
    for (what, b, want) in cases {
        assert_eq!(validate(&b), Err(want), "{what}");
        assert_eq!(spec_valid(&b), None, "reference disagrees: {what}");
    }
}

#[test]
fn validate_accepts_what_the_kernel_accepts() {
    let ok = two();
    // Partly traversed: SL below FS.
    assert_eq!(validate(&with(&ok, |b| b[3] = 0)), Ok(3));
    assert_eq!(validate(&with(&ok, |b| b[3] = 1)), Ok(3));
    // Any next header, tag and flags other than HMAC.
    assert_eq!(
        validate(&with(&ok, |b| {
            b[0] = 6;
            b[5] = 0xf7;
            b[6] = 0xff;
            b[7] = 1
        })),
        Ok(3)
    );
    // One entry (only the destination) and ten entries.
    assert_eq!(validate(&raw_srh(1)), Ok(1));
    assert_eq!(validate(&raw_srh(10)), Ok(10));
}

/// A buffer with a chance of being an SRH: multiple-of-8 length, often a
/// matching hdrlen, type 4 and a TLV-free first_segment.
fn shaped() -> impl Strategy<Value = Vec<u8>> {
    (
        1usize..=27,
        0u8..13,
        0u8..13,
        any::<[bool; 4]>(),
        proptest::collection::vec(any::<u8>(), 216),
    )
        .prop_map(
            |(units, fs, sl, [exact, fix_len, fix_type, no_hmac], fill)| {
                let units = if exact {
                    2 * usize::from(fs) + 3
                } else {
                    units
                };
                let mut b = fill[..units * 8].to_vec();
                b[3] = sl;
                b[4] = fs;
                if fix_len {
                    b[1] = (units - 1) as u8;
                }
                if fix_type {
                    b[2] = 4;
                }
                if no_hmac {
                    b[5] &= !0x08;
                }
                b
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// encode builds a valid SRH whose waypoints read back in order, and whose
    /// header fields are the controller's: hdrlen 2(n+1), SL = FS = n, entry 0 ::.
    #[test]
    fn encode_validate_waypoints_round_trip(w in arb_waypoints()) {
        let b = encode_dirty(&w);
        let n = w.len();
        prop_assert_eq!(b.len(), 16 * n + 24);
        prop_assert_eq!(validate(&b), Ok(n + 1));
        prop_assert_eq!((b[1], b[2], b[3], b[4]), ((2 * (n + 1)) as u8, 4, n as u8, n as u8));
        prop_assert_eq!(&b[8..24], &[0u8; 16]);
        let back: Vec<Addr> = waypoints(&b).collect();
        prop_assert_eq!(back, w);
    }

    /// Breaking one rule of a valid SRH gives that rule's error.
    #[test]
    fn single_rule_violations(w in arb_waypoints(), ty in any::<u8>(), extra in 1u8..=255) {
        prop_assume!(ty != 4);
        let ok = srh_of(&w);
        let fs = ok[4];
        prop_assert_eq!(validate(&with(&ok, |b| b[2] = ty)), Err(SrhError::BadType));
        prop_assert_eq!(validate(&with(&ok, |b| b[5] |= 0x08)), Err(SrhError::Hmac));
        prop_assert_eq!(
            validate(&with(&ok, |b| b[3] = fs.saturating_add(extra))),
            Err(SrhError::BadSegmentsLeft)
        );
        prop_assert_eq!(
            validate(&with(&ok, |b| b[4] = fs.saturating_add(extra))),
            Err(SrhError::BadFirstSegment)
        );
        prop_assert_eq!(validate(&ok[..ok.len() - 8]), Err(SrhError::LengthMismatch));
        prop_assert_eq!(validate(&with(&ok, |b| b.push(0))), Err(SrhError::NotMultipleOf8));
        prop_assert_eq!(
            validate(&with(&ok, |b| { b.extend([0; 8]); b[1] += 1 })),
            Err(SrhError::Tlv)
        );
    }

    /// validate never panics, agrees with the spec's rules, and what it
    /// accepts has the structure the module relies on.
    #[test]
    fn validate_matches_reference(b in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        shaped(),
    ]) {
        let got = validate(&b);
        prop_assert_eq!(got.ok(), spec_valid(&b));
        if let Ok(n) = got {
            prop_assert_eq!(b.len(), 8 + 16 * n);
            prop_assert!((1..=10).contains(&n));
            prop_assert!(b[3] <= b[4]);
            prop_assert_eq!(usize::from(b[4]) + 1, n);
            prop_assert_eq!(waypoints(&b).count(), n - 1);
        }
        // Never panics, whatever the bytes.
        let _ = waypoints(&b).count();
    }
}
