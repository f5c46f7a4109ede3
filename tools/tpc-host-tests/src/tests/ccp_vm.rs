// SPDX-License-Identifier: GPL-2.0

//! The CCP program verifier and interpreter: every program portus 0.9.0
//! compiles from the corpus is accepted and runs; the protocol notes'
//! semantics (sticky fallthrough, aborts that keep earlier writes, volatile
//! reset, +infinity, the DEF quirk, EWMA, wrapped max); the verifier's
//! refusals; and fuzzing (random programs never panic, never run more
//! than MAX_STEPS instructions).

use crate::ccp_vm::{
    max_wrap, valid_update, Abort, Machine, Op, Outcome, Prims, Program, Reg, RegType,
    UpdateEffect, VerifyError, INFINITY, MAX_STEPS, NUM_PRIMS,
};
use crate::ccp_wire::{decode_agent, AgentMsg, Install, UpdateField};
use portus::serialize;
use proptest::prelude::*;
use std::vec;
use std::vec::Vec;

/// Programs in the portus language (our own), covering every operator,
/// register kind and command portus 0.9.0 compiles.
pub(crate) const CORPUS: &[(&str, &str)] = &[
    (
        "per-ack",
        "(def (Report (volatile acked 0) (volatile sacked 0) (volatile loss 0)
                      (volatile timeout false) (volatile rtt 0) (volatile inflight 0)))
         (when true
            (:= Report.inflight Flow.packets_in_flight)
            (:= Report.rtt Flow.rtt_sample_us)
            (:= Report.acked (+ Report.acked Ack.bytes_acked))
            (:= Report.sacked (+ Report.sacked Ack.packets_misordered))
            (:= Report.loss Ack.lost_pkts_sample)
            (:= Report.timeout Flow.was_timeout)
            (report))",
    ),
    (
        "interval",
        "(def (Report (volatile acked 0) (volatile loss 0) (volatile timeout false) (volatile rtt 0))
              (interval 10000))
         (when true
            (:= Report.acked (+ Report.acked Ack.bytes_acked))
            (:= Report.loss (+ Report.loss Ack.lost_pkts_sample))
            (:= Report.timeout Flow.was_timeout)
            (:= Report.rtt Flow.rtt_sample_us)
            (fallthrough))
         (when (|| Report.timeout (> Report.loss 0))
            (report)
            (:= Micros 0))
         (when (> Micros interval)
            (report)
            (:= Micros 0))",
    ),
    (
        "conformance",
        "(def (Report (volatile acked 0) (volatile n 0) (rtt 0) (cwnd 0) (foo 0) (timeout false)) (foo 0))
         (when true
            (:= Report.acked (+ Report.acked Ack.bytes_acked))
            (:= Report.n (+ Report.n 1))
            (:= Report.rtt Flow.rtt_sample_us)
            (:= Report.cwnd Cwnd)
            (:= Report.foo foo)
            (:= Report.timeout Flow.was_timeout)
            (fallthrough))
         (when (> Report.n 9)
            (report))",
    ),
    (
        "every-op",
        "(def (Report (volatile minrtt +infinity) (volatile rate 0) (seq 0) (volatile cnt 0) (volatile d 0))
              (gain 2))
         (when true
            (:= Report.minrtt (min Report.minrtt Flow.rtt_sample_us))
            (:= Report.rate (ewma 2 Flow.rate_outgoing))
            (:= Report.seq (wrapped_max Report.seq Ack.now))
            (:= Report.cnt (+ Report.cnt 1))
            (:= Report.d (- (max Flow.bytes_in_flight 10) 1))
            (:= Cwnd (* Cwnd gain))
            (:= Rate (/ Flow.rate_incoming 2))
            (fallthrough))
         (when (&& (> Report.cnt 3) (< Report.minrtt 1000000))
            (:= Report.cnt (if (== Report.cnt 4) 0))
            (:= gain (!if Flow.was_timeout 1))
            (report))
         (when (or Flow.was_timeout (> Micros 100000))
            (:= Micros 0)
            (report))",
    ),
    (
        "locals",
        "(def (Report (volatile total 0)) (state 0))
         (when true
            (:= acc (+ Ack.packets_acked Ack.bytes_misordered))
            (:= Report.total (+ Report.total acc))
            (:= state (+ Ack.ecn_bytes Ack.ecn_packets))
            (:= Report.total (+ Report.total (* state Flow.bytes_pending)))
            (fallthrough))
         (when (> Report.total 100)
            (report))",
    ),
];

/// portus' INSTALL bytes of `src` (uid 9).
pub(crate) fn compile(src: &str) -> Vec<u8> {
    let (bin, _) = portus::lang::compile(src.as_bytes(), &[]).expect("portus compiles");
    install_bytes(bin, 9)
}

/// portus' serialisation of the INSTALL of `bin` as program `uid`.
pub(crate) fn install_bytes(bin: portus::lang::Bin, uid: u32) -> Vec<u8> {
    let m = serialize::install::Msg {
        sid: 0,
        program_uid: uid,
        num_events: bin.events.len() as u32,
        num_instrs: bin.instrs.len() as u32,
        instrs: bin,
    };
    serialize::serialize(&m).expect("portus serialises")
}

fn verify_msg(b: &[u8]) -> Result<Program<Vec<u8>>, VerifyError> {
    let AgentMsg::Install(i) = decode_agent(b).expect("decodes") else {
        panic!("not an INSTALL")
    };
    verify(&i)
}

fn verify(i: &Install<'_>) -> Result<Program<Vec<u8>>, VerifyError> {
    Program::verify(i, |e, ins| {
        let mut v = e.to_vec();
        v.extend_from_slice(ins);
        Some(v)
    })
    .map(|p| p.expect("storage"))
}

/// A hand-assembled instruction record.
fn ins(op: u8, res: (u8, u32), left: (u8, u32), right: (u8, u32)) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[0] = op;
    b[1] = res.0;
    b[2..6].copy_from_slice(&res.1.to_le_bytes());
    b[6] = left.0;
    b[7..11].copy_from_slice(&left.1.to_le_bytes());
    b[11] = right.0;
    b[12..16].copy_from_slice(&right.1.to_le_bytes());
    b
}

fn ev(flag: u32, nflag: u32, body: u32, nbody: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    for (k, v) in [flag, nflag, body, nbody].into_iter().enumerate() {
        b[4 * k..4 * k + 4].copy_from_slice(&v.to_le_bytes());
    }
    b
}

fn assemble(events: &[[u8; 16]], instrs: &[[u8; 16]]) -> Program<Vec<u8>> {
    let e: Vec<u8> = events.concat();
    let i: Vec<u8> = instrs.concat();
    verify(&Install {
        uid: 5,
        events: &e,
        instrs: &i,
    })
    .expect("verifies")
}

const CTL: u8 = 0;
const IMM: u8 = 1;
const IMPL: u8 = 2;
const LOC: u8 = 3;
const PRIM: u8 = 4;
const VREP: u8 = 5;
const REP: u8 = 6;
const TMP: u8 = 7;
const VCTL: u8 = 8;

fn prims(v: &[(usize, u64)]) -> Prims {
    let mut p = Prims::default();
    for &(i, x) in v {
        p.0[i] = x;
    }
    p
}

fn rep(i: u32) -> Reg {
    Reg {
        ty: RegType::Report,
        idx: i,
    }
}

#[test]
fn corpus_accepted_and_runs() {
    for (name, src) in CORPUS {
        let b = compile(src);
        let p = verify_msg(&b).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(p.nreport() >= 1, "{name}");
        let mut m = Machine::new();
        m.change_program(&p, 0);
        let mut reports = 0;
        for t in 1..200u64 {
            m.seed(14480, 0);
            let pr = prims(&[
                (0, 1448),
                (5, t * 1000),
                (6, 1),
                (8, 14480),
                (10, 10),
                (11, 5_000_000),
                (12, 6_000_000),
                (13, 20_000),
            ]);
            match m.invoke(&p, &pr, t * 1000) {
                Ok(o) => {
                    if o.report {
                        reports += 1;
                        assert_eq!(m.report_fields(&p).len(), p.nreport());
                        m.after_report(&p, t * 1000);
                    }
                }
                Err(e) => panic!("{name}: abort {e:?} at step {t}"),
            }
        }
        assert!(reports > 0, "{name}: never reported");
    }
}

/// tools/ccp-agent's own programs (the same file the agent compiles).
#[path = "../../../ccp-agent/src/programs.rs"]
mod agent_programs;

/// The agent's per-ACK and 10 ms programs pass the verifier; per ACK
/// reports every ACK, the interval program once per 10 ms of Micros and at
/// once on a timeout; the reported window is the seeded Cwnd.
#[test]
fn ccp_agent_programs_accepted_and_run() {
    for (name, src, every) in [
        ("per_ack", agent_programs::PER_ACK, 1u64),
        ("interval", agent_programs::INTERVAL, 11),
    ] {
        let p = verify_msg(&compile(src)).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(p.nreport(), 7, "{name}");
        let mut m = Machine::new();
        m.change_program(&p, 0);
        let mut reports = 0;
        // One ACK per ms for 110 ms, then a timeout.
        for t in 1..=111u64 {
            m.seed(20 * 1448, 0);
            let timeout = u64::from(t == 111);
            let pr = prims(&[(0, 1448), (5, t * 1000), (13, 20_000), (14, timeout)]);
            let o = m
                .invoke(&p, &pr, t * 1000)
                .unwrap_or_else(|e| panic!("{name}: abort {e:?} at {t}"));
            if o.report {
                reports += 1;
                let f = m.report_fields(&p);
                // Report.cwnd (last DEF) is the window seeded.
                assert_eq!(f.last().copied(), Some(20 * 1448), "{name}");
                m.after_report(&p, t * 1000);
            }
        }
        // per_ack: every ACK; interval: ten 10 ms periods plus the timeout.
        let want = if every == 1 { 111 } else { 110 / every + 1 };
        assert_eq!(reports, want, "{name}");
    }
}

/// The conformance fixture of the protocol notes: ten ACKs per report
/// (volatile n), the control value set through CHANGE_PROG, Cwnd visible.
#[test]
fn conformance_fixture_reports_every_ten_acks() {
    let src = CORPUS
        .iter()
        .find(|c| c.0 == "conformance")
        .expect("fixture")
        .1;
    let (bin, scope) = portus::lang::compile(src.as_bytes(), &[]).expect("compiles");
    let p = verify_msg(&install_bytes(bin, 3)).expect("verifies");
    let idx = |name: &str| match scope.get(name).expect("in scope") {
        portus::lang::Reg::Report(i, _, _) | portus::lang::Reg::Control(i, _, _) => u32::from(*i),
        r => panic!("{r:?}"),
    };
    let mut vm = Machine::new();
    vm.change_program(&p, 0);
    // CHANGE_PROG's field: foo = 52.
    let e = vm.apply_update(
        &UpdateField {
            reg_type: 0,
            index: idx("foo"),
            value: 52,
        },
        0,
    );
    assert_eq!(e, UpdateEffect::Register);
    let mut reports = Vec::new();
    for t in 1..=30u64 {
        vm.seed(20 * 1448, 0);
        let o = vm
            .invoke(&p, &prims(&[(0, 1448), (13, 15_000)]), t)
            .expect("runs");
        assert_eq!(o.cwnd, Some(20 * 1448));
        if o.report {
            reports.push(vm.report_fields(&p).to_vec());
            vm.after_report(&p, t);
        }
    }
    assert_eq!(reports.len(), 3);
    for r in &reports {
        assert_eq!(r[idx("Report.n") as usize], 10);
        assert_eq!(r[idx("Report.acked") as usize], 10 * 1448);
        assert_eq!(r[idx("Report.foo") as usize], 52);
        assert_eq!(r[idx("Report.rtt") as usize], 15_000);
        assert_eq!(r[idx("Report.cwnd") as usize], 20 * 1448);
    }
}

#[test]
fn golden_install_from_the_notes() {
    // generic_cong_avoid's interval program as dumped in the protocol
    // notes §3.9 (452 bytes, uid 9).
    let mut b = Vec::new();
    b.extend_from_slice(&[
        2, 0, 0xc4, 1, 1, 0, 0, 0, 9, 0, 0, 0, 3, 0, 0, 0, 24, 0, 0, 0,
    ]);
    for e in [ev(7, 1, 8, 9), ev(17, 2, 19, 2), ev(21, 1, 22, 2)] {
        b.extend_from_slice(&e);
    }
    let code = [
        ins(2, (VREP, 0), (VREP, 0), (IMM, 0)),
        ins(2, (VREP, 5), (VREP, 5), (IMM, 0)),
        ins(2, (VREP, 2), (VREP, 2), (IMM, 0)),
        ins(2, (VREP, 4), (VREP, 4), (IMM, 0)),
        ins(2, (VREP, 1), (VREP, 1), (IMM, 0)),
        ins(2, (VREP, 3), (VREP, 3), (IMM, 0)),
        ins(2, (CTL, 0), (CTL, 0), (IMM, 0)),
        ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
        ins(1, (VREP, 5), (VREP, 5), (PRIM, 10)),
        ins(1, (VREP, 4), (VREP, 4), (PRIM, 13)),
        ins(0, (TMP, 0), (VREP, 0), (PRIM, 0)),
        ins(1, (VREP, 0), (VREP, 0), (TMP, 0)),
        ins(0, (TMP, 0), (VREP, 1), (PRIM, 7)),
        ins(1, (VREP, 1), (VREP, 1), (TMP, 0)),
        ins(1, (VREP, 2), (VREP, 2), (PRIM, 4)),
        ins(1, (VREP, 3), (VREP, 3), (PRIM, 14)),
        ins(1, (IMPL, 1), (IMPL, 1), (IMM, 1)),
        ins(6, (TMP, 0), (VREP, 2), (IMM, 0)),
        ins(0, (IMPL, 0), (VREP, 3), (TMP, 0)),
        ins(1, (IMPL, 2), (IMPL, 2), (IMM, 1)),
        ins(1, (IMPL, 3), (IMPL, 3), (IMM, 0)),
        ins(6, (IMPL, 0), (IMPL, 3), (CTL, 0)),
        ins(1, (IMPL, 2), (IMPL, 2), (IMM, 1)),
        ins(1, (IMPL, 3), (IMPL, 3), (IMM, 0)),
    ];
    for i in code {
        b.extend_from_slice(&i);
    }
    assert_eq!(b.len(), 452);
    let p = verify_msg(&b).expect("verifies");
    assert_eq!((p.uid(), p.nevents(), p.len(), p.nreport()), (9, 3, 24, 6));
    assert_eq!(p.instr(6).map(|i| i.op), Some(Op::Def));
    assert_eq!(p.instr(21).map(|i| i.op), Some(Op::Gt));
    let mut m = Machine::new();
    m.change_program(&p, 0);
    m.apply_update(
        &UpdateField {
            reg_type: 0,
            index: 0,
            value: 10_000,
        },
        0,
    );
    // No loss, 1 ms per ACK: a report once Micros exceeds 10 ms.
    let mut at = Vec::new();
    for t in 1..=25u64 {
        m.seed(10 * 1448, 0);
        let o = m
            .invoke(&p, &prims(&[(0, 1448), (13, 30_000)]), t * 1000)
            .expect("runs");
        if o.report {
            at.push(t);
            assert_eq!(m.report_fields(&p)[0], 11 * 1448, "acked over 11 ACKs");
            m.after_report(&p, t * 1000);
            assert_eq!(m.report_fields(&p)[0], 0, "volatile reset");
        }
    }
    assert_eq!(at, [11, 22]);
    // A loss reports at once.
    m.seed(10 * 1448, 0);
    let o = m.invoke(&p, &prims(&[(4, 1)]), 26_000).expect("runs");
    assert!(o.report);
}

#[test]
fn sticky_fallthrough() {
    // Event 0 sets fallthrough; events 1 and 2 are true and both run: the
    // flag is not cleared between events.
    let p = assemble(
        &[ev(1, 1, 2, 2), ev(4, 1, 5, 1), ev(6, 1, 7, 1)],
        &[
            ins(2, (REP, 0), (REP, 0), (IMM, 0)),
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(1, (IMPL, 1), (IMPL, 1), (IMM, 1)),
            ins(0, (REP, 0), (REP, 0), (IMM, 1)),
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(0, (REP, 0), (REP, 0), (IMM, 10)),
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(0, (REP, 0), (REP, 0), (IMM, 100)),
        ],
    );
    let mut m = Machine::new();
    m.change_program(&p, 0);
    m.invoke(&p, &Prims::default(), 1).expect("runs");
    assert_eq!(m.get(rep(0)), 111);
}

#[test]
fn first_true_event_stops_without_fallthrough() {
    let p = assemble(
        &[ev(1, 1, 2, 1), ev(3, 1, 4, 1)],
        &[
            ins(2, (REP, 0), (REP, 0), (IMM, 0)),
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(0, (REP, 0), (REP, 0), (IMM, 1)),
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(0, (REP, 0), (REP, 0), (IMM, 10)),
        ],
    );
    let mut m = Machine::new();
    m.change_program(&p, 0);
    m.invoke(&p, &Prims::default(), 1).expect("runs");
    assert_eq!(m.get(rep(0)), 1);
}

/// Each abort kind: the invocation stops, earlier writes stay (Report.0
/// and Report.3), no enforcement and no report.
#[test]
fn aborts_keep_earlier_writes() {
    let cases: [([u8; 16], Abort); 5] = [
        (ins(14, (REP, 1), (IMM, 1), (IMM, 2)), Abort::SubUnderflow),
        (ins(3, (REP, 1), (IMM, 1), (IMM, 0)), Abort::DivZero),
        (ins(12, (REP, 1), (REP, 3), (IMM, 2)), Abort::MulOverflow),
        (ins(0, (REP, 1), (REP, 3), (REP, 3)), Abort::AddOverflow),
        (ins(5, (REP, 2), (IMM, 11), (IMM, 5)), Abort::EwmaWeight),
    ];
    for (bad, want) in cases {
        let p = assemble(
            &[ev(3, 1, 4, 5)],
            &[
                ins(2, (REP, 0), (REP, 0), (IMM, 0)),
                ins(2, (REP, 2), (REP, 2), (IMM, 1)),
                ins(2, (REP, 3), (REP, 3), (IMM, 0)),
                ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
                ins(1, (REP, 0), (REP, 0), (IMM, 77)),
                ins(12, (REP, 3), (IMM, 0xFFFF_FFFF), (IMM, 0xFFFF_FFFF)),
                bad,
                ins(1, (IMPL, 2), (IMPL, 2), (IMM, 1)),
                ins(1, (IMPL, 4), (IMPL, 4), (IMM, 9999)),
            ],
        );
        let mut m = Machine::new();
        m.change_program(&p, 0);
        m.seed(5000, 0);
        assert_eq!(m.invoke(&p, &Prims::default(), 1), Err(want), "{want:?}");
        assert_eq!(m.get(rep(0)), 77, "{want:?}: earlier write kept");
        assert_eq!(m.get(rep(3)), 0xFFFF_FFFE_0000_0001, "{want:?}");
        assert_eq!(m.get(rep(1)), 0, "{want:?}: no result written");
    }
}

#[test]
fn infinity_def_quirk_and_rtt_zero() {
    let p = assemble(
        &[ev(2, 1, 3, 2)],
        &[
            ins(2, (REP, 0), (REP, 0), (IMM, 0x3FFF_FFFF)),
            ins(2, (REP, 1), (REP, 1), (IMM, 0xFFFF_FFFF)),
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(11, (REP, 0), (REP, 0), (PRIM, 13)),
            ins(1, (REP, 1), (REP, 1), (PRIM, 13)),
        ],
    );
    let mut m = Machine::new();
    m.change_program(&p, 0);
    assert_eq!(m.get(rep(0)), INFINITY, "DEF 0x3fffffff reads as +infinity");
    assert_eq!(m.get(rep(1)), INFINITY);
    m.invoke(&p, &Prims::default(), 1).expect("runs");
    assert_eq!(m.get(rep(1)), INFINITY, "no RTT sample reads as +infinity");
    m.invoke(&p, &prims(&[(13, 500)]), 2).expect("runs");
    assert_eq!((m.get(rep(0)), m.get(rep(1))), (500, 500));
    // Primitives beyond the 15 defined read 0.
    let q = assemble(
        &[ev(1, 1, 2, 1)],
        &[
            ins(2, (REP, 0), (REP, 0), (IMM, 5)),
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(1, (REP, 0), (REP, 0), (PRIM, 4000)),
        ],
    );
    let mut m = Machine::new();
    m.change_program(&q, 0);
    m.invoke(&q, &prims(&[(NUM_PRIMS - 1, 7)]), 1)
        .expect("runs");
    assert_eq!(m.get(rep(0)), 0);
}

#[test]
fn volatile_reset_after_report_only() {
    // Report.0 volatile, Report.1 not, Control.0 volatile, Control.1 not:
    // each ACK adds 10 to all; a report every second ACK.
    let p = assemble(
        &[ev(4, 1, 5, 5)],
        &[
            ins(2, (VREP, 0), (VREP, 0), (IMM, 0)),
            ins(2, (REP, 1), (REP, 1), (IMM, 0)),
            ins(2, (VCTL, 0), (VCTL, 0), (IMM, 3)),
            ins(2, (CTL, 1), (CTL, 1), (IMM, 0)),
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(0, (VREP, 0), (VREP, 0), (IMM, 10)),
            ins(0, (REP, 1), (REP, 1), (IMM, 10)),
            ins(0, (VCTL, 0), (VCTL, 0), (IMM, 10)),
            ins(0, (CTL, 1), (CTL, 1), (IMM, 10)),
            ins(9, (IMPL, 2), (IMM, 0), (CTL, 1)),
        ],
    );
    let mut m = Machine::new();
    m.change_program(&p, 0);
    let ctl = |i| Reg {
        ty: RegType::Control,
        idx: i,
    };
    let o = m.invoke(&p, &Prims::default(), 1).expect("runs");
    assert!(o.report);
    assert_eq!(m.report_fields(&p), [10, 10]);
    m.after_report(&p, 1);
    assert_eq!(
        (m.get(rep(0)), m.get(rep(1)), m.get(ctl(0)), m.get(ctl(1))),
        (0, 10, 3, 10)
    );
    m.invoke(&p, &Prims::default(), 2).expect("runs");
    assert_eq!(m.report_fields(&p), [10, 20]);
    // An abort-free invocation without report keeps everything.
}

#[test]
fn micros_write_moves_time_zero() {
    let p = assemble(
        &[ev(1, 1, 2, 1)],
        &[
            ins(2, (REP, 0), (REP, 0), (IMM, 0)),
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(1, (REP, 0), (REP, 0), (IMPL, 3)),
        ],
    );
    let mut m = Machine::new();
    m.change_program(&p, 1_000);
    m.invoke(&p, &Prims::default(), 1_500).expect("runs");
    assert_eq!(m.get(rep(0)), 500);
    let w = assemble(
        &[ev(0, 1, 1, 1)],
        &[
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(1, (IMPL, 3), (IMPL, 3), (IMM, 100)),
        ],
    );
    m.invoke(&w, &Prims::default(), 2_000).expect("runs");
    m.invoke(&p, &Prims::default(), 2_050).expect("runs");
    assert_eq!(m.get(rep(0)), 150, "Micros = 100 at 2000, then 50 µs later");
}

#[test]
fn cwnd_and_rate_enforcement() {
    let p = assemble(
        &[ev(1, 1, 2, 1)],
        &[
            ins(2, (REP, 0), (REP, 0), (IMM, 0)),
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(1, (REP, 0), (REP, 0), (IMPL, 4)),
        ],
    );
    let mut m = Machine::new();
    m.change_program(&p, 0);
    m.seed(14480, 1_000_000);
    // A staged update is enforced at once and visible to the program.
    assert_eq!(
        m.apply_update(
            &UpdateField {
                reg_type: 2,
                index: 4,
                value: 28960
            },
            0
        ),
        UpdateEffect::Cwnd(28960)
    );
    assert_eq!(
        m.apply_update(
            &UpdateField {
                reg_type: 2,
                index: 5,
                value: 5
            },
            0
        ),
        UpdateEffect::Rate(5)
    );
    let o = m.invoke(&p, &Prims::default(), 1).expect("runs");
    assert_eq!(
        o,
        Outcome {
            cwnd: Some(28960),
            rate: Some(5),
            report: false
        }
    );
    assert_eq!(m.get(rep(0)), 28960);
    // Unchanged rate: not re-enforced; cwnd always is.
    m.seed(14480, 1_000_000);
    let o = m.invoke(&p, &Prims::default(), 2).expect("runs");
    assert_eq!((o.cwnd, o.rate), (Some(14480), None));
}

#[test]
fn update_targets() {
    let ok = [(0u8, 0u32), (0, 109), (8, 5), (2, 4), (2, 5)];
    let bad = [
        (0u8, 110u32),
        (8, 1000),
        (2, 0),
        (2, 3),
        (2, 6),
        (1, 0),
        (3, 0),
        (4, 1),
        (5, 0),
        (6, 0),
        (7, 0),
        (9, 0),
    ];
    for (t, i) in ok {
        assert!(
            valid_update(&UpdateField {
                reg_type: t,
                index: i,
                value: 1
            }),
            "{t}/{i}"
        );
    }
    let mut m = Machine::new();
    for (t, i) in bad {
        let u = UpdateField {
            reg_type: t,
            index: i,
            value: 1,
        };
        assert!(!valid_update(&u), "{t}/{i}");
        assert_eq!(m.apply_update(&u, 0), UpdateEffect::Ignored);
    }
}

#[test]
fn ewma_and_max_wrap() {
    let p = assemble(
        &[ev(1, 1, 2, 1)],
        &[
            ins(2, (REP, 0), (REP, 0), (IMM, 0)),
            ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
            ins(5, (REP, 0), (IMM, 8), (PRIM, 11)),
        ],
    );
    let mut m = Machine::new();
    m.change_program(&p, 0);
    m.invoke(&p, &prims(&[(11, 1000)]), 1).expect("runs");
    assert_eq!(m.get(rep(0)), 1000, "first sample taken as is");
    m.invoke(&p, &prims(&[(11, 2000)]), 2).expect("runs");
    assert_eq!(m.get(rep(0)), (8 * 1000 + 2 * 2000) / 10);
    assert_eq!(max_wrap(0, 5), 5);
    assert_eq!(max_wrap(5, 0), 5);
    assert_eq!(max_wrap(10, 20), 20);
    assert_eq!(max_wrap(20, 10), 20);
    // Across the 32-bit wrap: 5 is later than 0xFFFF_FFF0.
    assert_eq!(max_wrap(0xFFFF_FFF0, 5), 5);
    assert_eq!(max_wrap(5, 0xFFFF_FFF0), 5);
    // Truncated to 32 bits.
    assert_eq!(max_wrap(0x1_0000_0003, 2), 3);
}

proptest! {
    /// The exact EWMA against u128 arithmetic.
    #[test]
    fn ewma_exact(w in 0u64..=10, old in 1u64.., new in any::<u64>()) {
        let p = assemble(
            &[ev(2, 1, 3, 1)],
            &[
                ins(2, (REP, 0), (REP, 0), (IMM, 0)),
                ins(2, (REP, 1), (REP, 1), (IMM, 0)),
                ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
                ins(5, (REP, 0), (IMM, w as u32), (REP, 1)),
            ],
        );
        let mut m = Machine::new();
        m.change_program(&p, 0);
        // Load old and new through a helper program writing immediates
        // is limited to 32 bits: use MUL of two immediates instead.
        let set = |m: &mut Machine, r: u32, v: u64| {
            let hi = (v >> 32) as u32;
            let lo = v as u32;
            let q = assemble(
                &[ev(0, 1, 1, 4)],
                &[
                    ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
                    ins(12, (TMP, 0), (IMM, hi), (IMM, 0x10000)),
                    ins(12, (TMP, 0), (TMP, 0), (IMM, 0x10000)),
                    ins(0, (TMP, 0), (TMP, 0), (IMM, lo)),
                    ins(1, (REP, r), (REP, r), (TMP, 0)),
                ],
            );
            m.invoke(&q, &Prims::default(), 0).expect("sets");
        };
        set(&mut m, 0, old);
        set(&mut m, 1, new);
        m.invoke(&p, &Prims::default(), 0).expect("ewma");
        let want = (u128::from(w) * u128::from(old) + u128::from(10 - w) * u128::from(new)) / 10;
        prop_assert_eq!(u128::from(m.get(rep(0))), want);
    }

    /// Random instruction records: the verifier never panics, and what it
    /// accepts runs without panicking within MAX_STEPS.
    #[test]
    fn random_programs(
        raw in proptest::collection::vec((0u8..16, 0u8..10, 0u32..20, 0u8..10, 0u32..20, 0u8..10, 0u32..20), 1..40),
        evs in proptest::collection::vec((0u32..45, 0u32..8, 0u32..45, 0u32..8), 1..6),
        pr in proptest::array::uniform15(any::<u64>()),
    ) {
        let instrs: Vec<[u8; 16]> = raw.iter().map(|&(op, rt, ri, lt, li, qt, qi)| ins(op, (rt, ri), (lt, li), (qt, qi))).collect();
        let events: Vec<[u8; 16]> = evs.iter().map(|&(a, b, c, d)| ev(a, b, c, d)).collect();
        let e: Vec<u8> = events.concat();
        let i: Vec<u8> = instrs.concat();
        if let Ok(p) = verify(&Install { uid: 1, events: &e, instrs: &i }) {
            let mut m = Machine::new();
            m.change_program(&p, 0);
            for t in 0..3 {
                m.seed(1000, 0);
                if let Ok(o) = m.invoke(&p, &Prims(pr), t) {
                    if o.report {
                        prop_assert!(m.report_fields(&p).len() <= 110);
                        m.after_report(&p, t);
                    }
                }
            }
        }
    }

    /// Any bytes as an INSTALL body: no panic.
    #[test]
    fn verifier_total(e in proptest::collection::vec(any::<u8>(), 0..5).prop_map(|n| n.len()), body in proptest::collection::vec(any::<u8>(), 16..800)) {
        let ne = e.max(1);
        if body.len() >= 16 * ne + 16 {
            let (ev, rest) = body.split_at(16 * ne);
            let ni = rest.len() / 16;
            let _ = verify(&Install { uid: 1, events: ev, instrs: &rest[..16 * ni] });
        }
    }
}

#[test]
fn verifier_refusals() {
    let flag = ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1));
    let e = |v: &[[u8; 16]], i: &[[u8; 16]]| -> Result<Program<Vec<u8>>, VerifyError> {
        let ev: Vec<u8> = v.concat();
        let ins: Vec<u8> = i.concat();
        verify(&Install {
            uid: 1,
            events: &ev,
            instrs: &ins,
        })
    };
    assert_eq!(
        e(&[ev(0, 1, 0, 0)], &[ins(15, (REP, 0), (REP, 0), (IMM, 0))]).err(),
        Some(VerifyError::Opcode(0))
    );
    assert_eq!(
        e(&[ev(0, 1, 0, 0)], &[ins(1, (9, 0), (REP, 0), (IMM, 0))]).err(),
        Some(VerifyError::RegType(0))
    );
    assert_eq!(
        e(
            &[ev(0, 1, 1, 1)],
            &[flag, ins(1, (TMP, 16), (REP, 0), (IMM, 0))]
        )
        .err(),
        Some(VerifyError::RegIndex(1))
    );
    for (t, n) in [
        (CTL, 110),
        (VCTL, 110),
        (REP, 110),
        (VREP, 110),
        (LOC, 8),
        (TMP, 16),
        (IMPL, 6),
    ] {
        assert_eq!(
            e(&[ev(0, 1, 1, 1)], &[flag, ins(1, (t, n), (t, 0), (IMM, 0))]).err(),
            Some(VerifyError::RegIndex(1)),
            "type {t}"
        );
        assert!(
            e(
                &[ev(0, 1, 1, 1)],
                &[flag, ins(1, (t, n - 1), (t, 0), (IMM, 0))]
            )
            .is_ok(),
            "type {t}"
        );
        // Operands too.
        assert_eq!(
            e(
                &[ev(0, 1, 1, 1)],
                &[flag, ins(1, (TMP, 0), (t, n), (IMM, 0))]
            )
            .err(),
            Some(VerifyError::RegIndex(1)),
            "type {t}"
        );
    }
    assert_eq!(
        e(
            &[ev(0, 1, 1, 1)],
            &[flag, ins(1, (IMM, 0), (REP, 0), (IMM, 0))]
        )
        .err(),
        Some(VerifyError::ResultReadOnly(1))
    );
    assert_eq!(
        e(
            &[ev(0, 1, 1, 1)],
            &[flag, ins(1, (PRIM, 0), (REP, 0), (IMM, 0))]
        )
        .err(),
        Some(VerifyError::ResultReadOnly(1))
    );
    assert_eq!(
        e(
            &[ev(1, 1, 2, 1)],
            &[ins(2, (TMP, 0), (TMP, 0), (IMM, 0)), flag, flag]
        )
        .err(),
        Some(VerifyError::DefTarget(0))
    );
    for bad in [
        ev(0, 2, 0, 0),
        ev(1, 1, 0, 0),
        ev(0, 1, 0, 2),
        ev(u32::MAX, 2, 0, 0),
        ev(0, 0, 1, u32::MAX),
    ] {
        assert_eq!(
            e(&[ev(0, 1, 0, 0), bad], &[flag]).err(),
            Some(VerifyError::EventRange(1))
        );
    }
    // 256 events each covering all 256 instructions: far over MAX_STEPS.
    let all = vec![flag; 256];
    let evs = vec![ev(0, 256, 0, 0); 256];
    assert_eq!(e(&evs, &all).err(), Some(VerifyError::TooManySteps));
}

/// A 256-instruction event runs to the end (libccp's u8 index looped
/// forever on this).
#[test]
fn program_of_256_instructions_runs() {
    let mut code = vec![
        ins(2, (REP, 0), (REP, 0), (IMM, 0)),
        ins(1, (IMPL, 0), (IMPL, 0), (IMM, 1)),
    ];
    while code.len() < 256 {
        code.push(ins(0, (REP, 0), (REP, 0), (IMM, 1)));
    }
    let p = assemble(&[ev(1, 1, 2, 254)], &code);
    let mut m = Machine::new();
    m.change_program(&p, 0);
    m.invoke(&p, &Prims::default(), 1).expect("runs");
    assert_eq!(m.get(rep(0)), 254);
    const _: () = assert!(255 <= MAX_STEPS);
}
