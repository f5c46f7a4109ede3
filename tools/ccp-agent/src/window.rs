// SPDX-License-Identifier: GPL-2.0

//! Window logic of the agent's algorithms, in bytes, free of I/O so that
//! it can be tested: Reno (RFC 5681) and Cubic (RFC 8312).
//!
//! Both see the flow through reports: bytes acknowledged since the last
//! report, whether packets were lost or a retransmission timeout happened,
//! the latest RTT sample and the time of the report.

/// What one report tells the algorithm.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    /// Bytes newly acknowledged since the previous report.
    pub acked: u64,
    /// Packets newly marked lost.
    pub lost: u64,
    /// A retransmission timeout happened.
    pub timeout: bool,
    /// Latest RTT sample, µs (0: none).
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
}

/// Least window: 2 segments (as the datapath enforces).
fn floor(mss: u64) -> u64 {
    2 * mss
}

/// State shared by both: window, threshold, and the end of the current
/// loss episode (one reduction per RTT).
#[derive(Clone, Debug)]
struct Base {
    mss: u64,
    cwnd: u64,
    ssthresh: u64,
    /// Losses reported before this time belong to the episode already
    /// reacted to.
    recovery_until_us: u64,
    srtt_us: u64,
}

impl Base {
    fn new(mss: u32, init_cwnd: u64) -> Self {
        let mss = u64::from(mss.max(1));
        Self {
            mss,
            cwnd: init_cwnd.max(floor(mss)),
            ssthresh: u64::MAX,
            recovery_until_us: 0,
            srtt_us: 0,
        }
    }

    fn rtt(&mut self, s: &Sample) {
        if s.rtt_us > 0 && s.rtt_us < u64::from(u32::MAX) {
            self.srtt_us = if self.srtt_us == 0 {
                s.rtt_us
            } else {
                (7 * self.srtt_us + s.rtt_us) / 8
            };
        }
    }

    /// A new loss episode (not within one RTT of the last reduction).
    fn new_loss(&mut self, s: &Sample) -> bool {
        if s.lost == 0 || s.now_us < self.recovery_until_us {
            return false;
        }
        self.recovery_until_us = s.now_us + self.srtt_us.max(1);
        true
    }
}

/// Reno: slow start below `ssthresh`, then one segment per window of
/// acknowledged bytes; halve on loss; after a timeout, restart from the
/// floor with `ssthresh` at half the window.
#[derive(Clone, Debug)]
pub struct Reno {
    b: Base,
}

impl Reno {
    /// A flow with segment size `mss` and initial window `init_cwnd`
    /// bytes.
    pub fn new(mss: u32, init_cwnd: u64) -> Self {
        Self {
            b: Base::new(mss, init_cwnd),
        }
    }

    /// Slow-start threshold, bytes.
    #[cfg_attr(not(test), allow(dead_code))] // Read by the tests.
    pub fn ssthresh(&self) -> u64 {
        self.b.ssthresh
    }
}

impl Window for Reno {
    fn name(&self) -> &'static str {
        "reno"
    }

    fn on_report(&mut self, s: &Sample) -> u64 {
        let b = &mut self.b;
        b.rtt(s);
        if s.timeout {
            b.ssthresh = (b.cwnd / 2).max(floor(b.mss));
            b.cwnd = floor(b.mss);
            b.recovery_until_us = s.now_us + b.srtt_us.max(1);
        } else if b.new_loss(s) {
            b.ssthresh = (b.cwnd / 2).max(floor(b.mss));
            b.cwnd = b.ssthresh;
        } else if b.cwnd < b.ssthresh {
            b.cwnd = b.cwnd.saturating_add(s.acked).min(b.ssthresh.max(b.cwnd));
            if b.cwnd >= b.ssthresh && b.ssthresh != u64::MAX {
                b.cwnd = b.ssthresh;
            }
        } else {
            b.cwnd = b.cwnd.saturating_add(b.mss * s.acked / b.cwnd.max(1));
        }
        b.cwnd
    }

    fn cwnd(&self) -> u64 {
        self.b.cwnd
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
        }
    }

    /// The cubic window `W(t)` in segments, `t` seconds into the epoch.
    pub fn w_cubic(&self, t: f64) -> f64 {
        C * (t - self.k).powi(3) + self.w_max
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

    fn reduce(&mut self) {
        let w = self.b.cwnd as f64 / self.b.mss as f64;
        // Fast convergence: release bandwidth to newer flows.
        self.w_max = if w < self.w_max {
            w * (1.0 + BETA) / 2.0
        } else {
            w
        };
        self.b.ssthresh = ((w * BETA) as u64 * self.b.mss).max(floor(self.b.mss));
        self.epoch_us = None;
    }
}

impl Window for Cubic {
    fn name(&self) -> &'static str {
        "cubic"
    }

    fn on_report(&mut self, s: &Sample) -> u64 {
        self.b.rtt(s);
        if s.timeout {
            self.reduce();
            self.b.cwnd = floor(self.b.mss);
            self.b.recovery_until_us = s.now_us + self.b.srtt_us.max(1);
            return self.b.cwnd;
        }
        if self.b.new_loss(s) {
            self.reduce();
            self.b.cwnd = self.b.ssthresh;
            return self.b.cwnd;
        }
        if self.b.cwnd < self.b.ssthresh {
            self.b.cwnd = self.b.cwnd.saturating_add(s.acked);
            return self.b.cwnd;
        }
        let mss = self.b.mss as f64;
        let w = self.b.cwnd as f64 / mss;
        let start = *self.epoch_us.get_or_insert_with(|| {
            self.w_epoch = w;
            self.k = if self.w_max > w {
                ((self.w_max - w) / C).cbrt()
            } else {
                0.0
            };
            if self.w_max < w {
                self.w_max = w;
            }
            s.now_us
        });
        let rtt = self.b.srtt_us.max(1) as f64 / 1e6;
        let t = (s.now_us.saturating_sub(start)) as f64 / 1e6;
        let target = self.w_cubic(t + rtt);
        // TCP-friendly estimate (RFC 8312 §4.2).
        let w_est = self.w_max * BETA + 3.0 * (1.0 - BETA) / (1.0 + BETA) * (t / rtt);
        let acked = s.acked as f64 / mss;
        let grow = if w_est > target && w_est > w {
            (w_est - w) / w * acked
        } else if target > w {
            ((target - w) / w * acked).min(acked)
        } else {
            // Plateau around W_max: very slow growth.
            acked / (100.0 * w)
        };
        self.b.cwnd = ((w + grow) * mss) as u64;
        self.b.cwnd = self.b.cwnd.max(floor(self.b.mss));
        self.b.cwnd
    }

    fn cwnd(&self) -> u64 {
        self.b.cwnd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    fn ack(bytes: u64, now_us: u64) -> Sample {
        Sample {
            acked: bytes,
            rtt_us: 20_000,
            now_us,
            ..Sample::default()
        }
    }

    #[test]
    fn reno_slow_start_doubles_per_rtt() {
        let mut r = Reno::new(MSS, 10_000);
        // One window of ACKs per RTT.
        for rtt in 1..=4u64 {
            let w = r.cwnd();
            r.on_report(&ack(w, rtt * 20_000));
            assert_eq!(r.cwnd(), 2 * w);
        }
    }

    #[test]
    fn reno_halves_once_per_loss_episode_and_grows_linearly() {
        let mut r = Reno::new(MSS, 100_000);
        let lost = Sample {
            lost: 3,
            rtt_us: 20_000,
            now_us: 1_000_000,
            ..Sample::default()
        };
        assert_eq!(r.on_report(&lost), 50_000);
        assert_eq!(r.ssthresh(), 50_000);
        // The same episode (within an RTT): no second reduction.
        assert_eq!(
            r.on_report(&Sample {
                now_us: 1_010_000,
                ..lost
            }),
            50_000
        );
        // Congestion avoidance: one MSS per window acknowledged.
        r.on_report(&ack(50_000, 1_100_000));
        assert_eq!(r.cwnd(), 51_000);
        // A later loss halves again.
        assert_eq!(
            r.on_report(&Sample {
                now_us: 2_000_000,
                ..lost
            }),
            25_500
        );
    }

    #[test]
    fn reno_timeout_restarts_from_the_floor() {
        let mut r = Reno::new(MSS, 100_000);
        let to = Sample {
            timeout: true,
            now_us: 5,
            ..Sample::default()
        };
        assert_eq!(r.on_report(&to), 2 * u64::from(MSS));
        assert_eq!(r.ssthresh(), 50_000);
        // Slow start up to ssthresh, not beyond.
        r.on_report(&ack(100_000, 1_000_000));
        assert_eq!(r.cwnd(), 50_000);
    }

    #[test]
    fn cubic_reduces_by_beta_and_reaches_w_max_at_k() {
        let mut c = Cubic::new(MSS, 100_000);
        // Leave slow start at 100 segments.
        c.on_report(&Sample {
            lost: 1,
            rtt_us: 20_000,
            now_us: 1_000_000,
            ..Sample::default()
        });
        assert_eq!(c.cwnd(), 70_000, "beta = 0.7");
        assert!((c.w_max() - 100.0).abs() < 1e-9);
        // The first report after the loss episode starts the epoch.
        c.on_report(&ack(1000, 1_100_000));
        let k = c.k();
        assert!(
            (k - (30.0f64 / 0.4).cbrt()).abs() < 1e-9,
            "K = cbrt(W_max (1 - beta) / C)"
        );
        assert!((c.w_cubic(k) - 100.0).abs() < 1e-9, "W(K) = W_max");
        // Concave before K, convex after.
        let d1 = c.w_cubic(k * 0.5) - c.w_cubic(k * 0.25);
        let d2 = c.w_cubic(k * 0.75) - c.w_cubic(k * 0.5);
        assert!(d2 < d1, "concave below K");
        let e1 = c.w_cubic(k * 1.5) - c.w_cubic(k * 1.25);
        let e2 = c.w_cubic(k * 1.75) - c.w_cubic(k * 1.5);
        assert!(e2 > e1, "convex above K");
    }

    #[test]
    fn cubic_grows_back_towards_w_max_without_loss() {
        let mut c = Cubic::new(MSS, 100_000);
        c.on_report(&Sample {
            lost: 1,
            rtt_us: 20_000,
            now_us: 1_000_000,
            ..Sample::default()
        });
        let mut now = 1_100_000;
        // Every 20 ms a window of ACKs, for 10 s.
        for _ in 0..500 {
            let w = c.cwnd();
            c.on_report(&ack(w, now));
            now += 20_000;
        }
        let w = c.cwnd() as f64 / f64::from(MSS);
        assert!(w > 100.0, "past W_max after K (~4.2 s): {w}");
        assert!(w < 1000.0, "bounded growth: {w}");
    }

    #[test]
    fn cubic_timeout() {
        let mut c = Cubic::new(MSS, 100_000);
        let to = Sample {
            timeout: true,
            now_us: 1,
            ..Sample::default()
        };
        assert_eq!(c.on_report(&to), 2 * u64::from(MSS));
    }
}
