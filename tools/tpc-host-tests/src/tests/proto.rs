// SPDX-License-Identifier: GPL-2.0

//! Codec round trips, rejection of every malformed case, and fuzzing.

use crate::proto::*;
use proptest::prelude::*;
use std::vec;
use std::vec::Vec;

fn msg(len: u32, ty: u16, version: u8, flags: u8, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(&ty.to_le_bytes());
    v.push(version);
    v.push(flags);
    v.extend_from_slice(&seq.to_le_bytes());
    v.extend_from_slice(body);
    v
}

fn hello_body(min: u32, max: u32) -> Vec<u8> {
    let mut b = min.to_le_bytes().to_vec();
    b.extend_from_slice(&max.to_le_bytes());
    b
}

#[test]
fn hello_round_trip() {
    let mut buf = [0u8; MSG_MAX];
    let n = encode_hello(&mut buf, 7, 1, 3).unwrap();
    assert_eq!(n, HDR_LEN + 8);
    let (h, r) = decode_request(&buf[..n]).unwrap();
    assert_eq!(h.seq, 7);
    assert_eq!(h.len as usize, n);
    assert_eq!(r, Request::Hello { min: 1, max: 3 });

    let info = HelloInfo {
        version: 1,
        max_msg: MSG_MAX as u32,
        queue_bytes: 16384,
        module_version: MODULE_VERSION.as_bytes(),
    };
    let n = encode_hello_reply(&mut buf, 7, &info).unwrap();
    assert_eq!(n, HDR_LEN + HELLO_REPLY_BODY_LEN);
    let (h, r) = decode_reply(&buf[..n]).unwrap();
    assert_eq!(h.ty, MsgType::HelloReply as u16);
    assert_eq!(h.seq, 7);
    match r {
        Reply::Hello(got) => assert_eq!(got, info),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_requests_round_trip() {
    let mut buf = [0u8; 64];
    for (ty, want) in [
        (MsgType::GetCounters, Request::GetCounters),
        (MsgType::GetKnobs, Request::GetKnobs),
    ] {
        let n = encode_empty(&mut buf, ty, 0xdead_beef).unwrap();
        assert_eq!(n, HDR_LEN);
        assert_eq!(decode_request(&buf[..n]).unwrap().1, want);
    }
}

#[test]
fn counters_and_knobs_round_trip() {
    let mut buf = [0u8; MSG_MAX];
    let entries = [
        ("conns_active", 3u64),
        ("a_very_long_counter_name_that_is_cut", u64::MAX),
    ];
    let n = encode_counters(&mut buf, 1, entries.into_iter()).unwrap();
    assert_eq!(n, HDR_LEN + LIST_HDR_LEN + 2 * COUNTER_ENTRY_LEN);
    let Reply::Counters(e) = decode_reply(&buf[..n]).unwrap().1 else {
        panic!()
    };
    let got: Vec<_> = e.counters().collect();
    assert_eq!(got[0], (&b"conns_active"[..], 3));
    // Truncated to leave a terminating NUL.
    assert_eq!(got[1].0.len(), COUNTER_NAME_LEN - 1);
    assert_eq!(got[1].1, u64::MAX);

    let knobs = [KnobView {
        name: b"failover_rtos",
        value: 3,
        min: 1,
        max: 64,
    }];
    let n = encode_knobs(&mut buf, 2, knobs.into_iter()).unwrap();
    let Reply::Knobs(e) = decode_reply(&buf[..n]).unwrap().1 else {
        panic!()
    };
    assert_eq!(e.len(), 1);
    assert_eq!(e.knobs().next().unwrap(), knobs[0]);
}

#[test]
fn too_many_entries_do_not_fit() {
    let mut buf = [0u8; MSG_MAX];
    let many = core::iter::repeat(("x", 1u64)).take(MAX_COUNTERS + 1);
    assert_eq!(
        encode_counters(&mut buf, 0, many.collect::<Vec<_>>().into_iter()),
        Err(ProtoError::NoSpace)
    );
    let max = core::iter::repeat(("x", 1u64)).take(MAX_COUNTERS);
    let n = encode_counters(&mut buf, 0, max.collect::<Vec<_>>().into_iter()).unwrap();
    assert!(n <= MSG_MAX);
    // A small output buffer is an error, never a panic or a partial message.
    assert_eq!(
        encode_counters(&mut buf[..40], 0, [("a", 1u64), ("b", 2)].into_iter()),
        Err(ProtoError::NoSpace)
    );
    assert_eq!(
        encode_empty(&mut buf[..HDR_LEN - 1], MsgType::GetKnobs, 0),
        Err(ProtoError::NoSpace)
    );
}

#[test]
fn malformed_requests_are_rejected_with_the_right_error() {
    let t = MsgType::GetCounters as u16;
    let h = MsgType::Hello as u16;
    let cases: Vec<(Vec<u8>, ProtoError)> = vec![
        (vec![], ProtoError::Truncated),
        (vec![0; HDR_LEN - 1], ProtoError::Truncated),
        (vec![0; MSG_MAX + 1], ProtoError::TooLong),
        (msg(13, t, 1, 0, 0, &[]), ProtoError::LengthMismatch),
        (msg(11, t, 1, 0, 0, &[]), ProtoError::LengthMismatch),
        (msg(12, t, 1, 1, 0, &[]), ProtoError::BadFlags),
        (msg(12, t, 2, 0, 0, &[]), ProtoError::BadVersion),
        (msg(12, t, 0, 0, 0, &[]), ProtoError::BadVersion),
        (
            msg(12, 0x7777, 1, 0, 0, &[]),
            ProtoError::UnknownType(0x7777),
        ),
        // Replies are not requests.
        (
            msg(12, MsgType::Counters as u16, 1, 0, 0, &[]),
            ProtoError::UnknownType(0x8002),
        ),
        (msg(13, t, 1, 0, 0, &[0]), ProtoError::BadBody),
        (msg(16, h, 1, 0, 0, &[1, 0, 0, 0]), ProtoError::BadBody),
        (msg(21, h, 1, 0, 0, &[0; 9]), ProtoError::BadBody),
        (msg(20, h, 1, 0, 0, &hello_body(3, 2)), ProtoError::BadBody),
        (
            msg(20, h, 1, 0, 0, &hello_body(2, 9)),
            ProtoError::NoCommonVersion,
        ),
        (
            msg(20, h, 1, 0, 0, &hello_body(0, 0)),
            ProtoError::NoCommonVersion,
        ),
    ];
    for (m, want) in cases {
        assert_eq!(decode_request(&m).unwrap_err(), want, "{m:?}");
    }
    // A hello may use any header version: that is how versions are negotiated.
    let m = msg(20, h, 9, 0, 5, &hello_body(0, 7));
    assert_eq!(
        decode_request(&m).unwrap().1,
        Request::Hello { min: 0, max: 7 }
    );
}

#[test]
fn malformed_replies_are_rejected() {
    let c = MsgType::Counters as u16;
    assert_eq!(
        decode_reply(&msg(12, c, 1, 0, 0, &[])).unwrap_err(),
        ProtoError::BadBody
    );
    // Count says 1 entry, no entry follows.
    assert_eq!(
        decode_reply(&msg(20, c, 1, 0, 0, &[1, 0, 0, 0, 0, 0, 0, 0])).unwrap_err(),
        ProtoError::BadBody
    );
    // Count overflowing usize arithmetic.
    assert_eq!(
        decode_reply(&msg(20, c, 1, 0, 0, &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])).unwrap_err(),
        ProtoError::BadBody
    );
    assert_eq!(
        decode_reply(&msg(20, MsgType::HelloReply as u16, 1, 0, 0, &[0; 8])).unwrap_err(),
        ProtoError::BadBody
    );
}

#[test]
fn conn_info_layout_and_prefixes() {
    let info = ConnInfo {
        flags: CONN_F_INITIALIZED,
        ca_state: 4,
        snd_cwnd: 10,
        snd_ssthresh: 0x7fff_ffff,
        srtt_us: 6000,
        loss_events: 2,
        cong_avoid_calls: 99,
        age_ns: 1 << 40,
        path: 2,
        npaths: 3,
        moves: 5,
        retrans: 1,
    };
    let mut buf = [0u8; CONN_INFO_LEN];
    info.encode(&mut buf);
    assert_eq!(&buf[..4], &CONN_INFO_VERSION.to_le_bytes());
    assert_eq!(ConnInfo::decode(&buf), Some((CONN_INFO_VERSION, info)));
    // A short getsockopt buffer gets a prefix; missing fields read as 0.
    let (_, short) = ConnInfo::decode(&buf[..16]).unwrap();
    assert_eq!(short.snd_cwnd, 10);
    assert_eq!(short.srtt_us, 0);
    assert_eq!(ConnInfo::decode(&buf[..3]), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20000))]

    /// Random bytes never panic the decoders.
    #[test]
    fn decoders_are_total(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode_request(&data);
        let _ = decode_reply(&data);
        let _ = Header::decode(&data);
        let _ = ConnInfo::decode(&data);
    }

    /// Random headers with a consistent length decode exactly as the
    /// validation rules say.
    #[test]
    fn header_rules(ty in any::<u16>(), version in any::<u8>(), flags in any::<u8>(), seq in any::<u32>(), body in proptest::collection::vec(any::<u8>(), 0..16)) {
        let m = msg((HDR_LEN + body.len()) as u32, ty, version, flags, seq, &body);
        let r = decode_request(&m);
        if flags != 0 {
            prop_assert_eq!(r.unwrap_err(), ProtoError::BadFlags);
        } else if let Ok((h, req)) = r {
            prop_assert_eq!(h.seq, seq);
            let hello = matches!(req, Request::Hello { .. });
            prop_assert!(hello || version == PROTO_VERSION);
            prop_assert!(hello || body.is_empty());
        }
    }

    /// Mutating one byte of a valid request never panics and either decodes
    /// or is rejected.
    #[test]
    fn mutated_requests(pos in 0usize..20, val in any::<u8>()) {
        let mut buf = [0u8; 64];
        let n = encode_hello(&mut buf, 1, 1, 1).unwrap();
        let mut m = buf[..n].to_vec();
        let p = pos % m.len();
        m[p] = val;
        let _ = decode_request(&m);
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Counters replies round-trip for any values and names.
    #[test]
    fn counters_round_trip(vals in proptest::collection::vec((any::<u64>(), "[a-z_]{1,23}"), 0..MAX_COUNTERS)) {
        let mut buf = vec![0u8; MSG_MAX];
        let entries: Vec<(&str, u64)> = vals.iter().map(|(v, n)| (n.as_str(), *v)).collect();
        let n = encode_counters(&mut buf, 3, entries.clone().into_iter()).unwrap();
        let Reply::Counters(e) = decode_reply(&buf[..n]).unwrap().1 else { panic!() };
        let got: Vec<(Vec<u8>, u64)> = e.counters().map(|(n, v)| (n.to_vec(), v)).collect();
        let want: Vec<(Vec<u8>, u64)> = entries.iter().map(|(n, v)| (n.as_bytes().to_vec(), *v)).collect();
        prop_assert_eq!(got, want);
    }
}
