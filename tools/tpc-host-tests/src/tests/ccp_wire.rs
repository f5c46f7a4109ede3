// SPDX-License-Identifier: GPL-2.0

//! The CCP wire codec against portus 0.9.0 itself (the agent library the
//! device must serve): what we send, portus parses to the same values;
//! what portus sends, we decode and re-encode byte for byte. Plus the
//! protocol notes' golden messages and fuzzing of the decoder.

use crate::ccp_wire::{
    decode_agent, encode_change_prog, encode_close, encode_create, encode_install, encode_measure,
    encode_ready, encode_update_fields, AgentMsg, Create, Install, UpdateField, WireError,
    MAX_AGENT_MSG, MAX_DP_MSG, MAX_FIELDS,
};
use portus::lang::{Reg, Type};
use portus::serialize::{self, Msg};
use proptest::prelude::*;
use std::string::String;
use std::vec;
use std::vec::Vec;

/// Encodes with `f` into a fresh buffer.
fn enc(f: impl FnOnce(&mut [u8]) -> Result<usize, WireError>) -> Vec<u8> {
    let mut b = vec![0u8; MAX_AGENT_MSG];
    let n = f(&mut b).expect("encodes");
    b.truncate(n);
    b
}

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).expect("hex"))
        .collect()
}

#[test]
fn create_golden_and_parsed_by_portus() {
    let c = Create {
        sid: 1,
        init_cwnd: 100,
        mss: 10,
        src_ip: 1,
        src_port: 2,
        dst_ip: 3,
        dst_port: 4,
        alg: b"reno",
    };
    let b = enc(|o| encode_create(o, &c));
    assert_eq!(b.len(), 96);
    assert_eq!(
        b[..32],
        hex("00 00 60 00 01 00 00 00 64 00 00 00 0a 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00")[..]
    );
    assert_eq!(&b[32..36], b"reno");
    assert!(b[36..].iter().all(|&x| x == 0));
    let (m, len) = Msg::from_buf(&b).expect("portus parses");
    assert_eq!(len, 96);
    match m {
        Msg::Cr(m) => {
            assert_eq!(
                (
                    m.sid,
                    m.init_cwnd,
                    m.mss,
                    m.src_ip,
                    m.src_port,
                    m.dst_ip,
                    m.dst_port
                ),
                (1, 100, 10, 1, 2, 3, 4)
            );
            assert_eq!(m.cong_alg.as_deref(), Some("reno"));
        }
        other => panic!("not a CREATE: {other:?}"),
    }
}

#[test]
fn create_name_is_always_nul_terminated() {
    let long = [b'x'; 100];
    for alg in [&long[..], b"", b"cubic\0junk"] {
        let b = enc(|o| {
            encode_create(
                o,
                &Create {
                    sid: 9,
                    init_cwnd: 1,
                    mss: 1,
                    src_ip: 0,
                    src_port: 0,
                    dst_ip: 0,
                    dst_port: 0,
                    alg,
                },
            )
        });
        assert_eq!(b.len(), 96);
        assert_eq!(b[95], 0, "last byte NUL");
        let (m, _) = Msg::from_buf(&b).expect("portus parses");
        let Msg::Cr(m) = m else {
            panic!("not a CREATE")
        };
        let want = match alg.first() {
            None => None,
            Some(_) if alg.len() == 100 => Some(String::from_utf8(vec![b'x'; 63]).expect("ascii")),
            Some(_) => Some(String::from("cubic")),
        };
        assert_eq!(m.cong_alg, want);
    }
}

#[test]
fn measure_golden_and_parsed_by_portus() {
    let b = enc(|o| encode_measure(o, 1, 7, &[1]));
    assert_eq!(
        b,
        hex("01 00 18 00 01 00 00 00 07 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00")
    );
    let fields: Vec<u64> = (0..MAX_FIELDS as u64)
        .map(|i| i * 0x0101_0101_0101)
        .collect();
    let b = enc(|o| encode_measure(o, 42, 3, &fields));
    assert_eq!(b.len(), MAX_DP_MSG);
    assert!(b.len() <= 1024, "fits portus' read buffer");
    let (m, _) = Msg::from_buf(&b).expect("portus parses");
    let Msg::Ms(m) = m else {
        panic!("not a MEASURE")
    };
    assert_eq!(
        (m.sid, m.program_uid, usize::from(m.num_fields)),
        (42, 3, MAX_FIELDS)
    );
    assert_eq!(m.fields, fields);
}

#[test]
fn measure_never_empty_and_close_is_recognised() {
    let mut o = [0u8; 64];
    assert_eq!(encode_measure(&mut o, 1, 1, &[]), Err(WireError::NoFields));
    let too_many = vec![0u64; MAX_FIELDS + 1];
    let mut big = vec![0u8; 2048];
    assert_eq!(
        encode_measure(&mut big, 1, 1, &too_many),
        Err(WireError::TooMany)
    );
    assert_eq!(
        encode_measure(&mut o[..23], 1, 1, &[5]),
        Err(WireError::NoSpace)
    );
    let b = enc(|o| encode_close(o, 5));
    assert_eq!(b, hex("01 00 10 00 05 00 00 00 00 00 00 00 00 00 00 00"));
    let (m, _) = Msg::from_buf(&b).expect("portus parses");
    let Msg::Ms(m) = m else {
        panic!("not a MEASURE")
    };
    assert_eq!(
        (m.sid, m.program_uid, m.num_fields, m.fields.len()),
        (5, 0, 0, 0)
    );
}

#[test]
fn ready_parsed_by_portus() {
    let b = enc(|o| encode_ready(o, 0));
    assert_eq!(b, hex("05 00 0c 00 00 00 00 00 00 00 00 00"));
    let (m, len) = Msg::from_buf(&b).expect("portus parses");
    assert_eq!(len, 12);
    assert!(matches!(m, Msg::Rdy(r) if r.id == 0));
}

/// Several datapath messages back to back, as one read returns them:
/// portus splits them by their lengths.
#[test]
fn back_to_back_messages_split_by_portus() {
    let mut all = enc(|o| encode_ready(o, 0));
    all.extend(enc(|o| {
        encode_create(
            o,
            &Create {
                sid: 3,
                init_cwnd: 14480,
                mss: 1448,
                src_ip: 1,
                src_port: 2,
                dst_ip: 3,
                dst_port: 4,
                alg: b"",
            },
        )
    }));
    all.extend(enc(|o| encode_measure(o, 3, 2, &[10, 20])));
    all.extend(enc(|o| encode_close(o, 3)));
    let mut off = 0;
    let mut kinds = Vec::new();
    while off < all.len() {
        let (m, len) = Msg::from_buf(&all[off..]).expect("parses");
        kinds.push(match m {
            Msg::Rdy(_) => "ready",
            Msg::Cr(c) => {
                assert_eq!(c.cong_alg, None);
                "create"
            }
            Msg::Ms(m) if m.num_fields == 0 => "close",
            Msg::Ms(_) => "measure",
            _ => "other",
        });
        off += len;
    }
    assert_eq!(kinds, ["ready", "create", "measure", "close"]);
}

fn ups(pairs: &[(u8, u32, u64)]) -> Vec<UpdateField> {
    pairs
        .iter()
        .map(|&(reg_type, index, value)| UpdateField {
            reg_type,
            index,
            value,
        })
        .collect()
}

#[test]
fn update_and_change_prog_golden() {
    let u = ups(&[(2, 4, 42)]);
    let b = enc(|o| encode_update_fields(o, 1, &u));
    assert_eq!(
        b,
        hex("03 00 19 00 01 00 00 00 01 00 00 00 02 04 00 00 00 2a 00 00 00 00 00 00 00")
    );
    let b = enc(|o| encode_change_prog(o, 1, 7, &u));
    assert_eq!(
        b,
        hex("04 00 1d 00 01 00 00 00 07 00 00 00 01 00 00 00 02 04 00 00 00 2a 00 00 00 00 00 00 00")
    );
}

/// portus' UPDATE_FIELDS and CHANGE_PROG, for every target it can name:
/// decoded to the same values and re-encoded to the same bytes.
#[test]
fn portus_updates_round_trip() {
    let targets = [
        (Reg::Implicit(4, Type::Num(None)), 2u8, 4u32),
        (Reg::Implicit(5, Type::Num(None)), 2, 5),
        (Reg::Control(0, Type::Num(None), false), 0, 0),
        (Reg::Control(15, Type::Num(None), true), 8, 15),
    ];
    for n in [0usize, 1, 2, 4] {
        let fields: Vec<(Reg, u64)> = targets
            .iter()
            .cycle()
            .take(n)
            .enumerate()
            .map(|(k, t)| (t.0.clone(), 1000 + k as u64))
            .collect();
        let want: Vec<UpdateField> = targets
            .iter()
            .cycle()
            .take(n)
            .enumerate()
            .map(|(k, t)| UpdateField {
                reg_type: t.1,
                index: t.2,
                value: 1000 + k as u64,
            })
            .collect();
        let m = serialize::update_field::Msg {
            sid: 77,
            num_fields: n as u8,
            fields: fields.clone(),
        };
        let bytes = serialize::serialize(&m).expect("portus serialises");
        match decode_agent(&bytes).expect("decodes") {
            AgentMsg::UpdateFields { sid, updates } => {
                assert_eq!(sid, 77);
                assert_eq!(updates.iter().collect::<Vec<_>>(), want);
                assert_eq!(enc(|o| encode_update_fields(o, sid, &want)), bytes);
            }
            other => panic!("{other:?}"),
        }
        let m = serialize::changeprog::Msg {
            sid: 78,
            program_uid: 12,
            num_fields: n as u32,
            fields,
        };
        let bytes = serialize::serialize(&m).expect("portus serialises");
        match decode_agent(&bytes).expect("decodes") {
            AgentMsg::ChangeProg { sid, uid, updates } => {
                assert_eq!((sid, uid), (78, 12));
                assert_eq!(updates.iter().collect::<Vec<_>>(), want);
                assert_eq!(enc(|o| encode_change_prog(o, sid, uid, &want)), bytes);
            }
            other => panic!("{other:?}"),
        }
    }
}

/// portus' INSTALL of every program of the corpus: decoded and re-encoded
/// byte for byte.
#[test]
fn portus_installs_round_trip() {
    for (name, src) in super::ccp_vm::CORPUS {
        let (bin, _) =
            portus::lang::compile(src.as_bytes(), &[]).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let (ne, ni) = (bin.events.len(), bin.instrs.len());
        let bytes = super::ccp_vm::install_bytes(bin, 9);
        let AgentMsg::Install(i) = decode_agent(&bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"))
        else {
            panic!("{name}: not an INSTALL")
        };
        assert_eq!(
            (i.uid, i.num_events(), i.num_instrs()),
            (9, ne, ni),
            "{name}"
        );
        assert_eq!(enc(|o| encode_install(o, &i)), bytes, "{name}");
    }
}

#[test]
fn framing_errors() {
    let good = enc(|o| encode_update_fields(o, 1, &ups(&[(2, 4, 42)])));
    assert_eq!(decode_agent(&good[..7]), Err(WireError::TooShort));
    assert_eq!(
        decode_agent(&good[..good.len() - 1]),
        Err(WireError::LengthMismatch)
    );
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(decode_agent(&longer), Err(WireError::LengthMismatch));
    // Count says 2, one record present (length consistent with header).
    let mut bad = good.clone();
    bad[8] = 2;
    assert_eq!(decode_agent(&bad), Err(WireError::CountMismatch));
    // The count read as a whole u32 (libccp read one signed byte).
    bad[8] = 1;
    bad[11] = 1;
    assert_eq!(decode_agent(&bad), Err(WireError::CountMismatch));
    // Header shorter than the fixed part.
    let mut short = good[..8].to_vec();
    short[2] = 8;
    assert_eq!(decode_agent(&short), Err(WireError::Truncated));
    let huge = vec![0u8; MAX_AGENT_MSG + 1];
    assert_eq!(decode_agent(&huge), Err(WireError::TooLong));
    for e in [
        WireError::TooShort,
        WireError::TooLong,
        WireError::LengthMismatch,
        WireError::Truncated,
        WireError::CountMismatch,
    ] {
        assert!(e.is_framing(), "{e:?}");
    }
}

#[test]
fn semantic_errors_are_not_framing() {
    // Datapath types from the agent.
    for b in [
        enc(|o| encode_ready(o, 0)),
        enc(|o| encode_close(o, 1)),
        enc(|o| {
            encode_create(
                o,
                &Create {
                    sid: 1,
                    init_cwnd: 0,
                    mss: 0,
                    src_ip: 0,
                    src_port: 0,
                    dst_ip: 0,
                    dst_port: 0,
                    alg: b"",
                },
            )
        }),
    ] {
        let e = decode_agent(&b).expect_err("refused");
        assert_eq!(e, WireError::WrongDirection);
        assert!(!e.is_framing());
    }
    // Program sizes: 0 or 257 events/instructions, and a length that
    // does not match the counts.
    let ev = [0u8; 16];
    let ins = [1u8, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0];
    let ok = enc(|o| {
        encode_install(
            o,
            &Install {
                uid: 1,
                events: &ev,
                instrs: &ins,
            },
        )
    });
    assert!(matches!(decode_agent(&ok), Ok(AgentMsg::Install(_))));
    for (off, v) in [(12usize, 0u32), (16, 0), (12, 257), (16, 257), (16, 2)] {
        let mut b = ok.clone();
        b[off..off + 4].copy_from_slice(&v.to_le_bytes());
        let e = decode_agent(&b).expect_err("refused");
        assert!(
            matches!(e, WireError::ProgramSize | WireError::ProgramLength),
            "{e:?}"
        );
        assert!(!e.is_framing());
    }
    // 300 instructions: refused on the counts, before any copy.
    let body = vec![0u8; 16 * 301];
    let mut b = vec![2u8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0];
    b.extend_from_slice(&300u32.to_le_bytes());
    b.extend_from_slice(&body);
    let len = b.len() as u16;
    b[2..4].copy_from_slice(&len.to_le_bytes());
    assert_eq!(decode_agent(&b), Err(WireError::ProgramSize));
    // 223 updates.
    let many = ups(&[(0, 1, 1); 223]);
    let mut o = vec![0u8; 4096];
    assert_eq!(
        encode_update_fields(&mut o, 1, &many),
        Err(WireError::TooMany)
    );
    let mut b = enc(|o| encode_update_fields(o, 1, &many[..222]));
    b.extend_from_slice(&[0u8; 13]);
    let len = b.len() as u16;
    b[2..4].copy_from_slice(&len.to_le_bytes());
    b[8..12].copy_from_slice(&223u32.to_le_bytes());
    assert_eq!(decode_agent(&b), Err(WireError::TooManyUpdates));
    // ECHO carries its whole message back.
    let mut echo = good_header(0xfe, 12);
    echo.extend_from_slice(&[1, 2, 3, 4]);
    assert_eq!(decode_agent(&echo), Ok(AgentMsg::Echo(&echo[..])));
    // ... up to the largest datapath message: its answer must fit any
    // reader's buffer (portus reads 1024 bytes at a time).
    let mut echo = good_header(0xfe, MAX_DP_MSG as u16);
    echo.resize(MAX_DP_MSG, 7);
    assert_eq!(decode_agent(&echo), Ok(AgentMsg::Echo(&echo[..])));
    echo.push(7);
    echo[2..4].copy_from_slice(&((MAX_DP_MSG + 1) as u16).to_le_bytes());
    assert_eq!(decode_agent(&echo), Err(WireError::EchoTooLong));
    assert!(WireError::EchoTooLong.is_framing());
    // Unknown types are valid framing, ignored.
    let mut u = good_header(9, 8);
    u.truncate(8);
    assert_eq!(decode_agent(&u), Ok(AgentMsg::Unknown { ty: 9 }));
}

fn good_header(ty: u16, len: u16) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&ty.to_le_bytes());
    h.extend_from_slice(&len.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h
}

proptest! {
    /// Any bytes: no panic; a successful decode describes exactly the
    /// bytes given and re-encodes to them.
    #[test]
    fn decoder_total(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(m) = decode_agent(&b) {
            let again = match m {
                AgentMsg::Install(i) => enc(|o| encode_install(o, &i)),
                AgentMsg::UpdateFields { sid, updates } => {
                    enc(|o| encode_update_fields(o, sid, &updates.iter().collect::<Vec<_>>()))
                }
                AgentMsg::ChangeProg { sid, uid, updates } => {
                    enc(|o| encode_change_prog(o, sid, uid, &updates.iter().collect::<Vec<_>>()))
                }
                AgentMsg::Unknown { .. } => b.clone(),
                AgentMsg::Echo(e) => e.to_vec(),
            };
            // INSTALL's sid is not kept (always re-encoded as 0).
            let mut want = b.clone();
            if matches!(m, AgentMsg::Install(_)) {
                want[4..8].fill(0);
            }
            prop_assert_eq!(again, want);
        }
    }

    /// Valid messages with the header's length field corrupted: refused as
    /// framing errors, never decoded as something else.
    #[test]
    fn corrupted_length(n in 0usize..20, len in any::<u16>()) {
        let u = ups(&vec![(0, 3, 9); n]);
        let mut b = enc(|o| encode_update_fields(o, 4, &u));
        prop_assume!(usize::from(len) != b.len());
        b[2..4].copy_from_slice(&len.to_le_bytes());
        prop_assert_eq!(decode_agent(&b), Err(WireError::LengthMismatch));
    }
}
