// SPDX-License-Identifier: GPL-2.0

use crate::counters::{Counter, Counters, CONNS_ACTIVE, COUNTER_COUNT, NAMES};
use crate::proto::{COUNTER_NAME_LEN, MAX_COUNTERS};
use std::collections::HashSet;

// The counters reply (all counters plus the gauge) fits in one message.
const _: () = assert!(COUNTER_COUNT < MAX_COUNTERS);

#[test]
fn names_are_unique_and_fit() {
    let mut seen = HashSet::new();
    for n in NAMES.iter().chain([&CONNS_ACTIVE]) {
        assert!(n.len() < COUNTER_NAME_LEN, "{n}");
        assert!(seen.insert(*n), "duplicate {n}");
    }
    assert_eq!(NAMES[Counter::SockoptRejected as usize], "sockopt_rejected");
    assert_eq!(
        NAMES[Counter::ConnsInitialized as usize],
        "conns_initialized"
    );
}

#[test]
fn snapshot_reports_every_counter_and_the_gauge() {
    let c = Counters::new();
    for _ in 0..5 {
        c.inc(Counter::ConnsInitialized);
    }
    for _ in 0..2 {
        c.inc(Counter::ConnsReleased);
    }
    c.inc(Counter::DevQueueFull);
    let s = c.snapshot();
    assert_eq!(s[0], (CONNS_ACTIVE, 3));
    assert_eq!(s.len(), COUNTER_COUNT + 1);
    let get = |name: &str| s.iter().find(|(n, _)| *n == name).unwrap().1;
    assert_eq!(get("conns_initialized"), 5);
    assert_eq!(get("conns_released"), 2);
    assert_eq!(get("dev_queue_full"), 1);
    assert_eq!(get("loss_events"), 0);
}

#[test]
fn gauge_never_goes_negative() {
    let c = Counters::new();
    c.inc(Counter::ConnsReleased);
    assert_eq!(c.conns_active(), 0);
}
