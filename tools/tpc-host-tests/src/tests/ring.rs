// SPDX-License-Identifier: GPL-2.0

//! `MsgRing` against a `VecDeque<Vec<u8>>` model.

use crate::ring::{Full, MsgRing, RECORD_OVERHEAD};
use proptest::prelude::*;
use std::collections::VecDeque;
use std::vec;
use std::vec::Vec;

#[derive(Debug, Clone)]
enum Op {
    Push(Vec<u8>),
    Pop,
    Peek(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Op::Push),
        2 => Just(Op::Pop),
        1 => (0usize..400).prop_map(Op::Peek),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any sequence of operations behaves like a bounded FIFO whose byte
    /// usage is the sum of payloads plus 4 per record.
    #[test]
    fn behaves_like_bounded_fifo(cap in 0usize..1200, ops in proptest::collection::vec(op(), 0..200)) {
        let mut ring = MsgRing::new(vec![0xa5u8; cap]);
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        let used = |m: &VecDeque<Vec<u8>>| m.iter().map(|v| v.len() + RECORD_OVERHEAD).sum::<usize>();
        for op in ops {
            match op {
                Op::Push(m) => {
                    let fits = used(&model) + m.len() + RECORD_OVERHEAD <= cap;
                    prop_assert_eq!(ring.fits(m.len()), fits);
                    let r = ring.push(&m);
                    if fits {
                        prop_assert_eq!(r, Ok(()));
                        model.push_back(m);
                    } else {
                        prop_assert_eq!(r, Err(Full));
                    }
                }
                Op::Pop => {
                    prop_assert_eq!(ring.pop(), model.pop_front().map(|m| m.len()));
                }
                Op::Peek(n) => {
                    let mut out = vec![0u8; n];
                    match model.front() {
                        None => prop_assert_eq!(ring.peek(&mut out), None),
                        Some(m) if m.len() > n => prop_assert_eq!(ring.peek(&mut out), None),
                        Some(m) => {
                            prop_assert_eq!(ring.peek(&mut out), Some(m.len()));
                            prop_assert_eq!(&out[..m.len()], &m[..]);
                        }
                    }
                }
            }
            prop_assert_eq!(ring.len(), model.len());
            prop_assert_eq!(ring.is_empty(), model.is_empty());
            prop_assert_eq!(ring.free(), cap - used(&model));
            prop_assert_eq!(ring.front_len(), model.front().map(|m| m.len()));
        }
    }
}

#[test]
fn wraps_around_the_end() {
    let mut ring = MsgRing::new(vec![0u8; 32]);
    for round in 0..100u8 {
        let msg = [round; 9];
        ring.push(&msg).unwrap();
        ring.push(&msg[..3]).unwrap();
        let mut out = [0u8; 16];
        assert_eq!(ring.peek(&mut out), Some(9));
        assert_eq!(&out[..9], &msg);
        assert_eq!(ring.pop(), Some(9));
        assert_eq!(ring.peek(&mut out), Some(3));
        assert_eq!(ring.pop(), Some(3));
        assert!(ring.is_empty());
    }
}

#[test]
fn full_ring_is_unchanged_by_failed_push() {
    let mut ring = MsgRing::new(vec![0u8; 20]);
    ring.push(&[1; 12]).unwrap(); // 16 bytes used
    assert_eq!(ring.push(&[2; 1]), Err(Full));
    assert_eq!(ring.len(), 1);
    assert!(ring.fits(0));
    ring.push(&[]).unwrap(); // An empty message costs its header only.
    assert_eq!(ring.free(), 0);
    assert_eq!(ring.pop(), Some(12));
    assert_eq!(ring.pop(), Some(0));
    assert_eq!(ring.pop(), None);
}

#[test]
fn zero_capacity_accepts_nothing() {
    let mut ring = MsgRing::new(Vec::<u8>::new());
    assert!(!ring.fits(0));
    assert_eq!(ring.push(&[]), Err(Full));
    assert_eq!(ring.front_len(), None);
}
