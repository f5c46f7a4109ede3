// SPDX-License-Identifier: GPL-2.0

//! Augmenter: the initial congestion window of a new connection, from the
//! state of the live flows to the same destination prefix.
//!
//! Pure logic, shared by the module and the host tests (no `kernel::`
//! dependency, no allocation).
//!
//! # Model
//!
//! Every connection of the `tpc` or `ccp` congestion control whose
//! destination lies in a prefix of the path table reports, at most every
//! [`REPORT_MS`], what it delivered since its previous report (bytes,
//! packets, lost packets) and its minimum RTT. The prefix's [`Aggregate`]
//! sums the reports in bins of [`BIN_MS`] on a fixed grid and, when a bin
//! closes, folds it into exponentially weighted moving averages whose
//! half-life is the `augment_half_life_ms` sysctl:
//!
//! - delivery rate: the bin's bytes over the bin's length (all flows
//!   together);
//! - active flows: the number of distinct flows that reported in the bin;
//! - minimum RTT: the smallest minimum RTT reported in the bin;
//! - loss: lost packets over lost plus delivered packets.
//!
//! The first bins are averaged with weights of at least `1/n` (the `n`-th
//! bin), so that a partial first bin does not bias the averages for
//! several half-lives.
//!
//! Bins without any report are not folded, so an idle period does not
//! drag the averages towards zero; instead, an aggregate whose last active
//! bin ended more than `augment_stale_ms` ago is stale: it gives no
//! estimate, and the next report starts it afresh.
//!
//! # Estimate
//!
//! A new flow's fair share of the delivery rate is
//! `rate / (flows + starts + 1)`, where `starts` counts the connections to
//! the prefix that started in the current or the previous bin (they have
//! not been averaged into `flows` yet, and connections opened together
//! must not each get the whole share); its window is that share times the
//! minimum RTT (a bandwidth-delay product), reduced by `min(1/2, 10 x
//! loss)` when the prefix sees loss, in packets of the connection's MSS,
//! at least the floor and at most the ceiling (the ceiling wins if a
//! floor sysctl raised later crosses a prefix's own ceiling). The
//! connection then caps it at the peer's receive window (but never below
//! the kernel's own initial window) and at the route's `snd_cwnd_clamp`:
//! see [`conn_window`].

use super::fpu_helpers::Sf;

/// Length of an aggregation bin, in milliseconds.
pub(crate) const BIN_MS: u32 = 100;
/// A flow reports at most this often, in milliseconds.
pub(crate) const REPORT_MS: u32 = 25;
/// A report this late (ms past due) is dropped: see [`FlowTrack::take`].
pub(crate) const STALE_REPORT_MS: u32 = 1000;
/// Largest window the `fixed` policy and the ceiling accept, in packets.
pub(crate) const MAX_WINDOW: u32 = 65_535;
/// MSS values a state query may compute windows for (TCP's least MSS to
/// the largest a 16-bit field holds).
pub(crate) const QUERY_MSS: core::ops::RangeInclusive<u32> = 88..=65_535;

const NS_PER_MS: i64 = 1_000_000;

/// What a prefix's new connections start with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Policy {
    /// The kernel's initial window (route `initcwnd`, else 10).
    #[default]
    Off,
    /// This many packets.
    Fixed(u32),
    /// The estimate from the prefix's aggregate.
    Learned,
}

/// Wire and uapi values of the policy kinds.
pub(crate) const POLICY_OFF: u8 = 0;
/// See [`POLICY_OFF`].
pub(crate) const POLICY_FIXED: u8 = 1;
/// See [`POLICY_OFF`].
pub(crate) const POLICY_LEARNED: u8 = 2;

impl Policy {
    /// The policy's wire kind.
    pub(crate) fn kind(self) -> u8 {
        match self {
            Self::Off => POLICY_OFF,
            Self::Fixed(_) => POLICY_FIXED,
            Self::Learned => POLICY_LEARNED,
        }
    }

    /// Name shown by the controller.
    pub(crate) fn name(self) -> &'static str {
        policy_name(self.kind()).unwrap_or("?")
    }
}

/// Name of a wire policy kind; `None` for an unknown one.
pub(crate) fn policy_name(kind: u8) -> Option<&'static str> {
    match kind {
        POLICY_OFF => Some("off"),
        POLICY_FIXED => Some("fixed"),
        POLICY_LEARNED => Some("learned"),
        _ => None,
    }
}

/// The global settings (the `augment_*` sysctls).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Smallest learned window, in packets.
    pub(crate) floor: u32,
    /// Largest learned window, in packets.
    pub(crate) ceiling: u32,
    /// Half-life of the averages, in milliseconds (at least 1).
    pub(crate) half_life_ms: u32,
    /// An aggregate without activity for this long gives no estimate.
    pub(crate) stale_ms: u32,
}

/// A prefix's Augmenter configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Config {
    /// The policy.
    pub(crate) policy: Policy,
    /// Floor for this prefix; 0 follows the sysctl.
    pub(crate) floor: u32,
    /// Ceiling for this prefix; 0 follows the sysctl.
    pub(crate) ceiling: u32,
}

/// Why a configuration was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConfigError {
    /// Unknown policy kind.
    BadPolicy,
    /// A fixed window of 0 or above [`MAX_WINDOW`].
    BadFixed,
    /// A floor or ceiling above [`MAX_WINDOW`].
    BadBound,
    /// The ceiling is below the floor (after filling in the sysctls).
    CeilingBelowFloor,
}

impl ConfigError {
    /// Explanation for the log and the controller.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::BadPolicy => "unknown augment policy",
            Self::BadFixed => "fixed window must be 1..=65535 packets",
            Self::BadBound => "floor and ceiling must be at most 65535 packets",
            Self::CeilingBelowFloor => "ceiling below floor",
        }
    }
}

impl Config {
    /// Builds and checks a configuration from its wire fields, against the
    /// current sysctls `s` (for bounds that follow them).
    pub(crate) fn from_wire(
        kind: u8,
        fixed: u32,
        floor: u32,
        ceiling: u32,
        s: &Settings,
    ) -> Result<Self, ConfigError> {
        let policy = match kind {
            POLICY_OFF => Policy::Off,
            POLICY_LEARNED => Policy::Learned,
            POLICY_FIXED if (1..=MAX_WINDOW).contains(&fixed) => Policy::Fixed(fixed),
            POLICY_FIXED => return Err(ConfigError::BadFixed),
            _ => return Err(ConfigError::BadPolicy),
        };
        if kind != POLICY_FIXED && fixed != 0 {
            return Err(ConfigError::BadFixed);
        }
        if floor > MAX_WINDOW || ceiling > MAX_WINDOW {
            return Err(ConfigError::BadBound);
        }
        let c = Self {
            policy,
            floor,
            ceiling,
        };
        let (lo, hi) = c.bounds(s);
        if hi < lo {
            return Err(ConfigError::CeilingBelowFloor);
        }
        Ok(c)
    }

    /// The floor and ceiling in force.
    pub(crate) fn bounds(&self, s: &Settings) -> (u32, u32) {
        let pick = |own: u32, global: u32| if own == 0 { global } else { own };
        (pick(self.floor, s.floor), pick(self.ceiling, s.ceiling))
    }
}

/// What a flow delivered since its previous report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Report {
    /// Bytes newly acknowledged.
    pub(crate) bytes: u64,
    /// Packets newly delivered.
    pub(crate) delivered: u32,
    /// Packets newly marked lost.
    pub(crate) lost: u32,
    /// The flow's minimum RTT in µs; 0: none yet.
    pub(crate) min_rtt_us: u32,
}

/// Per-flow bookkeeping, kept in the socket's congestion-control area
/// (16 bytes: that area is small).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FlowTrack {
    /// When the flow may report next (ms, modulo 2^32).
    next_ms: u32,
    /// `bytes_acked` at the previous report, modulo 2^32 (a flow reports
    /// far more often than every 4 GiB).
    bytes_acked: u32,
    /// `lost` at the previous report, modulo 2^16 (a flow marks far fewer
    /// packets lost between two reports; after a silence of over
    /// [`STALE_REPORT_MS`] the report is dropped anyway).
    lost: u16,
    /// Tag of the bin the flow was last counted in (0: none).
    bin: u16,
    /// The initial window Augmenter set, packets (0: none).
    pub(crate) iw: u16,
    /// Length of the prefix whose [`Aggregate::open`] counts the flow (the
    /// longest match may change while the flow lives).
    pub(crate) plen: u8,
    /// `F_*` bits.
    flags: u8,
}

/// The flow counts towards a prefix (it is in [`Aggregate::open`]).
const F_TRACKED: u8 = 1;
/// Augmenter turned TCP's internal pacing on for the first flight.
const F_PACED: u8 = 2;
/// The first data segment has been sent.
const F_SENT: u8 = 4;

/// Cumulative counters of a flow, as the socket has them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FlowCounters {
    /// `tcp_sock.bytes_acked`.
    pub(crate) bytes_acked: u64,
    /// `tcp_sock.lost`.
    pub(crate) lost: u32,
    /// `tcp_min_rtt()`, µs (`~0`: none).
    pub(crate) min_rtt_us: u32,
    /// `mss_cache` (delivered packets are bytes over it).
    pub(crate) mss: u32,
}

impl FlowTrack {
    /// Starts tracking from the socket's counters `c` at `now_ms`, counted
    /// by the prefix of length `plen`.
    pub(crate) fn start(&mut self, c: &FlowCounters, now_ms: u32, plen: u8) {
        *self = Self {
            next_ms: now_ms,
            bytes_acked: c.bytes_acked as u32,
            lost: c.lost as u16,
            bin: 0,
            iw: 0,
            plen,
            flags: F_TRACKED,
        };
    }

    /// Whether the flow counts towards a prefix.
    pub(crate) fn tracked(&self) -> bool {
        self.flags & F_TRACKED != 0
    }

    /// The flow stops counting (it is being released).
    pub(crate) fn untrack(&mut self) {
        self.flags &= !F_TRACKED;
    }

    /// Records the initial window `w` packets set before the connection
    /// sent anything; `paced`: TCP's internal pacing was turned on for it.
    pub(crate) fn set_initial(&mut self, w: u32, paced: bool) {
        self.iw = w.min(u32::from(u16::MAX)) as u16;
        if paced {
            self.flags |= F_PACED;
        }
    }

    /// At the first data segment: the initial window to restore if TCP's
    /// restart after idle cut it (`None` once the first segment was seen,
    /// or when Augmenter set no window).
    pub(crate) fn first_segment(&mut self) -> Option<u32> {
        if self.flags & F_SENT != 0 {
            return None;
        }
        self.flags |= F_SENT;
        (self.iw > 0).then_some(u32::from(self.iw))
    }

    /// Whether pacing turned on for the first flight is still on.
    pub(crate) fn paced(&self) -> bool {
        self.flags & F_PACED != 0
    }

    /// Whether that pacing should end: the first flight is acknowledged
    /// (`bytes_acked`, which starts at most 1 for a connection that sent
    /// nothing before, reached the initial window of `mss` bytes, or
    /// `drained`: data was sent and all of it is acknowledged, for a first
    /// flight smaller than the window) or loss recovery started
    /// (`recovering`), which must run as without Augmenter.
    pub(crate) fn pacing_over(
        &self,
        bytes_acked: u64,
        mss: u32,
        drained: bool,
        recovering: bool,
    ) -> bool {
        self.paced()
            && (recovering || drained || bytes_acked >= u64::from(self.iw) * u64::from(mss))
    }

    /// Clears the pacing mark; `true` if it was set.
    pub(crate) fn end_pacing(&mut self) -> bool {
        let was = self.paced();
        self.flags &= !F_PACED;
        was
    }

    /// Whether a report is due at `now_ms` (cheap: checked per ACK).
    pub(crate) fn due(&self, now_ms: u32) -> bool {
        self.tracked() && now_ms.wrapping_sub(self.next_ms) < (1 << 31)
    }

    /// Takes the report due at `now_ms` from the counters `c`; `None` when
    /// nothing new was delivered or lost, or when the flow was silent for
    /// more than [`STALE_REPORT_MS`] (what it delivered then belongs to
    /// bins long closed; counting it now would inflate the current one).
    pub(crate) fn take(&mut self, c: &FlowCounters, now_ms: u32) -> Option<Report> {
        let overdue = now_ms.wrapping_sub(self.next_ms);
        let stale = overdue > STALE_REPORT_MS && overdue < (1 << 31);
        let bytes = u64::from((c.bytes_acked as u32).wrapping_sub(self.bytes_acked));
        let r = Report {
            bytes,
            delivered: (bytes / u64::from(c.mss.max(1))) as u32,
            lost: u32::from((c.lost as u16).wrapping_sub(self.lost)),
            min_rtt_us: if c.min_rtt_us == u32::MAX {
                0
            } else {
                c.min_rtt_us
            },
        };
        self.next_ms = now_ms.wrapping_add(REPORT_MS);
        self.bytes_acked = c.bytes_acked as u32;
        self.lost = c.lost as u16;
        if stale || (r.bytes == 0 && r.lost == 0) {
            return None;
        }
        Some(r)
    }
}

/// The bin being filled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Bin {
    /// Index on the grid (`now / BIN_MS`), plus one; 0: none open.
    id: u64,
    bytes: u64,
    flows: u32,
    delivered: u64,
    lost: u64,
    /// Smallest minimum RTT reported (0: none).
    min_rtt_us: u32,
}

/// The averages of a prefix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Averages {
    /// Delivery rate of all flows together, bytes per second.
    pub(crate) rate_bps: u64,
    /// Active flows, in thousandths.
    pub(crate) flows_milli: u64,
    /// Minimum RTT, µs (0: no sample yet).
    pub(crate) min_rtt_us: u64,
    /// Lost over lost plus delivered packets, in millionths.
    pub(crate) loss_ppm: u64,
}

/// The recent state of the flows to one prefix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Aggregate {
    bin: Bin,
    /// The averages, once a bin was folded.
    avg: Option<Averages>,
    /// End of the last folded bin (ns).
    last_ns: i64,
    /// Bins folded since the aggregate (re)started.
    pub(crate) bins: u64,
    /// Tracked flows currently open.
    pub(crate) open: u32,
    /// Grid id (as [`Bin::id`]) of the bin `starts` counts in.
    starts_id: u64,
    /// Connections started in bin `starts_id`.
    starts: u32,
    /// Connections started in the bin before it.
    starts_before: u32,
}

/// An estimate and how it was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Estimate {
    /// The window, in packets, before per-connection caps.
    pub(crate) window: u32,
    /// The new flow's fair share, bytes per second (0 for `fixed`).
    pub(crate) share_bps: u64,
    /// Bandwidth-delay product of the share after the loss reduction
    /// ([`loss_cut_ppm`]), bytes (0 for `fixed`).
    pub(crate) bdp_bytes: u64,
}

/// The reduction of the estimate for a loss rate of `loss_ppm`
/// millionths: ten times the loss, at most a half, in millionths.
pub(crate) fn loss_cut_ppm(loss_ppm: u64) -> u64 {
    loss_ppm.saturating_mul(10).min(500_000)
}

/// The grid id of the bin holding `now` (as [`Bin::id`]).
fn bin_id(now_ns: i64) -> u64 {
    (now_ns.max(0) / (i64::from(BIN_MS) * NS_PER_MS)) as u64 + 1
}

/// `1 - 2^(-dt/half_life)`, the weight of a new sample `dt` after the last.
fn weight(dt_ms: u32, half_life_ms: u32) -> Sf {
    let x = Sf::from_ratio(u64::from(dt_ms), u64::from(half_life_ms.max(1)));
    // 2^-x = e^(-x ln 2); ln 2 to 18 digits.
    let ln2 = Sf::from_decimal(0, 693_147_180_559_945_309, 18);
    Sf::ONE.sub(x.mul(ln2).neg().exp())
}

/// `avg + w (x - avg)`, rounded, for non-negative values.
fn ewma(avg: u64, x: u64, w: Sf) -> u64 {
    if x >= avg {
        avg.saturating_add(w.mul(Sf::from_u64(x - avg)).round_u64())
    } else {
        avg - w.mul(Sf::from_u64(avg - x)).round_u64().min(avg - x)
    }
}

impl Aggregate {
    /// Whether the aggregate has averages that are not stale at `now`.
    pub(crate) fn fresh(&self, now_ns: i64, s: &Settings) -> bool {
        self.avg.is_some()
            && now_ns.saturating_sub(self.last_ns) <= i64::from(s.stale_ms) * NS_PER_MS
    }

    /// The averages, if fresh at `now`.
    pub(crate) fn averages(&self, now_ns: i64, s: &Settings) -> Option<Averages> {
        self.avg.filter(|_| self.fresh(now_ns, s))
    }

    /// Milliseconds since the last folded bin ended, if any was.
    pub(crate) fn age_ms(&self, now_ns: i64) -> Option<u64> {
        self.avg
            .map(|_| (now_ns.saturating_sub(self.last_ns).max(0) / NS_PER_MS) as u64)
    }

    /// Closes the open bin if `now` is past it; folds it when it saw data.
    fn roll(&mut self, now_ns: i64, s: &Settings) {
        // A time read on another CPU before it got the lock may lag the
        // open bin: it belongs to that bin.
        let id = bin_id(now_ns).max(self.bin.id);
        if self.bin.id == id {
            return;
        }
        let b = core::mem::take(&mut self.bin);
        self.bin.id = id;
        if b.id == 0 || (b.bytes == 0 && b.lost == 0) {
            return;
        }
        let end_ns = (b.id as i64) * i64::from(BIN_MS) * NS_PER_MS;
        if self.avg.is_some()
            && end_ns.saturating_sub(self.last_ns) > i64::from(s.stale_ms) * NS_PER_MS
        {
            // Stale: start afresh rather than blend with old history.
            self.avg = None;
            self.bins = 0;
        }
        let x = Averages {
            rate_bps: b.bytes.saturating_mul(1000) / u64::from(BIN_MS),
            flows_milli: u64::from(b.flows) * 1000,
            min_rtt_us: u64::from(b.min_rtt_us),
            loss_ppm: match b.delivered + b.lost {
                0 => 0,
                n => b.lost.saturating_mul(1_000_000) / n,
            },
        };
        self.avg = Some(match self.avg {
            None => x,
            Some(a) => {
                // Bias correction at the start: the n-th bin (n = bins + 1)
                // weighs at least 1/n, so the first (often partial) bin does not
                // linger for half-lives.
                let w = weight(BIN_MS, s.half_life_ms).max(Sf::from_ratio(1, self.bins + 1));
                Averages {
                    rate_bps: ewma(a.rate_bps, x.rate_bps, w),
                    flows_milli: ewma(a.flows_milli, x.flows_milli, w),
                    min_rtt_us: match (a.min_rtt_us, x.min_rtt_us) {
                        (0, m) | (m, 0) => m,
                        (a, m) => ewma(a, m, w),
                    },
                    loss_ppm: ewma(a.loss_ppm, x.loss_ppm, w),
                }
            }
        });
        self.last_ns = end_ns;
        self.bins += 1;
    }

    /// Adds a flow's report at `now`.
    pub(crate) fn report(&mut self, t: &mut FlowTrack, r: &Report, now_ns: i64, s: &Settings) {
        self.roll(now_ns, s);
        let b = &mut self.bin;
        // Ids on the grid modulo 65535, plus one: a flow that slept a
        // multiple of 65535 bins (109 minutes) is not counted again in its
        // first bin back, which is harmless.
        let tag = ((b.id % 65_535) + 1) as u16;
        if t.bin != tag {
            t.bin = tag;
            b.flows += 1;
        }
        b.bytes = b.bytes.saturating_add(r.bytes);
        b.delivered = b.delivered.saturating_add(u64::from(r.delivered));
        b.lost = b.lost.saturating_add(u64::from(r.lost));
        if r.min_rtt_us != 0 && (b.min_rtt_us == 0 || r.min_rtt_us < b.min_rtt_us) {
            b.min_rtt_us = r.min_rtt_us;
        }
    }

    /// A flow starts counting towards the prefix at `now` (after its own
    /// window was computed).
    pub(crate) fn open_flow(&mut self, now_ns: i64) {
        self.open = self.open.saturating_add(1);
        let id = bin_id(now_ns).max(self.starts_id);
        (self.starts, self.starts_before) = self.starts_in(id);
        self.starts_id = id;
        self.starts = self.starts.saturating_add(1);
    }

    /// The start counts (that bin's, the one before's) as they are in bin
    /// `id`, which is not before `starts_id`.
    fn starts_in(&self, id: u64) -> (u32, u32) {
        if id == self.starts_id {
            (self.starts, self.starts_before)
        } else if id == self.starts_id + 1 {
            (0, self.starts)
        } else {
            (0, 0)
        }
    }

    /// Connections started in the bin holding `now` or the one before,
    /// at most the number still open (short connections that already
    /// ended compete no more).
    pub(crate) fn recent_starts(&self, now_ns: i64) -> u32 {
        let (now, before) = self.starts_in(bin_id(now_ns).max(self.starts_id));
        now.saturating_add(before).min(self.open)
    }

    /// A tracked flow ended.
    pub(crate) fn close_flow(&mut self) {
        self.open = self.open.saturating_sub(1);
    }

    /// The learned window for a new flow of `mss` bytes at `now`, before
    /// the per-connection caps; `None` without fresh data.
    pub(crate) fn learned(
        &mut self,
        now_ns: i64,
        mss: u32,
        floor: u32,
        ceiling: u32,
        s: &Settings,
    ) -> Option<Estimate> {
        // Fold a finished bin first, so the newest data counts.
        self.roll(now_ns, s);
        let a = self.averages(now_ns, s)?;
        if a.min_rtt_us == 0 || a.rate_bps == 0 {
            return None;
        }
        // 64-bit arithmetic (the kernel has no 128-bit division); it
        // saturates only beyond exabytes per second.
        let others = a
            .flows_milli
            .saturating_add(u64::from(self.recent_starts(now_ns)) * 1000);
        let share = a.rate_bps.saturating_mul(1000) / others.saturating_add(1000);
        let cut = loss_cut_ppm(a.loss_ppm);
        let bdp = share.saturating_mul(a.min_rtt_us) / 1_000_000;
        let bdp = bdp.saturating_mul(1_000_000 - cut) / 1_000_000;
        let pkts = bdp / u64::from(mss.max(1));
        // The ceiling is the safety limit: it wins over a floor above it.
        let window = u32::try_from(pkts)
            .unwrap_or(u32::MAX)
            .max(floor)
            .min(ceiling);
        Some(Estimate {
            window,
            share_bps: share,
            bdp_bytes: bdp,
        })
    }

    /// The window `c` gives a new flow of `mss` bytes at `now`, before the
    /// per-connection caps; `None`: keep the kernel's.
    pub(crate) fn window(
        &mut self,
        c: &Config,
        now_ns: i64,
        mss: u32,
        s: &Settings,
    ) -> Option<Estimate> {
        match c.policy {
            Policy::Off => None,
            Policy::Fixed(n) => Some(Estimate {
                window: n,
                share_bps: 0,
                bdp_bytes: 0,
            }),
            Policy::Learned => {
                let (lo, hi) = c.bounds(s);
                self.learned(now_ns, mss, lo, hi, s)
            }
        }
    }
}

/// The window a connection starts with, from the estimate `w`: at most the
/// peer's receive window (`rwnd_pkts`; a cap that never goes below the
/// kernel's own initial window `kernel_iw`) and the route's `cwnd_clamp`,
/// and at least 1.
pub(crate) fn conn_window(w: u32, kernel_iw: u32, rwnd_pkts: u32, cwnd_clamp: u32) -> u32 {
    w.min(rwnd_pkts.max(kernel_iw)).min(cwnd_clamp).max(1)
}
