// SPDX-License-Identifier: GPL-2.0

//! Codec round trips, rejection of every malformed case, and fuzzing.

use super::util::{
    addr, arb_addr, arb_kind, arb_path, arb_valid_paths, dump, pfx, set, srh_k, srh_of, table,
    EntryDump,
};
use crate::events::{Delivery, Event, UpdateEvent};
use crate::exp3::{self, Overrides, Preset, Sample, Settings, State};
use crate::fpu_helpers::Sf;
use crate::paths::{Entry, Prefix, PrefixStats, Reason, StrategyKind, MAX_PATHS, REASONS};
use crate::proto::*;
use proptest::prelude::*;
use std::format;
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

// ---- Path table, failover and event messages ----

/// `m` with its body changed by `f` and the header length fixed up.
fn reframe(m: &[u8], f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let h = Header::decode(m).unwrap();
    let mut body = m[HDR_LEN..].to_vec();
    f(&mut body);
    msg(
        (HDR_LEN + body.len()) as u32,
        h.ty,
        h.version,
        h.flags,
        h.seq,
        &body,
    )
}

/// Encodes with `enc` into a fresh buffer.
fn encoded(enc: impl FnOnce(&mut [u8]) -> Result<usize, ProtoError>) -> Vec<u8> {
    let mut buf = vec![0u8; MSG_MAX];
    let n = enc(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn request(m: &[u8]) -> Request<'_> {
    let (h, r) = decode_request(m).unwrap();
    assert_eq!(h.len as usize, m.len());
    r
}

fn reply(m: &[u8]) -> Reply<'_> {
    let (h, r) = decode_reply(m).unwrap();
    assert_eq!(h.len as usize, m.len());
    r
}

/// A decoded path entry in the shape of a table dump.
fn view_dump(v: &PathEntryView<'_>) -> EntryDump {
    let paths: Vec<_> = v.paths().map(|(b, s)| (b.to_vec(), s)).collect();
    assert_eq!(paths.len(), v.npaths());
    EntryDump {
        prefix: v.prefix,
        paths,
        strategy: v.strategy,
        stats: PrefixStats {
            moves: v.moves,
            apply_failed: v.apply_failed,
        },
        generation: v.generation,
    }
}

fn path_set_msg(p: &Prefix, srhs: &[Vec<u8>], excl: bool) -> Vec<u8> {
    let refs: Vec<&[u8]> = srhs.iter().map(Vec::as_slice).collect();
    encoded(|b| encode_path_set(b, 9, p, &refs, excl))
}

/// Checks that a path-set message decodes to exactly its inputs.
fn check_path_set(m: &[u8], p: &Prefix, srhs: &[Vec<u8>], excl: bool) {
    let want_len =
        HDR_LEN + PATH_SET_HDR_LEN + srhs.iter().map(|s| PATH_HDR_LEN + s.len()).sum::<usize>();
    assert_eq!(m.len(), want_len);
    let Request::PathSet {
        prefix,
        paths,
        excl: x,
    } = request(m)
    else {
        panic!("not a path set")
    };
    assert_eq!((prefix, x), (*p, excl));
    assert_eq!(paths.iter().len(), srhs.len());
    let got: Vec<&[u8]> = paths.iter().collect();
    let want: Vec<&[u8]> = srhs.iter().map(Vec::as_slice).collect();
    assert_eq!(got, want);
}

fn nine_waypoints() -> Vec<u8> {
    let w: Vec<_> = (1..=9u8).map(|i| addr(&format!("fd00:{i}::{i}"))).collect();
    srh_of(&w)
}

/// A table entry with three paths, counters, an override and a failed move.
fn sample_entry() -> Entry {
    let mut t = table();
    let p = pfx("fd00:b::", 64);
    // Set twice: generation 2, so a constant 1 in the codec would show.
    for _ in 0..2 {
        set(&mut t, p, &[vec![], srh_k(1), nine_waypoints()], false).unwrap();
    }
    let e = t.get_mut(p).unwrap();
    e.record_move(None, 0, Reason::Init);
    e.record_move(Some(0), 2, Reason::Rto);
    e.record_move(Some(2), 1, Reason::Request);
    e.record_move(Some(1), 0, Reason::Exp3);
    e.stats.apply_failed = 7;
    t.set_strategy(
        p,
        Some(crate::paths::Strategy {
            kind: StrategyKind::Timeout,
            n: 3,
            m: 2,
            t_ms: 700,
        }),
    )
    .unwrap();
    *t.get_mut(p).unwrap()
}

#[test]
fn path_set_round_trip_and_layout() {
    let p = pfx("fd00:b::", 64);
    let srhs = [vec![], srh_k(1), nine_waypoints()];
    for excl in [false, true] {
        let m = path_set_msg(&p, &srhs, excl);
        assert_eq!(Header::decode(&m).unwrap().ty, MsgType::PathSet as u16);
        check_path_set(&m, &p, &srhs, excl);
        let body = &m[HDR_LEN..];
        assert_eq!(&body[..16], &p.addr);
        assert_eq!(&body[16..20], &[64, 3, u8::from(excl), 0]);
        assert_eq!(&body[20..24], &[0, 0, 0, 0]); // direct: srh_len 0
        assert_eq!(&body[24..28], &[40, 0, 0, 0]); // one waypoint: 40 bytes
        assert_eq!(&body[28..68], &srhs[1][..]);
        // What was decoded installs as sent.
        let Request::PathSet {
            prefix,
            paths,
            excl: x,
        } = request(&m)
        else {
            panic!()
        };
        let mut t = table();
        t.set(prefix, paths.iter(), x).unwrap();
        assert_eq!(dump(&t)[0].srhs(), srhs);
    }
    // The wire carries any count; the table refuses none and nine.
    let none = path_set_msg(&p, &[], false);
    check_path_set(&none, &p, &[], false);
    let too_many = vec![vec![0u8; 0]; 256];
    let refs: Vec<&[u8]> = too_many.iter().map(Vec::as_slice).collect();
    let mut buf = vec![0u8; MSG_MAX];
    assert_eq!(
        encode_path_set(&mut buf, 0, &p, &refs, false),
        Err(ProtoError::NoSpace)
    );
}

#[test]
fn small_requests_round_trip() {
    let p = Prefix {
        addr: addr("fd00:b::1"),
        len: 200, // as sent: checked by the table, not the codec
    };
    let m = encoded(|b| encode_path_del(b, 1, &p));
    assert_eq!(m.len(), HDR_LEN + PREFIX_FIELD_LEN);
    assert_eq!(&m[HDR_LEN + 16..], &[200, 0, 0, 0]);
    assert_eq!(request(&m), Request::PathDel { prefix: p });

    let m = encoded(|b| encode_path_get(b, 2, 0x0102_0304));
    assert_eq!(&m[HDR_LEN..], &[4, 3, 2, 1]);
    assert_eq!(request(&m), Request::PathGet { index: 0x0102_0304 });

    let m = encoded(|b| encode_empty(b, MsgType::Subscribe, 3));
    assert_eq!(m.len(), HDR_LEN);
    assert_eq!(request(&m), Request::Subscribe);

    let m = encoded(|b| encode_ack(b, 0xfeed));
    assert_eq!(m.len(), HDR_LEN);
    let (h, r) = decode_reply(&m).unwrap();
    assert_eq!((h.ty, h.seq), (MsgType::Ack as u16, 0xfeed));
    assert!(matches!(r, Reply::Ack));
}

#[test]
fn path_entry_round_trip() {
    let e = sample_entry();
    let m = encoded(|b| encode_path_entry(b, 4, 2, 5, &e));
    let paths_len: usize = e
        .paths()
        .iter()
        .map(|p| PATH_ENTRY_PATH_HDR_LEN + p.srh.as_bytes().len())
        .sum();
    assert_eq!(m.len(), HDR_LEN + PATH_ENTRY_HDR_LEN + paths_len);
    let Reply::PathEntry(v) = reply(&m) else {
        panic!("not a path entry")
    };
    assert_eq!((v.index, v.count), (2, 5));
    let want = EntryDump::of(&e);
    assert_eq!(
        want.paths[2].1.moves_in, 1,
        "counters made it into the entry"
    );
    assert_eq!(view_dump(&v), want);
    // The move counters, one per reason, then apply_failed.
    let body = &m[HDR_LEN..];
    for r in 0..REASONS {
        let at = 48 + 8 * r;
        assert_eq!(&body[at..at + 8], &e.stats.moves[r].to_le_bytes(), "{r}");
    }
    assert_eq!(e.stats.moves[Reason::Exp3 as usize], 1);
    assert_eq!(&body[112..120], &7u64.to_le_bytes());
    // Without an override the strategy byte says "inherit".
    let mut plain = e;
    plain.strategy = None;
    let m = encoded(|b| encode_path_entry(b, 4, 0, 1, &plain));
    assert_eq!(m[HDR_LEN + 26], KIND_INHERIT);
    let Reply::PathEntry(v) = reply(&m) else {
        panic!()
    };
    assert_eq!(v.strategy, None);
    // Too small a buffer is an error.
    let mut small = [0u8; HDR_LEN + PATH_ENTRY_HDR_LEN];
    assert_eq!(
        encode_path_entry(&mut small, 0, 0, 1, &e),
        Err(ProtoError::NoSpace)
    );
}

fn sample_delivery() -> Delivery {
    Delivery {
        seq: 0x0102_0304_0506_0708,
        lost: 3,
        event: Event {
            ktime_ns: u64::MAX - 1,
            reason: Reason::DupData,
            old: 1,
            new: 7,
            saddr: addr("fd00:a::1"),
            daddr: addr("fd00:b::2"),
            sport: 0x1234,
            dport: 443,
        },
    }
}

#[test]
fn event_round_trip_and_layout() {
    let d = sample_delivery();
    let m = encoded(|b| encode_event(b, 0, &d));
    assert_eq!(m.len(), HDR_LEN + EVENT_BODY_LEN);
    let body = &m[HDR_LEN..];
    assert_eq!(&body[..8], &d.seq.to_le_bytes());
    assert_eq!(&body[24..32], &[3, 1, 7, 0, 0x34, 0x12, 0xbb, 0x01]);
    assert_eq!(&body[32..48], &d.event.saddr);
    assert_eq!(&body[48..64], &d.event.daddr);
    let Reply::Event(got) = reply(&m) else {
        panic!()
    };
    assert_eq!(got, d);
}

#[test]
fn malformed_path_requests_are_bad_bodies() {
    let p = pfx("fd00:b::", 64);
    let ok = path_set_msg(&p, &[vec![], srh_k(1)], false);
    check_path_set(&ok, &p, &[vec![], srh_k(1)], false);
    let ps = |f: fn(&mut Vec<u8>)| reframe(&ok, f);
    let del = encoded(|b| encode_path_del(b, 1, &p));
    let get = encoded(|b| encode_path_get(b, 1, 0));
    let fo = encoded(|b| {
        encode_set_failover(
            b,
            1,
            &FailoverReq {
                addr: p.addr,
                plen: 64,
                kind: 1,
                n: 3,
                m: 2,
                t_ms: 700,
            },
        )
    });
    let sub = encoded(|b| encode_empty(b, MsgType::Subscribe, 1));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("set: trailing byte", ps(|b| b.push(0))),
        ("set: trailing path header", ps(|b| b.extend([0, 0, 0, 0]))),
        ("set: srh_len past the end", ps(|b| b[24] += 1)),
        ("set: srh_len short", ps(|b| b[24] -= 1)),
        ("set: srh_len huge", ps(|b| b[25] = 0xff)),
        ("set: count too high", ps(|b| b[17] = 3)),
        ("set: count too low", ps(|b| b[17] = 1)),
        ("set: unknown flag", ps(|b| b[18] = 2)),
        ("set: high flag", ps(|b| b[18] = 0x81)),
        ("set: reserved", ps(|b| b[19] = 1)),
        ("set: path reserved", ps(|b| b[22] = 1)),
        ("set: second path reserved", ps(|b| b[27] = 1)),
        ("set: short fixed part", ps(|b| b.truncate(19))),
        ("set: empty", ps(Vec::clear)),
        ("del: short", reframe(&del, |b| b.truncate(19))),
        ("del: long", reframe(&del, |b| b.push(0))),
        ("del: reserved", reframe(&del, |b| b[17] = 1)),
        ("del: last reserved", reframe(&del, |b| b[19] = 1)),
        ("get: empty", reframe(&get, Vec::clear)),
        ("get: short", reframe(&get, |b| b.truncate(3))),
        ("get: long", reframe(&get, |b| b.push(0))),
        ("failover: short", reframe(&fo, |b| b.truncate(31))),
        ("failover: long", reframe(&fo, |b| b.push(0))),
        ("failover: reserved", reframe(&fo, |b| b[18] = 1)),
        ("failover: reserved 2", reframe(&fo, |b| b[19] = 1)),
        ("subscribe: body", reframe(&sub, |b| b.push(0))),
    ];
    for (what, m) in cases {
        assert_eq!(
            decode_request(&m).unwrap_err(),
            ProtoError::BadBody,
            "{what}"
        );
    }
    // The same message with the excl flag is fine.
    check_path_set(&ps(|b| b[18] = 1), &p, &[vec![], srh_k(1)], true);
    // Replies are not requests, and requests are not replies.
    let entry = encoded(|b| encode_path_entry(b, 0, 0, 1, &sample_entry()));
    assert_eq!(
        decode_request(&entry).unwrap_err(),
        ProtoError::UnknownType(0x8006)
    );
    assert_eq!(
        decode_reply(&ok).unwrap_err(),
        ProtoError::UnknownType(0x0004)
    );
}

#[test]
fn malformed_path_replies_are_bad_bodies() {
    let entry = encoded(|b| encode_path_entry(b, 0, 0, 1, &sample_entry()));
    let ev = encoded(|b| encode_event(b, 0, &sample_delivery()));
    let ack = encoded(|b| encode_ack(b, 0));
    let pe = |f: fn(&mut Vec<u8>)| reframe(&entry, f);
    // First path header at 120: srh_len 0 (direct).
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "entry: short fixed part",
            pe(|b| b.truncate(PATH_ENTRY_HDR_LEN - 1)),
        ),
        ("entry: trailing byte", pe(|b| b.push(0))),
        ("entry: npaths too high", pe(|b| b[25] += 1)),
        ("entry: npaths too low", pe(|b| b[25] -= 1)),
        (
            "entry: srh_len past the end",
            pe(|b| b[PATH_ENTRY_HDR_LEN] = 1),
        ),
        ("entry: unknown strategy", pe(|b| b[26] = 3)),
        (
            "event: short",
            reframe(&ev, |b| b.truncate(EVENT_BODY_LEN - 1)),
        ),
        ("event: long", reframe(&ev, |b| b.push(0))),
        ("event: reason 0", reframe(&ev, |b| b[24] = 0)),
        ("event: reason 8", reframe(&ev, |b| b[24] = 8)),
        ("ack: body", reframe(&ack, |b| b.push(0))),
    ];
    for (what, m) in cases {
        assert_eq!(decode_reply(&m).unwrap_err(), ProtoError::BadBody, "{what}");
    }
    let mut v2 = ev.clone();
    v2[6] = PROTO_VERSION + 1;
    assert_eq!(decode_reply(&v2).unwrap_err(), ProtoError::BadVersion);
}

#[test]
fn conn_info_v2_offsets_and_prefixes() {
    let info = ConnInfo {
        flags: CONN_F_INITIALIZED | CONN_F_MANAGED | CONN_F_PINNED | CONN_F_CLOSING,
        ca_state: 1,
        snd_cwnd: 2,
        snd_ssthresh: 3,
        srtt_us: 4,
        loss_events: 5,
        cong_avoid_calls: 6,
        age_ns: 0x0807_0605_0403_0201,
        path: 0x0a0b_0c0d,
        npaths: 8,
        moves: 0x1122_3344,
        retrans: PATH_NONE,
    };
    let mut buf = [0u8; CONN_INFO_LEN];
    info.encode(&mut buf);
    assert_eq!(CONN_INFO_VERSION, 2);
    assert_eq!(&buf[32..40], &info.age_ns.to_le_bytes());
    assert_eq!(&buf[40..44], &info.path.to_le_bytes());
    assert_eq!(&buf[44..48], &8u32.to_le_bytes());
    assert_eq!(&buf[48..52], &info.moves.to_le_bytes());
    assert_eq!(&buf[52..56], &u32::MAX.to_le_bytes());
    // Every prefix keeps exactly the fields it holds whole.
    for k in 4..=CONN_INFO_LEN {
        let (v, got) = ConnInfo::decode(&buf[..k]).unwrap();
        assert_eq!(v, CONN_INFO_VERSION);
        let have = |end: usize| k >= end;
        let pick = |end: usize, x: u32| if have(end) { x } else { 0 };
        let want = ConnInfo {
            flags: pick(8, info.flags),
            ca_state: pick(12, info.ca_state),
            snd_cwnd: pick(16, info.snd_cwnd),
            snd_ssthresh: pick(20, info.snd_ssthresh),
            srtt_us: pick(24, info.srtt_us),
            loss_events: pick(28, info.loss_events),
            cong_avoid_calls: pick(32, info.cong_avoid_calls),
            age_ns: if have(40) { info.age_ns } else { 0 },
            path: pick(44, info.path),
            npaths: pick(48, info.npaths),
            moves: pick(52, info.moves),
            retrans: pick(56, info.retrans),
        };
        assert_eq!(got, want, "prefix of {k} bytes");
    }
}

// ---- EXP3 messages. ----

fn exp3_req() -> Exp3Req {
    Exp3Req {
        addr: addr("fd00:b::"),
        plen: 64,
        ov: Overrides {
            mode: 1,
            preset: exp3::INHERIT_U8,
            keylen: 0,
            gamma_ppm: 100_000,
            hook_bytes: exp3::INHERIT_U32,
        },
    }
}

#[test]
fn set_exp3_round_trip_and_layout() {
    let r = exp3_req();
    let m = encoded(|b| encode_set_exp3(b, 5, &r));
    assert_eq!(m.len(), HDR_LEN + EXP3_SET_BODY_LEN);
    let h = Header::decode(&m).unwrap();
    assert_eq!((h.ty, h.seq), (MsgType::SetExp3 as u16, 5));
    let body = &m[HDR_LEN..];
    assert_eq!(&body[..16], &r.addr);
    assert_eq!(&body[16..20], &[64, 1, 0xff, 0]);
    assert_eq!(&body[20..24], &100_000u32.to_le_bytes());
    assert_eq!(&body[24..28], &[0xff; 4]);
    assert_eq!(&body[28..32], &[0; 4]);
    assert_eq!(request(&m), Request::SetExp3(r));
    // The codec does not range-check: the module validates.
    let wild = Exp3Req {
        addr: [0xff; 16],
        plen: SCOPE_GLOBAL,
        ov: Overrides {
            mode: 7,
            preset: 9,
            keylen: 200,
            gamma_ppm: 2_000_000,
            hook_bytes: 0,
        },
    };
    let m = encoded(|b| encode_set_exp3(b, 5, &wild));
    assert_eq!(request(&m), Request::SetExp3(wild));
    assert!(wild.ov.validate().is_err());

    let m = encoded(|b| encode_exp3_get(b, 6, 0x0a0b_0c0d));
    assert_eq!(Header::decode(&m).unwrap().ty, MsgType::Exp3Get as u16);
    assert_eq!(&m[HDR_LEN..], &[0x0d, 0x0c, 0x0b, 0x0a]);
    assert_eq!(request(&m), Request::Exp3Get { index: 0x0a0b_0c0d });
}

#[test]
fn malformed_exp3_requests_are_bad_bodies() {
    let set = encoded(|b| encode_set_exp3(b, 1, &exp3_req()));
    let get = encoded(|b| encode_exp3_get(b, 1, 0));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("set: short", reframe(&set, |b| b.truncate(31))),
        ("set: long", reframe(&set, |b| b.push(0))),
        ("set: empty", reframe(&set, Vec::clear)),
        ("set: reserved 28", reframe(&set, |b| b[28] = 1)),
        ("set: reserved 29", reframe(&set, |b| b[29] = 1)),
        ("set: reserved 30", reframe(&set, |b| b[30] = 0x80)),
        ("set: reserved 31", reframe(&set, |b| b[31] = 0xff)),
        ("get: empty", reframe(&get, Vec::clear)),
        ("get: short", reframe(&get, |b| b.truncate(3))),
        ("get: long", reframe(&get, |b| b.push(0))),
    ];
    for (what, m) in cases {
        assert_eq!(
            decode_request(&m).unwrap_err(),
            ProtoError::BadBody,
            "{what}"
        );
    }
    // Requests are not replies.
    assert_eq!(
        decode_reply(&set).unwrap_err(),
        ProtoError::UnknownType(0x0009)
    );
    assert_eq!(
        decode_reply(&get).unwrap_err(),
        ProtoError::UnknownType(0x000a)
    );
}

fn settings(preset: Preset, gamma_ppm: u32) -> Settings {
    Settings {
        on: true,
        preset,
        gamma_ppm,
        hook_bytes: 1 << 20,
        keylen: 64,
        ref_ms: 23,
        fail_timeout_ms: 10_000,
    }
}

/// A state of `npaths` paths after one reward per `(path, srtt_us)`, each
/// 1 ms apart, drawn with probability 1/npaths.
fn trained_state(npaths: u8, s: &Settings, rewards: &[(u8, u32)]) -> State {
    let mut st = State::new(
        pfx("fd00:b::", 64),
        pfx("fd00:b::", 48),
        3,
        npaths,
        1_000_000,
    );
    let p = Sf::from_ratio(1, u64::from(npaths.max(1)));
    for (i, &(path, srtt)) in rewards.iter().enumerate() {
        let now = 1_000_000 * (i as i64 + 2);
        let _ = st.draw(s.gamma_ppm, (i as u32).wrapping_mul(0x9e37_79b9), now);
        let _ = st.reward(s, path % npaths.max(1), p, npaths, srtt, now);
    }
    st
}

fn micro(x: Sf) -> u64 {
    (x * Sf::from_u64(1_000_000)).round_u64()
}

/// What the paths of an EXP3-state reply must say about `st`.
fn want_paths(st: &State, s: &Settings, now: i64) -> Vec<Exp3PathView> {
    let probs = st.probs(s.gamma_ppm, st.usable(now));
    let shares = st.shares_ppm();
    st.weights()
        .iter()
        .enumerate()
        .map(|(i, w)| Exp3PathView {
            weight_micro: micro(*w),
            draws: st.stats.draws[i],
            share_ppm: shares[i],
            prob_ppm: micro(probs[i]) as u32,
        })
        .collect()
}

/// Checks a decoded EXP3 state against the state it was made from.
fn check_state_view(v: &Exp3StateView<'_>, st: &State, s: &Settings, now: i64) {
    assert_eq!(
        (v.key, v.entry, v.generation),
        (st.key, st.entry, st.generation)
    );
    assert_eq!(v.failed_mask, st.failed_mask(now));
    assert_eq!((v.on, v.preset, v.keylen), (s.on, s.preset, s.keylen));
    assert_eq!((v.gamma_ppm, v.hook_bytes), (s.gamma_ppm, s.hook_bytes));
    assert_eq!((v.rtt_min_us, v.rtt_max_us), st.rtt_range());
    assert_eq!(
        (v.updates, v.failures),
        (st.stats.updates, st.stats.failures)
    );
    assert_eq!(v.now_ns, now.max(0) as u64);
    assert_eq!(v.npaths(), st.npaths());
    let paths: Vec<Exp3PathView> = v.paths().collect();
    assert_eq!(paths, want_paths(st, s, now));
    let hist: Vec<Sample> = v.history().collect();
    let want: Vec<Sample> = st.history().copied().collect();
    assert_eq!(hist, want);
    assert_eq!(v.nhist(), want.len());
}

#[test]
fn exp3_state_round_trip_and_layout() {
    let s = settings(Preset::Textbook, 100_000);
    let rewards: Vec<(u8, u32)> = (0..20u8)
        .map(|i| (i % 3, 10_000 + 7_000 * u32::from(i % 3)))
        .collect();
    let mut st = trained_state(3, &s, &rewards);
    let now = 50_000_000;
    st.mark_failed(2, now + 1_000_000_000);
    assert_eq!(st.failed_mask(now), 4);
    let m = encoded(|b| encode_exp3_state(b, 9, 1, 4, &st, &s, now));
    assert_eq!(
        m.len(),
        HDR_LEN + EXP3_STATE_HDR_LEN + 3 * EXP3_PATH_LEN + exp3::HISTORY * EXP3_SAMPLE_LEN
    );
    let body = &m[HDR_LEN..];
    assert_eq!(&body[0..8], &[1, 0, 0, 0, 4, 0, 0, 0]);
    assert_eq!(&body[8..24], &st.key.addr);
    assert_eq!(&body[24..32], &[64, 3, 4, 16, 48, 1, 0, 64]);
    assert_eq!(&body[32..48], &st.entry.addr);
    assert_eq!(&body[48..52], &3u32.to_le_bytes());
    let (lo, hi) = st.rtt_range();
    assert_eq!((lo, hi), (10_000, 24_000));
    assert_eq!(&body[52..56], &lo.to_le_bytes());
    assert_eq!(&body[56..60], &hi.to_le_bytes());
    assert_eq!(&body[60..64], &100_000u32.to_le_bytes());
    assert_eq!(&body[64..68], &(1u32 << 20).to_le_bytes());
    assert_eq!(&body[68..72], &[0; 4]);
    assert_eq!(&body[72..80], &20u64.to_le_bytes());
    assert_eq!(&body[80..88], &1u64.to_le_bytes());
    assert_eq!(&body[88..96], &(now as u64).to_le_bytes());
    // Path 0: weight, draws, share, probability.
    let w0 = micro(st.weights()[0]);
    assert_eq!(&body[96..104], &w0.to_le_bytes());
    assert_eq!(&body[104..112], &st.stats.draws[0].to_le_bytes());
    assert_eq!(&body[112..116], &st.shares_ppm()[0].to_le_bytes());
    // Path 2 is failed: probability 0.
    assert_eq!(&body[96 + 2 * 24 + 20..96 + 3 * 24], &[0; 4]);
    // The first sample kept is the 5th reward (16 of 20 kept).
    let h = 96 + 3 * 24;
    let first = st.history().next().copied().unwrap();
    assert_eq!(first.ktime_ns, 6_000_000);
    assert_eq!(&body[h..h + 8], &first.ktime_ns.to_le_bytes());
    assert_eq!(&body[h + 8..h + 12], &[first.path, 0, 0, 0]);
    assert_eq!(&body[h + 12..h + 16], &first.srtt_us.to_le_bytes());
    assert_eq!(&body[h + 16..h + 20], &first.reward_ppm.to_le_bytes());
    assert_eq!(&body[h + 20..h + 24], &first.p_ppm.to_le_bytes());

    let Reply::Exp3State(v) = reply(&m) else {
        panic!("not an EXP3 state")
    };
    assert_eq!((v.index, v.count), (1, 4));
    check_state_view(&v, &st, &s, now);
    // The weights sum to TOKENS tokens, the probabilities of the usable
    // paths to 1 (each to within rounding).
    let paths: Vec<Exp3PathView> = v.paths().collect();
    let wsum: u64 = paths.iter().map(|p| p.weight_micro).sum();
    assert!(wsum.abs_diff(exp3::TOKENS * 1_000_000) <= 3, "{wsum}");
    let psum: u32 = paths.iter().map(|p| p.prob_ppm).sum();
    assert!(psum.abs_diff(1_000_000) <= 2, "{psum}");
    assert_eq!(paths[2].prob_ppm, 0);
    assert!(paths[0].share_ppm > paths[1].share_ppm, "{paths:?}");

    // Too small a buffer is an error.
    let mut small = vec![0u8; m.len() - 1];
    assert_eq!(
        encode_exp3_state(&mut small, 0, 0, 1, &st, &s, now),
        Err(ProtoError::NoSpace)
    );
}

#[test]
fn fresh_exp3_state_and_odd_settings() {
    // No history, a negative clock, the as-coded preset, EXP3 off.
    let mut s = settings(Preset::AsCoded, 0);
    s.on = false;
    s.keylen = 128;
    let st = State::new(pfx("fd00:b::5", 128), pfx("::", 0), 0, 8, 0);
    let m = encoded(|b| encode_exp3_state(b, 0, 0, 1, &st, &s, -5));
    assert_eq!(m.len(), HDR_LEN + EXP3_STATE_HDR_LEN + 8 * EXP3_PATH_LEN);
    let Reply::Exp3State(v) = reply(&m) else {
        panic!()
    };
    check_state_view(&v, &st, &s, -5);
    assert_eq!(v.now_ns, 0);
    assert!(!v.on);
    assert_eq!(v.preset, Preset::AsCoded);
    assert_eq!(v.history().count(), 0);
    // Γ = 0: the weights alone; all equal.
    assert!(v
        .paths()
        .all(|p| p.prob_ppm == 125_000 && p.share_ppm == 125_000));
    assert!(v.paths().all(|p| p.weight_micro == 1_000_000));
}

fn sample_update() -> Delivery<UpdateEvent> {
    Delivery {
        seq: 0x0102_0304_0506_0708,
        lost: 2,
        event: UpdateEvent {
            ktime_ns: u64::MAX - 3,
            key: pfx("fd00:b::", 64),
            path: 1,
            npaths: 3,
            srtt_us: 12_345,
            reward_ppm: -23_000_000,
            p_ppm: 450_000,
            shares_ppm: [600_000, 300_000, 100_000, 0, 0, 0, 0, 0],
        },
    }
}

#[test]
fn update_round_trip_and_layout() {
    let d = sample_update();
    let m = encoded(|b| encode_update(b, 0, &d));
    assert_eq!(m.len(), HDR_LEN + UPDATE_BODY_LEN);
    assert_eq!(Header::decode(&m).unwrap().ty, MsgType::Update as u16);
    let body = &m[HDR_LEN..];
    assert_eq!(&body[..8], &d.seq.to_le_bytes());
    assert_eq!(&body[8..16], &2u64.to_le_bytes());
    assert_eq!(&body[16..24], &d.event.ktime_ns.to_le_bytes());
    assert_eq!(&body[24..40], &d.event.key.addr);
    assert_eq!(&body[40..44], &[64, 1, 3, 0]);
    assert_eq!(&body[44..48], &12_345u32.to_le_bytes());
    assert_eq!(&body[48..52], &(-23_000_000i32).to_le_bytes());
    assert_eq!(&body[52..56], &450_000u32.to_le_bytes());
    assert_eq!(&body[56..60], &600_000u32.to_le_bytes());
    assert_eq!(&body[84..88], &[0; 4]);
    let Reply::Update(got) = reply(&m) else {
        panic!()
    };
    assert_eq!(got, d);
    // Updates are not requests.
    assert_eq!(
        decode_request(&m).unwrap_err(),
        ProtoError::UnknownType(0x8011)
    );
}

#[test]
fn malformed_exp3_replies_are_bad_bodies() {
    let s = settings(Preset::Textbook, 100_000);
    let st = trained_state(2, &s, &[(0, 10_000), (1, 20_000)]);
    let state = encoded(|b| encode_exp3_state(b, 0, 0, 1, &st, &s, 5_000_000));
    assert_eq!(state[HDR_LEN + 25], 2);
    assert_eq!(state[HDR_LEN + 27], 2);
    let up = encoded(|b| encode_update(b, 0, &sample_update()));
    let se = |f: fn(&mut Vec<u8>)| reframe(&state, f);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("state: empty", se(Vec::clear)),
        (
            "state: short fixed part",
            se(|b| b.truncate(EXP3_STATE_HDR_LEN - 1)),
        ),
        ("state: trailing byte", se(|b| b.push(0))),
        (
            "state: one byte short",
            se(|b| {
                b.pop();
            }),
        ),
        ("state: npaths too high", se(|b| b[25] = 3)),
        ("state: npaths too low", se(|b| b[25] = 1)),
        ("state: nhist too high", se(|b| b[27] = 3)),
        ("state: nhist too low", se(|b| b[27] = 1)),
        (
            "state: npaths and nhist swapped wrong",
            se(|b| {
                b[25] = 3;
                b[27] = 0;
            }),
        ),
        ("state: on 2", se(|b| b[29] = 2)),
        ("state: unknown preset", se(|b| b[30] = 2)),
        ("state: inherit preset", se(|b| b[30] = 0xff)),
        (
            "state: 9 paths",
            se(|b| {
                b[25] = 9;
                b[27] = 0;
                b.resize(EXP3_STATE_HDR_LEN + 9 * EXP3_PATH_LEN, 0);
            }),
        ),
        (
            "state: 17 samples",
            se(|b| {
                b[25] = 0;
                b[27] = 17;
                b.resize(EXP3_STATE_HDR_LEN + 17 * EXP3_SAMPLE_LEN, 0);
            }),
        ),
        ("update: empty", reframe(&up, Vec::clear)),
        (
            "update: short",
            reframe(&up, |b| b.truncate(UPDATE_BODY_LEN - 1)),
        ),
        ("update: long", reframe(&up, |b| b.push(0))),
        ("update: 9 paths", reframe(&up, |b| b[42] = 9)),
    ];
    for (what, m) in cases {
        assert_eq!(decode_reply(&m).unwrap_err(), ProtoError::BadBody, "{what}");
    }
    // Exactly as many paths and samples as the body holds is fine, even
    // none (the reserved word is not checked in replies).
    let ok = se(|b| {
        b[25] = 0;
        b[27] = 0;
        b[68] = 1;
        b.truncate(EXP3_STATE_HDR_LEN);
    });
    let Reply::Exp3State(v) = reply(&ok) else {
        panic!()
    };
    assert_eq!((v.paths().count(), v.history().count()), (0, 0));
    // Replies are not requests.
    assert_eq!(
        decode_request(&state).unwrap_err(),
        ProtoError::UnknownType(0x800a)
    );
}

#[test]
fn new_message_types_are_known() {
    for (raw, t) in [
        (0x0009u16, MsgType::SetExp3),
        (0x000a, MsgType::Exp3Get),
        (0x800a, MsgType::Exp3State),
        (0x8011, MsgType::Update),
        (0x000b, MsgType::CcpGet),
        (0x800b, MsgType::CcpStatus),
        (0x000c, MsgType::AugSet),
        (0x000d, MsgType::AugGet),
        (0x800d, MsgType::AugState),
    ] {
        assert_eq!(MsgType::from_raw(raw), Some(t));
        assert_eq!(t as u16, raw);
    }
    assert_eq!(MsgType::from_raw(0x000e), None);
    assert_eq!(MsgType::from_raw(0x800c), None);
    assert_eq!(MsgType::from_raw(0x8012), None);
}

#[test]
fn ccp_status_round_trip() {
    let mut b = [0u8; MSG_MAX];
    let n = encode_empty(&mut b, MsgType::CcpGet, 5).unwrap();
    let (h, r) = decode_request(&b[..n]).unwrap();
    assert!(matches!(r, Request::CcpGet));
    assert_eq!(h.seq, 5);
    // A body is refused.
    let with_body = msg(16, 0x000b, PROTO_VERSION, 0, 5, &[0, 0, 0, 0]);
    assert_eq!(decode_request(&with_body).unwrap_err(), ProtoError::BadBody);
    let vals = [("agent_attached", 1u64), ("abort_div_zero", 3)];
    let n = encode_ccp_status(&mut b, 6, vals.into_iter()).unwrap();
    match decode_reply(&b[..n]).unwrap() {
        (h, Reply::CcpStatus(e)) if h.seq == 6 => {
            let got: Vec<(&[u8], u64)> = e.counters().collect();
            assert_eq!(
                got,
                [(&b"agent_attached"[..], 1), (&b"abort_div_zero"[..], 3)]
            );
        }
        other => panic!("{other:?}"),
    }
}

fn arb_prefix_wire() -> impl Strategy<Value = Prefix> {
    (arb_addr(), any::<u8>()).prop_map(|(addr, len)| Prefix { addr, len })
}

/// Valid header, new message type, random body.
fn arb_new_type_msg() -> impl Strategy<Value = Vec<u8>> {
    let types = vec![
        MsgType::PathSet,
        MsgType::PathDel,
        MsgType::PathGet,
        MsgType::SetFailover,
        MsgType::Subscribe,
        MsgType::Ack,
        MsgType::PathEntry,
        MsgType::Event,
        MsgType::SetExp3,
        MsgType::Exp3Get,
        MsgType::Exp3State,
        MsgType::Update,
    ];
    (
        proptest::sample::select(types),
        proptest::collection::vec(any::<u8>(), 0..400),
        0usize..3,
        0u8..10,
    )
        .prop_map(|(ty, mut body, shape, n)| {
            // Give the count fields a chance to match the body.
            match (shape, ty) {
                (0, MsgType::PathSet) if body.len() >= PATH_SET_HDR_LEN => {
                    body[17] = n % 3;
                    body[18] &= 1;
                    body[19] = 0;
                }
                (0, MsgType::PathEntry) if body.len() >= PATH_ENTRY_HDR_LEN => {
                    body[25] = n % 3;
                    body[26] = n % 4;
                }
                (0, MsgType::SetExp3) => {
                    body.resize(EXP3_SET_BODY_LEN, 0);
                    body[28..].fill(0);
                }
                (0, MsgType::Exp3State) => {
                    let (np, nh) = (usize::from(n % 4), usize::from(n * 2 % 17));
                    body.resize(EXP3_STATE_HDR_LEN + (np + nh) * EXP3_SAMPLE_LEN, 0);
                    body[25] = np as u8;
                    body[27] = nh as u8;
                    body[29] &= 1;
                    body[30] &= 1;
                }
                (0, MsgType::Update) => {
                    body.resize(UPDATE_BODY_LEN, 0);
                    body[42] &= 7;
                }
                _ => {}
            }
            msg(
                (HDR_LEN + body.len()) as u32,
                ty as u16,
                PROTO_VERSION,
                0,
                1,
                &body,
            )
        })
}

/// Whatever decodes has views that yield exactly what the framing promised.
fn check_decoded_views(m: &[u8]) {
    if let Ok((_, Request::PathSet { paths, .. })) = decode_request(m) {
        let got: Vec<&[u8]> = paths.iter().collect();
        assert_eq!(got.len(), paths.iter().len());
        let used: usize = got.iter().map(|s| PATH_HDR_LEN + s.len()).sum();
        assert_eq!(HDR_LEN + PATH_SET_HDR_LEN + used, m.len());
    }
    if let Ok((_, Reply::PathEntry(v))) = decode_reply(m) {
        let used: usize = v
            .paths()
            .map(|(s, _)| PATH_ENTRY_PATH_HDR_LEN + s.len())
            .sum();
        assert_eq!(v.paths().count(), v.npaths());
        assert_eq!(HDR_LEN + PATH_ENTRY_HDR_LEN + used, m.len());
    }
    if let Ok((_, Reply::Exp3State(v))) = decode_reply(m) {
        assert_eq!(v.paths().count(), v.npaths());
        assert_eq!(v.history().count(), v.nhist());
        assert!(v.npaths() <= MAX_PATHS && v.nhist() <= exp3::HISTORY);
        let n = v.npaths() * EXP3_PATH_LEN + v.nhist() * EXP3_SAMPLE_LEN;
        assert_eq!(HDR_LEN + EXP3_STATE_HDR_LEN + n, m.len());
    }
    if let Ok((_, Reply::Update(d))) = decode_reply(m) {
        assert!(usize::from(d.event.npaths) <= MAX_PATHS);
        assert_eq!(m.len(), HDR_LEN + UPDATE_BODY_LEN);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn path_set_round_trips(p in arb_prefix_wire(), srhs in proptest::collection::vec(arb_path(), 0..=MAX_PATHS), excl in any::<bool>()) {
        check_path_set(&path_set_msg(&p, &srhs, excl), &p, &srhs, excl);
    }

    #[test]
    fn small_requests_round_trip_any_values(p in arb_prefix_wire(), index in any::<u32>(), kind in any::<u8>(), nmt in any::<[u32; 3]>()) {
        let del = encoded(|b| encode_path_del(b, 1, &p));
        prop_assert_eq!(request(&del), Request::PathDel { prefix: p });
        let get = encoded(|b| encode_path_get(b, 1, index));
        prop_assert_eq!(request(&get), Request::PathGet { index });
        let r = FailoverReq { addr: p.addr, plen: p.len, kind, n: nmt[0], m: nmt[1], t_ms: nmt[2] };
        let m = encoded(|b| encode_set_failover(b, 1, &r));
        prop_assert_eq!(m.len(), HDR_LEN + FAILOVER_BODY_LEN);
        prop_assert_eq!(request(&m), Request::SetFailover(r));
    }

    #[test]
    fn path_entries_round_trip(
        srhs in arb_valid_paths(),
        moves in proptest::collection::vec((proptest::option::of(0usize..8), 0usize..8, 1u8..8), 0..20),
        strategy in proptest::option::of((arb_kind(), any::<[u32; 3]>())),
        failed in any::<u64>(),
        index in any::<u32>(),
        count in any::<u32>(),
    ) {
        let mut t = table();
        let p = pfx("fd00:b::", 64);
        set(&mut t, p, &srhs, false).unwrap();
        let strategy = strategy.map(|(kind, [n, m, t_ms])| crate::paths::Strategy { kind, n, m, t_ms });
        t.set_strategy(p, strategy).unwrap();
        let e = t.get_mut(p).unwrap();
        for (old, new, why) in moves {
            e.record_move(old, new, Reason::from_raw(why).unwrap());
        }
        e.stats.apply_failed = failed;
        let e = *e;
        let m = encoded(|b| encode_path_entry(b, 0, index, count, &e));
        let Reply::PathEntry(v) = reply(&m) else { panic!() };
        prop_assert_eq!((v.index, v.count), (index, count));
        prop_assert_eq!(view_dump(&v), EntryDump::of(&e));
    }

    #[test]
    fn events_round_trip(
        seq in any::<u64>(), lost in any::<u64>(), ktime_ns in any::<u64>(), reason in 1u8..8,
        old in any::<u8>(), new in any::<u8>(), saddr in arb_addr(), daddr in arb_addr(),
        sport in any::<u16>(), dport in any::<u16>(),
    ) {
        let reason = Reason::from_raw(reason).unwrap();
        let d = Delivery { seq, lost, event: Event { ktime_ns, reason, old, new, saddr, daddr, sport, dport } };
        let m = encoded(|b| encode_event(b, 0, &d));
        let Reply::Event(got) = reply(&m) else { panic!() };
        prop_assert_eq!(got, d);
    }

    #[test]
    fn set_exp3_round_trips(
        p in arb_prefix_wire(), mpk in any::<[u8; 3]>(), gamma_ppm in any::<u32>(),
        hook_bytes in any::<u32>(), index in any::<u32>(),
    ) {
        let r = Exp3Req {
            addr: p.addr,
            plen: p.len,
            ov: Overrides { mode: mpk[0], preset: mpk[1], keylen: mpk[2], gamma_ppm, hook_bytes },
        };
        let m = encoded(|b| encode_set_exp3(b, 1, &r));
        prop_assert_eq!(m.len(), HDR_LEN + EXP3_SET_BODY_LEN);
        prop_assert_eq!(request(&m), Request::SetExp3(r));
        let g = encoded(|b| encode_exp3_get(b, 1, index));
        prop_assert_eq!(request(&g), Request::Exp3Get { index });
    }

    #[test]
    fn updates_round_trip(
        seq in any::<u64>(), lost in any::<u64>(), ktime_ns in any::<u64>(), key in arb_prefix_wire(),
        path in any::<u8>(), npaths in 0u8..=8, srtt_us in any::<u32>(), reward_ppm in any::<i32>(),
        p_ppm in any::<u32>(), shares_ppm in any::<[u32; MAX_PATHS]>(),
    ) {
        let d = Delivery {
            seq,
            lost,
            event: UpdateEvent { ktime_ns, key, path, npaths, srtt_us, reward_ppm, p_ppm, shares_ppm },
        };
        let m = encoded(|b| encode_update(b, 0, &d));
        let Reply::Update(got) = reply(&m) else { panic!() };
        prop_assert_eq!(got, d);
    }

    #[test]
    fn exp3_states_round_trip(
        npaths in 1u8..=8,
        rewards in proptest::collection::vec((any::<u8>(), 1u32..200_000), 0..40),
        failed in proptest::collection::vec((any::<u8>(), 0i64..3), 0..4),
        gamma_ppm in 0u32..=1_000_000,
        as_coded in any::<bool>(),
        on in any::<bool>(),
        hook_bytes in any::<u32>(),
        keylen in 1u8..=128,
        later_ms in 0i64..30,
        index in any::<u32>(),
        count in any::<u32>(),
    ) {
        let preset = if as_coded { Preset::AsCoded } else { Preset::Textbook };
        let mut s = settings(preset, gamma_ppm.max(1));
        s.gamma_ppm = gamma_ppm;
        s.on = on;
        s.hook_bytes = hook_bytes;
        s.keylen = keylen;
        // Rewards use Γ > 0 (the as-coded rule divides by it).
        let train = settings(preset, gamma_ppm.max(1));
        let mut st = trained_state(npaths, &train, &rewards);
        let t0 = 1_000_000 * (rewards.len() as i64 + 2);
        for (path, until) in failed {
            // 0: until a probe; 1: already over; 2: later.
            let until = [0, t0 - 1, t0 + 10_000_000][until as usize];
            st.mark_failed(path % npaths, until);
        }
        let now = t0 + later_ms * 1_000_000;
        let m = encoded(|b| encode_exp3_state(b, 0, index, count, &st, &s, now));
        let Reply::Exp3State(v) = reply(&m) else { panic!() };
        prop_assert_eq!((v.index, v.count), (index, count));
        check_state_view(&v, &st, &s, now);
        let excluded = v.paths().enumerate().filter(|(_, p)| p.prob_ppm == 0).count();
        prop_assert!(excluded < usize::from(npaths) || gamma_ppm == 0 && npaths == 1);
    }

    #[test]
    fn conn_info_round_trips(v in any::<[u32; 11]>(), age_ns in any::<u64>()) {
        let info = ConnInfo {
            flags: v[0], ca_state: v[1], snd_cwnd: v[2], snd_ssthresh: v[3], srtt_us: v[4],
            loss_events: v[5], cong_avoid_calls: v[6], age_ns, path: v[7], npaths: v[8],
            moves: v[9], retrans: v[10],
        };
        let mut buf = [0u8; CONN_INFO_LEN];
        info.encode(&mut buf);
        prop_assert_eq!(ConnInfo::decode(&buf), Some((CONN_INFO_VERSION, info)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20000))]

    /// Random bodies under the new types never panic, and what decodes is
    /// consistent with its framing.
    #[test]
    fn new_types_decode_totally(m in arb_new_type_msg()) {
        let _ = decode_request(&m);
        let _ = decode_reply(&m);
        check_decoded_views(&m);
    }

    /// One changed byte of a valid path-set, path-entry, EXP3 or update
    /// message.
    #[test]
    fn mutated_path_messages(pos in any::<usize>(), val in any::<u8>(), which in 0u8..5) {
        let s = settings(Preset::Textbook, 100_000);
        let mut m = match which {
            0 => path_set_msg(&pfx("fd00:b::", 64), &[vec![], srh_k(1), srh_k(2)], false),
            1 => encoded(|b| encode_path_entry(b, 0, 0, 1, &sample_entry())),
            2 => {
                let st = trained_state(3, &s, &[(0, 10_000), (1, 20_000), (2, 5_000)]);
                encoded(|b| encode_exp3_state(b, 0, 0, 1, &st, &s, 9_000_000))
            }
            3 => encoded(|b| encode_update(b, 0, &sample_update())),
            _ => encoded(|b| encode_set_exp3(b, 0, &exp3_req())),
        };
        let p = pos % m.len();
        m[p] = val;
        let _ = decode_request(&m);
        let _ = decode_reply(&m);
        check_decoded_views(&m);
    }
}
