// SPDX-License-Identifier: GPL-2.0

//! Window logic of the agent's algorithms, in bytes, free of I/O so that
//! it can be tested: Reno (RFC 5681, byte counting) and Cubic (RFC 8312).
//!
//! Both see the flow through reports: bytes acknowledged since the last
//! report, packets newly lost, whether a retransmission timeout happened,
//! the latest RTT sample and the time of the report. A report may cover
//! one ACK (per-ACK mode) or many (interval mode); the arithmetic is the
//! same either way.
//!
//! Reactions:
//! - loss: one reduction per loss episode (losses reported within one
//!   smoothed RTT of the last reduction belong to it);
//! - timeout: window to the floor (2 segments); the threshold is lowered
//!   only by the first timeout of a timeout episode. The episode lasts
//!   until a window's worth of bytes (the window at the timeout) has been
//!   acknowledged; further timeouts and losses within it do not lower the
//!   threshold again (as Linux does while in the Loss state).

/// What one report tells the algorithm.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    /// Bytes newly acknowledged since the previous report.
    pub acked: u64,
    /// Packets newly marked lost.
    pub lost: u64,
    /// A retransmission timeout happened.
    pub timeout: bool,
    /// Latest RTT sample, µs (0 or 2^32 - 1: none).
    pub rtt_us: u64,
    /// Time of the report, µs on any monotonic clock.
    pub now_us: u64,
}

/// A window algorithm.
pub trait Window {
    /// Name, as in the logs.
    fn name(&self) -> &'static str;
    /// Feeds one report; returns the new window in bytes.
    fn on_report(&mut self, s: &Sample) -> u64;
    /// Current window, bytes.
    fn cwnd(&self) -> u64;
    /// Slow-start threshold, bytes (`u64::MAX` until the first reduction).
    #[cfg_attr(not(test), allow(dead_code))] // Read by the tests.
    fn ssthresh(&self) -> u64;
}

/// Least window: 2 segments (as the datapath enforces).
fn floor(mss: u64) -> u64 {
    2 * mss
}

/// State shared by both: window, threshold, and the loss and timeout
/// episodes.
#[derive(Clone, Debug)]
struct Base {
    mss: u64,
    cwnd: u64,
    ssthresh: u64,
    /// Losses reported before this time belong to the episode already
    /// reacted to.
    recovery_until_us: u64,
    /// Bytes still to be acknowledged before the current timeout episode
    /// ends (0: none).
    rto_left: u64,
    /// Smoothed RTT, µs (0: no sample yet).
    srtt_us: u64,
}

/// What a report means for the window, decided by [`Base::classify`].
#[derive(Clone, Copy, Debug, PartialEq)]
enum Event {
    /// The first timeout of an episode: reduce, then go to the floor.
    NewTimeout,
    /// A timeout within an episode: only back to the floor.
    Timeout,
    /// A new loss episode: reduce.
    Loss,
    /// Otherwise: grow by the acknowledged bytes.
    Ack,
}

impl Base {
    fn new(mss: u32, init_cwnd: u64) -> Self {
        let mss = u64::from(mss.max(1));
        Self {
            mss,
            cwnd: init_cwnd.max(floor(mss)),
            ssthresh: u64::MAX,
            recovery_until_us: 0,
            rto_left: 0,
            srtt_us: 0,
        }
    }

    /// Updates the RTT estimate and the episodes with report `s`, and
    /// tells what to do with the window.
    fn classify(&mut self, s: &Sample) -> Event {
        if s.rtt_us > 0 && s.rtt_us < u64::from(u32::MAX) {
            self.srtt_us = if self.srtt_us == 0 {
                s.rtt_us
            } else {
                (7 * self.srtt_us + s.rtt_us) / 8
            };
        }
        if s.timeout {
            let first = self.rto_left == 0;
            // The episode lasts until what was in flight at the first
            // timeout (about one window) has been acknowledged.
            if first {
                self.rto_left = self.cwnd.max(1);
            }
            self.recovery_until_us = s.now_us + self.srtt_us.max(1);
            return if first {
                Event::NewTimeout
            } else {
                Event::Timeout
            };
        }
        let in_rto = self.rto_left > 0;
        self.rto_left = self.rto_left.saturating_sub(s.acked);
        if s.lost > 0 && !in_rto && s.now_us >= self.recovery_until_us {
            self.recovery_until_us = s.now_us + self.srtt_us.max(1);
            return Event::Loss;
        }
        Event::Ack
    }

    /// Slow start: the window grows by the acknowledged bytes up to
    /// `ssthresh`. Returns the bytes left over for congestion avoidance.
    fn slow_start(&mut self, acked: u64) -> u64 {
        if self.cwnd >= self.ssthresh {
            return acked;
        }
        let used = acked.min(self.ssthresh - self.cwnd);
        self.cwnd += used;
        acked - used
    }

    /// The threshold after a reduction of the window to `num / den` of
    /// it, at least the floor.
    fn reduced(&self, num: u64, den: u64) -> u64 {
        (self.cwnd.saturating_mul(num) / den).max(floor(self.mss))
    }
}

/// Reno: slow start below `ssthresh`, then one segment per window of
/// acknowledged bytes; halve on loss; after a timeout, restart from the
/// floor with `ssthresh` at half the window.
#[derive(Clone, Debug)]
pub struct Reno {
    b: Base,
    /// Bytes acknowledged in congestion avoidance, not yet turned into a
    /// segment of window.
    ca_acked: u64,
}

impl Reno {
    /// A flow with segment size `mss` and initial window `init_cwnd`
    /// bytes.
    pub fn new(mss: u32, init_cwnd: u64) -> Self {
        Self {
            b: Base::new(mss, init_cwnd),
            ca_acked: 0,
        }
    }
}

impl Window for Reno {
    fn name(&self) -> &'static str {
        "reno"
    }

    fn on_report(&mut self, s: &Sample) -> u64 {
        let floor = floor(self.b.mss);
        match self.b.classify(s) {
            Event::NewTimeout => {
                self.b.ssthresh = self.b.reduced(1, 2);
                self.b.cwnd = floor;
                self.ca_acked = 0;
            }
            Event::Timeout => {
                self.b.cwnd = floor;
                self.ca_acked = 0;
            }
            Event::Loss => {
                self.b.ssthresh = self.b.reduced(1, 2);
                self.b.cwnd = self.b.ssthresh;
                self.ca_acked = 0;
            }
            Event::Ack => {
                let rest = self.b.slow_start(s.acked);
                // Byte counting: one segment per window acknowledged.
                self.ca_acked = self.ca_acked.saturating_add(rest);
                while self.ca_acked >= self.b.cwnd {
                    self.ca_acked -= self.b.cwnd;
                    self.b.cwnd += self.b.mss;
                }
            }
        }
        self.b.cwnd
    }

    fn cwnd(&self) -> u64 {
        self.b.cwnd
    }

    fn ssthresh(&self) -> u64 {
        self.b.ssthresh
    }
}

/// Cubic's constants (RFC 8312).
const C: f64 = 0.4;
const BETA: f64 = 0.7;

/// Cubic: `W(t) = C (t - K)^3 + W_max` segments after a reduction to
/// `beta W_max`, with the TCP-friendly region and fast convergence.
#[derive(Clone, Debug)]
pub struct Cubic {
    b: Base,
    /// Window before the last reduction, segments.
    w_max: f64,
    /// Start of the current growth epoch, µs (None: not started).
    epoch_us: Option<u64>,
    /// Window at the start of the epoch, segments.
    w_epoch: f64,
    /// K, seconds.
    k: f64,
    /// Fraction of a byte of window not yet applied.
    carry: f64,
}

impl Cubic {
    /// A flow with segment size `mss` and initial window `init_cwnd`
    /// bytes.
    pub fn new(mss: u32, init_cwnd: u64) -> Self {
        Self {
            b: Base::new(mss, init_cwnd),
            w_max: 0.0,
            epoch_us: None,
            w_epoch: 0.0,
            k: 0.0,
            carry: 0.0,
        }
    }

    /// The cubic window `W(t)` in segments, `t` seconds into the epoch.
    pub fn w_cubic(&self, t: f64) -> f64 {
        C * (t - self.k).powi(3) + self.w_max
    }

    /// The TCP-friendly estimate `W_est(t)` in segments, `t` seconds into
    /// the epoch with round-trip time `rtt` seconds (RFC 8312 §4.2).
    pub fn w_est(&self, t: f64, rtt: f64) -> f64 {
        self.w_max * BETA + 3.0 * (1.0 - BETA) / (1.0 + BETA) * (t / rtt)
    }

    /// K, seconds.
    #[cfg_attr(not(test), allow(dead_code))] // Read by the tests.
    pub fn k(&self) -> f64 {
        self.k
    }

    /// W_max, segments.
    #[cfg_attr(not(test), allow(dead_code))] // Read by the tests.
    pub fn w_max(&self) -> f64 {
        self.w_max
    }

    /// Multiplicative decrease: remembers W_max (with fast convergence)
    /// and sets `ssthresh` to `beta` times the window.
    fn reduce(&mut self) {
        let w = self.b.cwnd as f64 / self.b.mss as f64;
        // Fast convergence: release bandwidth to newer flows.
        self.w_max = if w < self.w_max {
            w * (1.0 + BETA) / 2.0
        } else {
            w
        };
        // beta = 0.7, in integers.
        self.b.ssthresh = self.b.reduced(7, 10);
        self.epoch_us = None;
        self.carry = 0.0;
    }

    /// Congestion avoidance with `acked` bytes at time `now_us`.
    fn grow(&mut self, acked: u64, now_us: u64) {
        let mss = self.b.mss as f64;
        let w = self.b.cwnd as f64 / mss;
        let start = *self.epoch_us.get_or_insert_with(|| {
            self.w_epoch = w;
            if self.w_max < w {
                // No reduction yet, or grown past it: the epoch starts
                // at the inflection point.
                self.w_max = w;
            }
            self.k = ((self.w_max - w) / C).cbrt();
            now_us
        });
        let rtt = self.b.srtt_us.max(1) as f64 / 1e6;
        let t = now_us.saturating_sub(start) as f64 / 1e6;
        // Where the window should be one RTT from now, at most 1.5 w.
        let target = self.w_cubic(t + rtt).clamp(w, 1.5 * w);
        let w_est = self.w_est(t, rtt);
        let acked = acked as f64 / mss;
        let grow = if w_est > target {
            // TCP-friendly region: at least as fast as standard TCP.
            ((w_est - w) / w * acked).min(w_est - w)
        } else if target > w {
            // Concave or convex region: reach the target in one window
            // of ACKs.
            ((target - w) / w * acked).min(target - w)
        } else {
            // At W_max: very slow growth.
            acked / (100.0 * w)
        };
        let bytes = grow * mss + self.carry;
        let whole = bytes.floor();
        self.carry = bytes - whole;
        self.b.cwnd = self.b.cwnd.saturating_add(whole as u64);
    }
}

impl Window for Cubic {
    fn name(&self) -> &'static str {
        "cubic"
    }

    fn on_report(&mut self, s: &Sample) -> u64 {
        let floor = floor(self.b.mss);
        match self.b.classify(s) {
            Event::NewTimeout => {
                self.reduce();
                self.b.cwnd = floor;
            }
            Event::Timeout => {
                self.epoch_us = None;
                self.b.cwnd = floor;
            }
            Event::Loss => {
                self.reduce();
                self.b.cwnd = self.b.ssthresh;
            }
            Event::Ack => {
                let rest = self.b.slow_start(s.acked);
                if rest > 0 {
                    self.grow(rest, s.now_us);
                }
            }
        }
        self.b.cwnd
    }

    fn cwnd(&self) -> u64 {
        self.b.cwnd
    }

    fn ssthresh(&self) -> u64 {
        self.b.ssthresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;
    const M: u64 = MSS as u64;

    fn ack(bytes: u64, rtt_us: u64, now_us: u64) -> Sample {
        Sample {
            acked: bytes,
            rtt_us,
            now_us,
            ..Sample::default()
        }
    }

    fn loss(now_us: u64) -> Sample {
        Sample {
            lost: 3,
            rtt_us: 20_000,
            now_us,
            ..Sample::default()
        }
    }

    fn timeout(now_us: u64) -> Sample {
        Sample {
            timeout: true,
            now_us,
            ..Sample::default()
        }
    }

    fn algs(init: u64) -> [Box<dyn Window>; 2] {
        [
            Box::new(Reno::new(MSS, init)),
            Box::new(Cubic::new(MSS, init)),
        ]
    }

    #[test]
    fn slow_start_doubles_per_rtt_of_acks() {
        for mut a in algs(10 * M) {
            // One window of ACKs per RTT, as one report.
            for rtt in 1..=4u64 {
                let w = a.cwnd();
                a.on_report(&ack(w, 20_000, rtt * 20_000));
                assert_eq!(a.cwnd(), 2 * w, "{}", a.name());
            }
            // The same as one report per ACK.
            let w = a.cwnd();
            for i in 0..w / M {
                a.on_report(&ack(M, 20_000, 100_000 + i));
            }
            assert_eq!(a.cwnd(), 2 * w, "{} per ACK", a.name());
        }
    }

    #[test]
    fn slow_start_stops_at_ssthresh() {
        for mut a in algs(100 * M) {
            a.on_report(&timeout(1));
            let ss = a.ssthresh();
            assert!(ss > 2 * M && ss < 100 * M, "{}", a.name());
            // More than enough ACKs to reach ssthresh; the rest goes to
            // congestion avoidance, which adds at most a segment or two.
            a.on_report(&ack(200 * M, 20_000, 1_000_000));
            a.on_report(&ack(M, 20_000, 1_000_001));
            assert!(a.cwnd() >= ss, "{}", a.name());
            assert!(a.cwnd() <= ss + 5 * M, "{}: {} vs {ss}", a.name(), a.cwnd());
        }
    }

    #[test]
    fn reno_halves_once_per_loss_episode() {
        let mut r = Reno::new(MSS, 100 * M);
        assert_eq!(r.on_report(&loss(1_000_000)), 50 * M);
        assert_eq!(r.ssthresh(), 50 * M);
        // The same episode (within an RTT): no second reduction.
        assert_eq!(r.on_report(&loss(1_010_000)), 50 * M);
        // A later loss halves again.
        assert_eq!(r.on_report(&loss(2_000_000)), 25 * M);
        assert_eq!(r.ssthresh(), 25 * M);
        // Never below the floor.
        for i in 3..12 {
            r.on_report(&loss(i * 1_000_000));
        }
        assert_eq!((r.cwnd(), r.ssthresh()), (2 * M, 2 * M));
    }

    #[test]
    fn reno_adds_one_segment_per_window_acked() {
        let mut r = Reno::new(MSS, 100 * M);
        r.on_report(&loss(1_000_000));
        assert_eq!(r.cwnd(), 50 * M);
        // Per ACK: 49 segments acknowledged are not a window yet; the
        // 50th is.
        let mut now = 1_100_000;
        for _ in 0..49 {
            now += 400;
            r.on_report(&ack(M, 20_000, now));
        }
        assert_eq!(r.cwnd(), 50 * M);
        r.on_report(&ack(M, 20_000, now + 400));
        assert_eq!(r.cwnd(), 51 * M);
        // Aggregated: 51 + 52 + 53 segments in one report: +3.
        r.on_report(&ack(156 * M, 20_000, now + 100_000));
        assert_eq!(r.cwnd(), 54 * M);
        // Linear: +1 segment per RTT for 100 RTTs.
        for i in 0..100 {
            let w = r.cwnd();
            r.on_report(&ack(w, 20_000, now + 200_000 + i * 20_000));
        }
        assert_eq!(r.cwnd(), 154 * M);
    }

    #[test]
    fn reno_timeout_restarts_from_the_floor() {
        let mut r = Reno::new(MSS, 100 * M);
        assert_eq!(r.on_report(&timeout(5)), 2 * M);
        assert_eq!(r.ssthresh(), 50 * M);
        // A backed-off second timeout before recovery: floor again, but
        // ssthresh is kept.
        r.on_report(&ack(2 * M, 0, 300_000));
        assert_eq!(r.on_report(&timeout(600_000)), 2 * M);
        assert_eq!(r.ssthresh(), 50 * M);
        // Losses while recovering from the timeout do not reduce.
        r.on_report(&ack(4 * M, 20_000, 700_000));
        assert_eq!(r.cwnd(), 6 * M);
        r.on_report(&loss(800_000));
        assert_eq!((r.cwnd(), r.ssthresh()), (6 * M, 50 * M));
        // Slow start up to ssthresh (44 segments), and the 56 segments
        // beyond it add one in congestion avoidance. About a window (100
        // segments) has been acknowledged since the timeout: the episode
        // is over.
        r.on_report(&ack(100 * M, 20_000, 1_000_000));
        assert_eq!(r.cwnd(), 51 * M);
        // Now a timeout halves again, and a loss as well.
        r.on_report(&timeout(2_000_000));
        assert_eq!((r.cwnd(), r.ssthresh()), (2 * M, 51 * M / 2));
        r.on_report(&ack(100 * M, 20_000, 3_000_000));
        let w = r.cwnd();
        assert!(w > 51 * M / 2);
        r.on_report(&loss(4_000_000));
        assert_eq!((r.cwnd(), r.ssthresh()), (w / 2, w / 2));
    }

    #[test]
    fn cubic_reduces_by_beta_with_fast_convergence() {
        let mut c = Cubic::new(MSS, 100 * M);
        assert_eq!(c.on_report(&loss(1_000_000)), 70 * M, "beta = 0.7");
        assert_eq!(c.ssthresh(), 70 * M);
        assert!((c.w_max() - 100.0).abs() < 1e-9);
        // A loss below the previous W_max: W_max = w (1 + beta) / 2.
        c.on_report(&loss(2_000_000));
        assert_eq!(c.cwnd(), 49 * M);
        assert!((c.w_max() - 70.0 * 1.7 / 2.0).abs() < 1e-9, "{}", c.w_max());
        // A timeout: floor, reduce once.
        c.on_report(&timeout(3_000_000));
        assert_eq!((c.cwnd(), c.ssthresh()), (2 * M, 49 * M * 7 / 10));
        assert!((c.w_max() - 49.0 * 1.7 / 2.0).abs() < 1e-9, "{}", c.w_max());
        // A second timeout before recovery: no second reduction.
        c.on_report(&timeout(3_500_000));
        assert_eq!((c.cwnd(), c.ssthresh()), (2 * M, 49 * M * 7 / 10));
        assert!((c.w_max() - 49.0 * 1.7 / 2.0).abs() < 1e-9, "{}", c.w_max());
    }

    /// The window over time after a loss at 1000 segments, with a long
    /// RTT so that the cubic function, not the TCP-friendly estimate,
    /// drives it: concave up to W_max, flat around it at t = K, convex
    /// after.
    #[test]
    fn cubic_concave_then_convex_around_w_max() {
        const RTT: u64 = 100_000;
        let mut c = Cubic::new(MSS, 1000 * M);
        c.on_report(&Sample {
            rtt_us: RTT,
            ..loss(1_000_000)
        });
        assert_eq!(c.cwnd(), 700 * M);
        let k = (1000.0f64 * 0.3 / 0.4).cbrt();
        let mut now = 1_000_000;
        let mut w = vec![c.cwnd() as f64 / M as f64];
        // One window of ACKs per RTT for 16 s.
        for _ in 0..160 {
            now += RTT;
            let cw = c.cwnd();
            c.on_report(&ack(cw, RTT, now));
            w.push(c.cwnd() as f64 / M as f64);
        }
        assert!((c.k() - k).abs() < 1e-9, "K = cbrt(W_max (1 - beta) / C)");
        assert!((c.w_cubic(c.k()) - 1000.0).abs() < 1e-9, "W(K) = W_max");
        // The epoch started with the first report (at step 1), and the
        // window tracks W(t + RTT): at step i, t = (i - 1) RTT.
        let at = |t: f64| w[(t * 10.0).round() as usize + 1];
        // Below W_max before K, at W_max around K, above after.
        assert!(at(k - 3.1) < 995.0);
        let wk = at(k - 0.1);
        assert!((wk - 1000.0).abs() <= 1000.0 * 0.005, "W(K) = {wk}");
        assert!(at(k + 4.0) > 1010.0);
        // Growth per second: shrinking (concave) before K, rising
        // (convex) after.
        let d = |t: f64| at(t + 1.0) - at(t);
        assert!(d(0.5) > d(2.0) && d(2.0) > d(k - 1.5) && d(k - 1.5) >= 0.0);
        assert!(d(k + 1.0) < d(k + 3.0) && d(k + 3.0) < d(k + 5.0));
        // Monotonic: never shrinks without loss.
        assert!(w.windows(2).skip(1).all(|p| p[1] >= p[0]));
        // Close to the cubic function throughout (the window lags it by
        // at most the growth of one RTT).
        for t in [1.0, 3.0, 5.0, 8.0, 10.0, 12.0] {
            let want = c.w_cubic(t + 0.1);
            assert!(
                (at(t) - want).abs() < 0.02 * want,
                "t={t}: {} vs {want}",
                at(t)
            );
        }
    }

    /// With a short RTT, standard TCP would grow faster than the cubic
    /// function: the TCP-friendly estimate drives the window.
    #[test]
    fn cubic_tcp_friendly_region() {
        const RTT: u64 = 10_000;
        let mut c = Cubic::new(MSS, 100 * M);
        c.on_report(&Sample {
            rtt_us: RTT,
            ..loss(1_000_000)
        });
        let mut now = 1_000_000;
        for _ in 0..300 {
            now += RTT;
            let cw = c.cwnd();
            c.on_report(&ack(cw, RTT, now));
        }
        // 2.99 s into the epoch.
        let t = 2.99;
        let w = c.cwnd() as f64 / M as f64;
        let est = c.w_est(t, 0.01);
        assert!(est > c.w_cubic(t) + 50.0, "friendly region: {est}");
        assert!((w - est).abs() < 0.02 * est, "{w} vs W_est {est}");
    }

    #[test]
    fn rtt_samples_of_none_are_ignored() {
        let mut r = Reno::new(MSS, 100 * M);
        r.on_report(&ack(0, u64::from(u32::MAX), 1));
        r.on_report(&ack(0, 30_000, 2));
        r.on_report(&ack(0, u64::from(u32::MAX), 3));
        assert_eq!(r.b.srtt_us, 30_000);
        // One reduction per smoothed RTT.
        let loss = |now_us| Sample {
            rtt_us: 30_000,
            ..loss(now_us)
        };
        r.on_report(&loss(1_000_000));
        r.on_report(&loss(1_029_000));
        assert_eq!(r.cwnd(), 50 * M);
        r.on_report(&loss(1_031_000));
        assert_eq!(r.cwnd(), 25 * M);
    }
}
