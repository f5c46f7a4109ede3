// SPDX-License-Identifier: GPL-2.0

//! Augmenter: the aggregate of a prefix's flows against closed-form and f64
//! references, the estimate, policy checks, per-connection caps, and the
//! control messages.

use crate::augment::*;
use crate::paths::Prefix;
use crate::proto::{self, AugReq, AugStateView, Reply, Request};
use proptest::prelude::*;
use std::vec::Vec;

const MS: i64 = 1_000_000;
const SETTINGS: Settings = Settings {
    floor: 10,
    ceiling: 512,
    half_life_ms: 1000,
    stale_ms: 10_000,
};

/// A simulated connection: cumulative counters, reporting every
/// `REPORT_MS` like the module does on its ACKs.
struct SimFlow {
    t: FlowTrack,
    c: FlowCounters,
}

impl SimFlow {
    fn new(agg: &mut Aggregate, now: i64, min_rtt_us: u32) -> Self {
        let c = FlowCounters {
            bytes_acked: 1,
            lost: 0,
            min_rtt_us,
            mss: 1428,
        };
        let mut t = FlowTrack::default();
        t.start(&c, (now / MS) as u32, 64);
        agg.open_flow(now);
        Self { t, c }
    }

    /// Delivers `bytes` (in 1428-byte packets) and loses `lost` packets,
    /// then reports if due.
    fn step(&mut self, agg: &mut Aggregate, now: i64, bytes: u64, lost: u32) {
        self.c.bytes_acked += bytes;
        self.c.lost += lost;
        let ms = (now / MS) as u32;
        if self.t.due(ms) {
            if let Some(r) = self.t.take(&self.c, ms) {
                agg.report(&mut self.t, &r, now, &SETTINGS);
            }
        }
    }
}

/// Runs `n` flows, each at `rate` bytes/s, from `from` for `dur` ms in
/// 1 ms steps; returns the end time.
fn run(agg: &mut Aggregate, flows: &mut [SimFlow], from: i64, dur_ms: i64, rate: u64) -> i64 {
    let mut now = from;
    for _ in 0..dur_ms {
        now += MS;
        for f in flows.iter_mut() {
            f.step(agg, now, rate / 1000, 0);
        }
    }
    now
}

fn near(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs()
}

#[test]
fn one_saturating_flow_gives_half_the_bdp() {
    // 100 Mbit/s, 40 ms: 500 kB per RTT; a second flow's share is half.
    let mut agg = Aggregate::default();
    let t0 = 1_000 * MS;
    let mut f = [SimFlow::new(&mut agg, t0, 40_000)];
    let now = run(&mut agg, &mut f, t0, 5_000, 12_500_000);
    let a = agg.averages(now, &SETTINGS).expect("fresh");
    assert!(near(a.rate_bps as f64, 12.5e6, 0.02), "{a:?}");
    assert!(near(a.flows_milli as f64, 1000.0, 0.01), "{a:?}");
    assert_eq!(a.min_rtt_us, 40_000);
    assert_eq!(a.loss_ppm, 0);
    let e = agg.learned(now, 1428, 10, 512, &SETTINGS).unwrap();
    let want = 12.5e6 / 2.0 * 0.040 / 1428.0;
    assert!(near(f64::from(e.window), want, 0.03), "{e:?} vs {want}");
    assert!(near(e.share_bps as f64, 6.25e6, 0.02));
    assert_eq!(agg.open, 1);
}

#[test]
fn the_share_divides_by_active_flows_plus_one() {
    let mut agg = Aggregate::default();
    let t0 = 50 * MS;
    let mut f: Vec<SimFlow> = (0..3).map(|_| SimFlow::new(&mut agg, t0, 20_000)).collect();
    let now = run(&mut agg, &mut f, t0, 4_000, 4_000_000);
    let a = agg.averages(now, &SETTINGS).unwrap();
    assert!(near(a.flows_milli as f64, 3000.0, 0.01), "{a:?}");
    assert!(near(a.rate_bps as f64, 12e6, 0.02), "{a:?}");
    let e = agg.learned(now, 1000, 1, 10_000, &SETTINGS).unwrap();
    // 12 MB/s / 4 x 20 ms / 1000 B = 60 packets.
    assert!(near(f64::from(e.window), 60.0, 0.03), "{e:?}");
}

/// Connections opened together (a browser's six, a burst of arrivals)
/// must not each get the whole share: each one counts the connections
/// started in the current and the previous bin, which have not reached
/// the averages yet.
#[test]
fn connections_started_together_split_the_share() {
    let mut agg = Aggregate::default();
    let t0 = 1_000 * MS;
    let mut f = [SimFlow::new(&mut agg, t0, 40_000)];
    let now = run(&mut agg, &mut f, t0, 5_000, 12_500_000);
    let bdp = 12.5e6 * 0.040 / 1428.0;
    let mut windows = Vec::new();
    for _ in 0..4 {
        windows.push(agg.learned(now, 1428, 1, 10_000, &SETTINGS).unwrap().window);
        agg.open_flow(now);
    }
    for (k, w) in windows.iter().enumerate() {
        // k connections started just before: share = rate / (1 + k + 1).
        let want = bdp / (k as f64 + 2.0);
        assert!(near(f64::from(*w), want, 0.03), "{k}: {windows:?}");
    }
    assert_eq!(agg.recent_starts(now), 4);
    // Still counted in the next bin, forgotten after it.
    let bin = i64::from(BIN_MS) * MS;
    let next = (now / bin + 1) * bin + MS;
    assert_eq!(agg.recent_starts(next), 4);
    assert_eq!(agg.recent_starts(next + bin), 0);
    // A start in the next bin: that bin's and the previous one's count.
    agg.open_flow(next);
    assert_eq!(agg.recent_starts(next), 5);
    assert_eq!(agg.recent_starts(next + bin), 1);
    assert_eq!(agg.recent_starts(next + 2 * bin), 0);
    // Long after: back to the active flows alone (no one new reported).
    let later = next + 3 * bin;
    let e = agg.learned(later, 1428, 1, 10_000, &SETTINGS).unwrap();
    assert!(near(f64::from(e.window), bdp / 2.0, 0.03), "{e:?}");
    assert_eq!(agg.open, 6);
    // A time read before the lock may lag a bin another CPU opened: it
    // counts in that bin, it does not reset the count.
    let t2 = later + 10 * bin;
    agg.open_flow(t2);
    agg.open_flow(t2 - bin);
    assert_eq!(agg.recent_starts(t2), 2);
    assert_eq!(agg.recent_starts(t2 - bin), 2);
    // Connections that started and already ended compete no more: the
    // count is at most the open connections.
    for _ in 0..agg.open {
        agg.close_flow();
    }
    assert_eq!(agg.recent_starts(t2), 0);
    agg.open_flow(t2);
    assert_eq!(agg.recent_starts(t2), 1);
}

/// The ceiling is the limit: when a floor above it is in force (a floor
/// sysctl raised after a prefix's own ceiling was set), the window is the
/// ceiling, and the state says so.
#[test]
fn the_ceiling_wins_over_a_crossed_floor() {
    let mut agg = Aggregate::default();
    let mut f = [SimFlow::new(&mut agg, 0, 40_000)];
    let now = run(&mut agg, &mut f, 0, 3_000, 12_500_000);
    // About 175 packets.
    let e = |agg: &mut Aggregate, lo, hi| agg.learned(now, 1428, lo, hi, &SETTINGS).unwrap().window;
    assert_eq!(e(&mut agg, 10, 100), 100);
    assert_eq!(e(&mut agg, 300, 400), 300);
    assert_eq!(e(&mut agg, 300, 150), 150, "crossed: the ceiling");
    assert_eq!(e(&mut agg, 20, 15), 15, "crossed: the ceiling");
    let own = Config::from_wire(POLICY_LEARNED, 0, 0, 15, &SETTINGS).unwrap();
    let raised = Settings {
        floor: 20,
        ..SETTINGS
    };
    assert_eq!(own.bounds(&raised), (20, 15));
    assert_eq!(
        agg.window(&own, now, 1428, &raised).unwrap().window,
        15,
        "the prefix's ceiling holds after the floor sysctl went above it"
    );
}

/// Pacing turned on for the first flight ends once that flight is
/// acknowledged or as soon as loss recovery starts; a flow that was not
/// paced never asks to stop. The window to restore after an idle restart
/// is handed out once, at the first data segment.
#[test]
fn first_flight_pacing_and_restore() {
    let mut t = FlowTrack::default();
    t.start(&FlowCounters::default(), 0, 64);
    assert!(t.tracked());
    assert!(!t.pacing_over(1_000_000, 1000, true, true), "not paced");
    assert_eq!(t.first_segment(), None, "no window set");
    let mut t = FlowTrack::default();
    t.start(&FlowCounters::default(), 0, 64);
    t.set_initial(40, true);
    assert!(t.paced() && t.iw == 40);
    assert!(!t.pacing_over(1, 1000, false, false));
    assert!(!t.pacing_over(39_999, 1000, false, false));
    assert!(t.pacing_over(39_999, 1000, false, true), "recovery ends it");
    assert!(
        t.pacing_over(5_000, 1000, true, false),
        "a smaller first flight, all acked"
    );
    assert!(t.pacing_over(40_000, 1000, false, false));
    assert_eq!(t.first_segment(), Some(40));
    assert_eq!(t.first_segment(), None, "only the first segment");
    assert!(t.end_pacing() && !t.paced() && !t.end_pacing());
    assert!(!t.pacing_over(1 << 40, 1000, true, true));
    assert!(t.tracked());
    t.untrack();
    assert!(!t.tracked() && !t.due(0));
    // The window field saturates; unpaced stays unpaced.
    t.set_initial(70_000, false);
    assert_eq!(t.iw, u16::MAX);
    assert!(!t.paced());
    assert_eq!(core::mem::size_of::<FlowTrack>(), 16);
}

/// Lost packets are counted modulo 2^16 between reports.
#[test]
fn lost_counts_wrap() {
    let mut t = FlowTrack::default();
    let c = |bytes_acked, lost| FlowCounters {
        bytes_acked,
        lost,
        min_rtt_us: 1000,
        mss: 1000,
    };
    t.start(&c(0, 65_530), 0, 64);
    let r = t.take(&c(10_000, 65_545), 0).unwrap();
    assert_eq!((r.bytes, r.lost), (10_000, 15));
    let r = t.take(&c(20_000, 70_000), REPORT_MS).unwrap();
    assert_eq!(r.lost, 70_000 - 65_545);
}

#[test]
fn the_loss_cut_is_ten_times_the_loss_at_most_a_half() {
    assert_eq!(loss_cut_ppm(0), 0);
    assert_eq!(loss_cut_ppm(1_000), 10_000);
    assert_eq!(loss_cut_ppm(49_999), 499_990);
    assert_eq!(loss_cut_ppm(50_000), 500_000);
    assert_eq!(loss_cut_ppm(u64::MAX), 500_000);
}

#[test]
fn averages_move_with_the_configured_half_life() {
    let mut agg = Aggregate::default();
    let t0 = 0;
    let mut f = [SimFlow::new(&mut agg, t0, 10_000)];
    let mut now = run(&mut agg, &mut f, t0, 3_000, 1_000_000);
    assert!(near(
        agg.averages(now, &SETTINGS).unwrap().rate_bps as f64,
        1e6,
        0.02
    ));
    // Step to 3 MB/s: after one half-life the average is half-way.
    now = run(&mut agg, &mut f, now, 1_000, 3_000_000);
    let r = agg.averages(now, &SETTINGS).unwrap().rate_bps as f64;
    assert!(near(r, 2e6, 0.05), "after one half-life: {r}");
    now = run(&mut agg, &mut f, now, 1_000, 3_000_000);
    let r = agg.averages(now, &SETTINGS).unwrap().rate_bps as f64;
    assert!(near(r, 2.5e6, 0.05), "after two half-lives: {r}");
}

#[test]
fn idle_time_is_not_averaged_in_and_stale_data_ages_out() {
    let mut agg = Aggregate::default();
    let mut f = [SimFlow::new(&mut agg, 0, 30_000)];
    let mut now = run(&mut agg, &mut f, 0, 2_000, 5_000_000);
    // The next bin starts: the last one is folded.
    now += i64::from(BIN_MS) * MS;
    assert!(agg.learned(now, 1428, 10, 512, &SETTINGS).is_some());
    let before = agg.averages(now, &SETTINGS).unwrap();
    // 5 s of silence (< stale_ms): same averages, same estimate.
    let later = now + 5_000 * MS;
    let e = agg.learned(later, 1428, 10, 512, &SETTINGS).unwrap();
    assert_eq!(agg.averages(later, &SETTINGS).unwrap(), before);
    assert!(e.window > 10);
    assert!(agg.age_ms(later).unwrap() >= 5_000);
    // Past stale_ms: no estimate at all.
    let stale = now + 10_200 * MS;
    assert_eq!(agg.learned(stale, 1428, 10, 512, &SETTINGS), None);
    let c = Config {
        policy: Policy::Learned,
        ..Config::default()
    };
    assert_eq!(agg.window(&c, stale, 1428, &SETTINGS), None);
    // New traffic starts the averages afresh, without the old history
    // (and without the bytes the flow had not reported before the gap).
    let bins_before = agg.bins;
    assert!(bins_before > 10);
    let end = run(&mut agg, &mut f, stale, 1_000, 1_000_000);
    assert!(agg.bins <= 10, "restarted: {} bins", agg.bins);
    let r = agg.averages(end, &SETTINGS).unwrap().rate_bps as f64;
    assert!(near(r, 1e6, 0.05), "{r}");
}

#[test]
fn loss_cuts_the_window() {
    let mk = |lost_per_ms: u32| {
        let mut agg = Aggregate::default();
        let mut f = [SimFlow::new(&mut agg, 0, 40_000)];
        let mut now = 0;
        for _ in 0..4_000 {
            now += MS;
            // 10 packets of 1428 bytes per ms.
            f[0].step(&mut agg, now, 14_280, lost_per_ms);
        }
        (
            agg.averages(now, &SETTINGS).unwrap(),
            agg.learned(now, 1428, 1, 10_000, &SETTINGS).unwrap(),
        )
    };
    let (a0, clean) = mk(0);
    assert_eq!(a0.loss_ppm, 0);
    // One lost per 10 delivered: loss 1/11, cut min(1/2, 10/11) = 1/2.
    let (a1, lossy) = mk(1);
    assert!(near(a1.loss_ppm as f64, 1e6 / 11.0, 0.02), "{a1:?}");
    assert!(near(
        f64::from(lossy.window),
        f64::from(clean.window) / 2.0,
        0.03
    ));
}

#[test]
fn policies_and_bounds() {
    let mut agg = Aggregate::default();
    let mut f = [SimFlow::new(&mut agg, 0, 80_000)];
    let now = run(&mut agg, &mut f, 0, 3_000, 12_500_000);
    // Unclamped: 12.5 MB/s / 2 x 80 ms / 1428 = 350.
    let free = agg.learned(now, 1428, 1, 65_535, &SETTINGS).unwrap().window;
    assert!(near(f64::from(free), 350.0, 0.03), "{free}");
    let learned = |floor, ceiling| Config {
        policy: Policy::Learned,
        floor,
        ceiling,
    };
    let w = |agg: &mut Aggregate, c: Config| agg.window(&c, now, 1428, &SETTINGS).map(|e| e.window);
    assert_eq!(w(&mut agg, learned(0, 0)), Some(free));
    assert_eq!(w(&mut agg, learned(0, 200)), Some(200));
    assert_eq!(w(&mut agg, learned(400, 0)), Some(400));
    let mut low = SETTINGS;
    low.ceiling = 100;
    assert_eq!(
        agg.window(&learned(0, 0), now, 1428, &low)
            .map(|e| e.window),
        Some(100),
        "the ceiling sysctl applies when the prefix has none"
    );
    assert_eq!(w(&mut agg, Config::default()), None);
    let fixed = Config {
        policy: Policy::Fixed(33),
        ..Config::default()
    };
    assert_eq!(w(&mut agg, fixed), Some(33));
    // No data: learned gives nothing, fixed still applies.
    let mut empty = Aggregate::default();
    assert_eq!(w(&mut empty, learned(0, 0)), None);
    assert_eq!(w(&mut empty, fixed), Some(33));
}

#[test]
fn configuration_checks() {
    let s = &SETTINGS;
    let ok = |k, fx, lo, hi| Config::from_wire(k, fx, lo, hi, s);
    assert_eq!(ok(POLICY_LEARNED, 0, 0, 0).unwrap().policy, Policy::Learned);
    assert_eq!(
        ok(POLICY_FIXED, 40, 0, 0).unwrap().policy,
        Policy::Fixed(40)
    );
    assert_eq!(ok(POLICY_OFF, 0, 0, 0).unwrap().policy, Policy::Off);
    assert_eq!(
        ok(POLICY_LEARNED, 0, 20, 10),
        Err(ConfigError::CeilingBelowFloor)
    );
    // Against the sysctls: ceiling 5 < floor sysctl 10; floor 600 >
    // ceiling sysctl 512.
    assert_eq!(
        ok(POLICY_LEARNED, 0, 0, 5),
        Err(ConfigError::CeilingBelowFloor)
    );
    assert_eq!(
        ok(POLICY_LEARNED, 0, 600, 0),
        Err(ConfigError::CeilingBelowFloor)
    );
    assert_eq!(
        ok(POLICY_LEARNED, 0, 600, 700).unwrap().bounds(s),
        (600, 700)
    );
    assert_eq!(ok(POLICY_FIXED, 0, 0, 0), Err(ConfigError::BadFixed));
    assert_eq!(ok(POLICY_FIXED, 65_536, 0, 0), Err(ConfigError::BadFixed));
    assert_eq!(ok(POLICY_LEARNED, 7, 0, 0), Err(ConfigError::BadFixed));
    assert_eq!(ok(3, 0, 0, 0), Err(ConfigError::BadPolicy));
    assert_eq!(
        ok(POLICY_LEARNED, 0, 70_000, 80_000),
        Err(ConfigError::BadBound)
    );
    for e in [
        ConfigError::BadPolicy,
        ConfigError::BadFixed,
        ConfigError::BadBound,
        ConfigError::CeilingBelowFloor,
    ] {
        assert!(!e.as_str().is_empty());
    }
}

#[test]
fn connection_caps() {
    // Receive window of 45 packets caps 170 ...
    assert_eq!(conn_window(170, 10, 45, 10_000), 45);
    // ... but never below the kernel's own window.
    assert_eq!(conn_window(170, 10, 4, 10_000), 10);
    // The route's clamp wins over everything.
    assert_eq!(conn_window(170, 10, 500, 60), 60);
    assert_eq!(conn_window(170, 10, 500, 10_000), 170);
    // A fixed small window lowers the start; never 0.
    assert_eq!(conn_window(4, 10, 500, 10_000), 4);
    assert_eq!(conn_window(0, 10, 500, 10_000), 1);
}

#[test]
fn flow_reports() {
    let mut t = FlowTrack::default();
    assert!(!t.due(0), "an untracked flow never reports");
    let c0 = FlowCounters {
        bytes_acked: u64::MAX - 10,
        lost: 5,
        min_rtt_us: u32::MAX,
        mss: 10,
    };
    t.start(&c0, u32::MAX - 5, 64);
    assert!(t.due(u32::MAX - 5));
    assert_eq!(t.take(&c0, u32::MAX - 5), None, "nothing new");
    assert!(!t.due(u32::MAX));
    // The clock and counters wrap.
    let now = (u32::MAX - 5).wrapping_add(REPORT_MS);
    assert!(t.due(now));
    let c1 = FlowCounters {
        bytes_acked: 20,
        lost: 6,
        min_rtt_us: u32::MAX,
        mss: 10,
    };
    let r = t.take(&c1, now).unwrap();
    assert_eq!((r.bytes, r.delivered, r.lost, r.min_rtt_us), (31, 3, 1, 0));
    // A flow counts once per bin however often it reports.
    let mut agg = Aggregate::default();
    let mut t = FlowTrack::default();
    t.start(&FlowCounters::default(), 0, 64);
    let r = Report {
        bytes: 1000,
        delivered: 1,
        lost: 0,
        min_rtt_us: 500,
    };
    for i in 0..4 {
        agg.report(&mut t, &r, 1_000 * MS + i * 20 * MS, &SETTINGS);
    }
    // Close the bin.
    let now = 1_100 * MS;
    agg.report(&mut t, &r, now, &SETTINGS);
    let a = agg.averages(now, &SETTINGS).unwrap();
    assert_eq!(a.flows_milli, 1000);
    assert_eq!(a.rate_bps, 4000 * 10);
    agg.close_flow();
    agg.close_flow();
    assert_eq!(agg.open, 0, "saturates");
}

proptest! {
    /// The average after any sequence of bins matches an f64 model of
    /// `avg += max(1 - 2^(-bin/H), 1/(n+1)) (x - avg)` for the n-th bin and
    /// stays within the samples' range.
    #[test]
    fn ewma_matches_f64(h in 1u32..100_000, rates in proptest::collection::vec(0u64..2_000_000_000, 1..40)) {
        let s = Settings { half_life_ms: h, ..SETTINGS };
        let mut agg = Aggregate::default();
        let mut t = FlowTrack::default();
        let w = 1.0 - 2f64.powf(-f64::from(BIN_MS) / f64::from(h));
        let mut model: Option<f64> = None;
        let bin = i64::from(BIN_MS) * MS;
        for (i, &r) in rates.iter().enumerate() {
            let now = (i as i64 + 1) * bin;
            let bytes = r / 10 + 1;
            agg.report(&mut t, &Report { bytes, delivered: 1, lost: 0, min_rtt_us: 100 }, now, &s);
            if i > 0 {
                let x = (rates[i - 1] / 10 + 1) as f64 * 10.0;
                // rates[i - 1] is the (i-1)-th bin folded: weight >= 1/i.
                let wi = w.max(1.0 / i as f64);
                model = Some(model.map_or(x, |m| m + wi * (x - m)));
            }
        }
        // Fold the last bin.
        agg.report(&mut t, &Report { bytes: 1, delivered: 1, lost: 0, min_rtt_us: 100 }, (rates.len() as i64 + 1) * bin, &s);
        let x = (rates[rates.len() - 1] / 10 + 1) as f64 * 10.0;
        let wi = w.max(1.0 / rates.len() as f64);
        let m = model.map_or(x, |m| m + wi * (x - m));
        let got = agg.averages((rates.len() as i64 + 1) * bin, &s).unwrap().rate_bps as f64;
        // Rounding of each step: at most 1 per bin.
        prop_assert!((got - m).abs() <= 1e-6 * m + rates.len() as f64, "got {} want {}", got, m);
        let lo = rates.iter().map(|r| (r / 10 + 1) * 10).min().unwrap() as f64;
        let hi = rates.iter().map(|r| (r / 10 + 1) * 10).max().unwrap() as f64;
        prop_assert!(got >= lo - 1.0 && got <= hi + 1.0);
    }

    /// The estimate is always within [floor, ceiling] and the connection
    /// cap within [1, clamp].
    #[test]
    fn windows_stay_in_bounds(rate in 1u64..10_000_000_000, rtt in 1u32..10_000_000, mss in 1u32..70_000,
                              floor in 1u32..1000, extra in 0u32..1000, loss in 0u32..100,
                              kiw in 1u32..100, rwnd in 0u32..100_000, clamp in 1u32..100_000) {
        let mut agg = Aggregate::default();
        let mut t = FlowTrack::default();
        let bin = i64::from(BIN_MS) * MS;
        let r = Report { bytes: rate / 10, delivered: 1000, lost: loss, min_rtt_us: rtt };
        agg.report(&mut t, &r, bin, &SETTINGS);
        let now = 2 * bin;
        if let Some(e) = agg.learned(now, mss, floor, floor + extra, &SETTINGS) {
            prop_assert!(e.window >= floor && e.window <= floor + extra);
            let w = conn_window(e.window, kiw, rwnd, clamp);
            prop_assert!(w >= 1 && w <= clamp && w <= e.window.max(1));
            prop_assert!(w <= rwnd.max(kiw) || w == 1);
        }
    }
}

fn prefix() -> Prefix {
    let mut addr = [0u8; 16];
    addr[0] = 0xfd;
    addr[3] = 0x0b;
    Prefix { addr, len: 64 }
}

#[test]
fn set_and_get_messages_round_trip() {
    let mut buf = [0u8; proto::MSG_MAX];
    let r = AugReq {
        prefix: prefix(),
        kind: POLICY_LEARNED,
        fixed: 0,
        floor: 12,
        ceiling: 300,
    };
    let n = proto::encode_aug_set(&mut buf, 7, &r).unwrap();
    assert_eq!(n, proto::HDR_LEN + proto::AUG_SET_BODY_LEN);
    let (h, req) = proto::decode_request(&buf[..n]).unwrap();
    assert_eq!(h.seq, 7);
    assert_eq!(req, Request::AugSet(r));
    // Reserved bytes must be zero; the length must be exact.
    let mut bad = buf;
    bad[proto::HDR_LEN + 18] = 1;
    assert!(proto::decode_request(&bad[..n]).is_err());
    let mut short = buf;
    short[0] = (n - 1) as u8;
    assert!(proto::decode_request(&short[..n - 1]).is_err());

    let n = proto::encode_aug_get(&mut buf, 8, &prefix(), 1400).unwrap();
    let (_, req) = proto::decode_request(&buf[..n]).unwrap();
    assert_eq!(
        req,
        Request::AugGet {
            prefix: prefix(),
            mss: 1400
        }
    );

    let v = AugStateView {
        prefix: prefix(),
        policy: POLICY_FIXED,
        flags: proto::AUG_F_FRESH,
        fixed: 40,
        floor: 0,
        ceiling: 300,
        eff_floor: 10,
        eff_ceiling: 300,
        open: 3,
        starts: 2,
        mss: 1428,
        window: 40,
        learned: 171,
        half_life_ms: 1000,
        rate_bps: 12_345_678,
        flows_milli: 1500,
        min_rtt_us: 40_123,
        loss_ppm: 17,
        age_ms: 99,
        bins: 1234,
        share_bps: 4_938_271,
        bdp_bytes: 244_000,
    };
    let n = proto::encode_aug_state(&mut buf, 9, &v).unwrap();
    assert_eq!(n, proto::HDR_LEN + proto::AUG_STATE_LEN);
    match proto::decode_reply(&buf[..n]).unwrap() {
        (h, Reply::AugState(got)) => {
            assert_eq!(h.seq, 9);
            assert_eq!(got, v);
        }
        other => panic!("{other:?}"),
    }
}
