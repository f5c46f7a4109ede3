// SPDX-License-Identifier: GPL-2.0

use crate::knobs::{Knob, Knobs, OutOfRange, ALL, DEFS, KNOB_COUNT};
use crate::proto::KNOB_NAME_LEN;
use std::collections::HashSet;

#[test]
fn defaults_are_the_papers() {
    let k = Knobs::new();
    assert_eq!(k.get(Knob::Rtos), 3, "N");
    assert_eq!(k.get(Knob::Dups), 2, "M");
    assert_eq!(k.get(Knob::TimeoutMs), 700, "T in ms");
}

#[test]
fn table_is_consistent() {
    assert_eq!(ALL.len(), KNOB_COUNT);
    let mut names = HashSet::new();
    for (i, k) in ALL.iter().enumerate() {
        assert_eq!(*k as usize, i, "ALL is in table order");
        let d = k.def();
        assert!(core::ptr::eq(d, &DEFS[i]));
        assert!(d.min <= d.default && d.default <= d.max, "{:?}", d);
        let name = d.name.to_str().unwrap();
        assert!(!name.is_empty() && name.len() < KNOB_NAME_LEN, "{name}");
        assert!(
            name.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'),
            "{name}"
        );
        assert!(names.insert(name), "duplicate {name}");
    }
}

#[test]
fn set_checks_the_range() {
    for knob in ALL {
        // Fresh values per knob: a linked bound (floor and ceiling) is
        // the other knob's default.
        let k = Knobs::new();
        let d = knob.def();
        if let (Some(_), _) | (_, Some(_)) = knob.linked_bounds() {
            continue;
        }
        assert_eq!(k.set(knob, d.min - 1), Err(OutOfRange));
        assert_eq!(k.set(knob, d.max + 1), Err(OutOfRange));
        assert_eq!(k.get(knob), d.default, "failed set leaves the value");
        k.set(knob, d.min).unwrap();
        assert_eq!(k.get(knob), d.min);
        k.set(knob, d.max).unwrap();
        assert_eq!(
            k.cell(knob).load(core::sync::atomic::Ordering::Relaxed),
            d.max
        );
    }
}

#[test]
fn floor_and_ceiling_bound_each_other() {
    let k = Knobs::new();
    let (f, c) = (Knob::AugFloor, Knob::AugCeiling);
    assert_eq!(f.linked_bounds(), (None, Some(c)));
    assert_eq!(c.linked_bounds(), (Some(f), None));
    let (fd, cd) = (f.def().default, c.def().default);
    assert!(fd <= cd);
    // Neither may cross the other; the value stays.
    assert_eq!(k.set(c, fd - 1), Err(OutOfRange));
    assert_eq!(k.set(f, cd + 1), Err(OutOfRange));
    assert_eq!((k.get(f), k.get(c)), (fd, cd));
    // Equal is fine, and moving one moves the other's limit.
    k.set(c, fd).unwrap();
    assert_eq!(k.set(f, fd + 1), Err(OutOfRange));
    k.set(c, c.def().max).unwrap();
    k.set(f, f.def().max).unwrap();
    assert_eq!(k.set(c, c.def().max - 1), Err(OutOfRange));
    // The static ranges still apply.
    assert_eq!(k.set(f, 0), Err(OutOfRange));
    assert_eq!(k.set(c, c.def().max + 1), Err(OutOfRange));
}
