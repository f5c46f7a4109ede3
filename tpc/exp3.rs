// SPDX-License-Identifier: GPL-2.0

//! EXP3 lowest-delay path selection.
//!
//! Pure logic, shared by the module and the host tests. All arithmetic is
//! the soft float of `fpu_helpers.rs`: this code runs in softirq, where the
//! kernel offers no FPU.
//!
//! # Model
//!
//! A *state* is kept per destination key: the destination address cut to
//! the key length (`net.tpc.exp3_keylen`, default /64, never shorter than
//! the path-table entry it belongs to). It holds one weight per path of
//! that entry. A connection draws its path from
//!
//! ```text
//! p_a = (1 - Γ) * w_a / Σw + Γ / K
//! ```
//!
//! over the K usable paths (paths that failover marked as failed are left
//! out until a probe or the failure timeout rehabilitates them; if every
//! path is failed, all count). The draw uses one 32-bit random number and
//! proper categorical sampling. The connection remembers `p` and `K`; when
//! it reports (every hook-rate bytes and at close) the path it used gets
//! the reward `r` for the RTT measured on it, the estimated reward is
//! `û = r / p` and the weight is updated multiplicatively, then all
//! weights are rescaled so that they sum to [`TOKENS`], each at least 1.
//!
//! # Rewards: two presets
//!
//! - [`Preset::Textbook`] (default): EXP3 of Auer et al. The reward is
//!   normalised per state into `[0, 1]` with the range of RTTs seen on the
//!   state's paths in the last [`WINDOW_NS`]: `r = (max - srtt) / (max -
//!   min)` (1/2 while all samples are equal). Why min-max: EXP3 only needs
//!   the ranking of the paths, and a reward that spans the whole `[0, 1]`
//!   makes Γ mean the same whatever the absolute delays (1 ms or 100 ms
//!   paths learn equally fast), where a ratio such as `min / srtt` would
//!   compress a 2x delay difference into half the range. The window keeps
//!   one outlier (an RTT inflated by losses) from squeezing the scale for
//!   long. The update is `w *= exp(Γ * û / K)`.
//! - [`Preset::AsCoded`]: the original eBPF program, to reproduce the
//!   paper: a signed reward in whole milliseconds against a reference delay
//!   (23 ms), `w *= exp(|r| / (p * GAMMA_REV * (K + 1)))` (divided for a
//!   negative reward), with the original's `GAMMA_REV` table (Γ = 0.2 used
//!   20, not 5).
//!
//! Exponents are capped at [`MAX_EXPONENT`]: renormalisation floors the
//! other weights long before that matters.

use super::events::UpdateEvent;
use super::fpu_helpers::Sf;
use super::paths::{Prefix, MAX_PATHS};
use super::srh::Addr;

/// Most EXP3 states (destination keys); the least recently used one is
/// recycled when the table is full.
pub(crate) const MAX_STATES: usize = 128;
/// Rewards kept per state for `tpcctl exp3 show`.
pub(crate) const HISTORY: usize = 16;
/// Weights are rescaled to sum to this many tokens after every update.
pub(crate) const TOKENS: u64 = 10_000;
/// Γ is given in millionths: this is Γ = 1.
pub(crate) const GAMMA_ONE: u32 = 1_000_000;
/// The textbook reward is normalised over the RTTs of this window.
pub(crate) const WINDOW_NS: i64 = 10_000_000_000;
/// Largest exponent applied in one update.
pub(crate) const MAX_EXPONENT: u64 = 40;
/// Sentinel of a per-prefix override: follow the sysctl.
pub(crate) const INHERIT_U32: u32 = u32::MAX;
/// Sentinel of a per-prefix override: follow the sysctl.
pub(crate) const INHERIT_U8: u8 = u8::MAX;

/// Reward and update rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Preset {
    /// Textbook EXP3 with rewards normalised into `[0, 1]`.
    Textbook = 0,
    /// The original program's rule (signed millisecond rewards).
    AsCoded = 1,
}

impl Preset {
    /// Maps a raw value.
    pub(crate) fn from_raw(v: u32) -> Option<Self> {
        match v {
            0 => Some(Self::Textbook),
            1 => Some(Self::AsCoded),
            _ => None,
        }
    }

    /// Lower-case name, as printed by `tpcctl`.
    #[allow(dead_code)] // Used by `tpcctl` and the host tests.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Textbook => "textbook",
            Self::AsCoded => "as-coded",
        }
    }
}

/// EXP3 settings in force for a connection (sysctls, then the prefix's
/// overrides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    /// EXP3 chooses the paths of this prefix.
    pub(crate) on: bool,
    /// Reward and update rule.
    pub(crate) preset: Preset,
    /// Γ in millionths (0..=[`GAMMA_ONE`]).
    pub(crate) gamma_ppm: u32,
    /// Ongoing connections report and redraw every this many bytes
    /// (acknowledged plus received); 0: only at start and close.
    pub(crate) hook_bytes: u32,
    /// Key length of the states, in bits (1..=128).
    pub(crate) keylen: u8,
    /// As-coded preset: the reference delay, in milliseconds.
    pub(crate) ref_ms: u32,
    /// A failed path is left out of draws for this long (ms); 0: until a
    /// probe rehabilitates it.
    pub(crate) fail_timeout_ms: u32,
}

/// Per-prefix overrides of [`Settings`], as the controller sends them:
/// [`INHERIT_U8`] / [`INHERIT_U32`] (and keylen 0) follow the sysctls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Overrides {
    /// 0 off, 1 on, [`INHERIT_U8`].
    pub(crate) mode: u8,
    /// [`Preset`] value or [`INHERIT_U8`].
    pub(crate) preset: u8,
    /// 1..=128, or 0 to inherit.
    pub(crate) keylen: u8,
    /// Γ in millionths, or [`INHERIT_U32`].
    pub(crate) gamma_ppm: u32,
    /// Hook rate in bytes, or [`INHERIT_U32`].
    pub(crate) hook_bytes: u32,
}

/// Why an override was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SettingError {
    /// Mode is neither off, on nor inherit.
    Mode,
    /// Unknown preset.
    Preset,
    /// Γ above 1.
    Gamma,
    /// Key length above 128.
    KeyLen,
}

impl SettingError {
    /// Short description, for log lines and error messages.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Mode => "mode must be off, on or inherit",
            Self::Preset => "unknown preset",
            Self::Gamma => "gamma out of [0, 1]",
            Self::KeyLen => "key length out of 1..=128",
        }
    }
}

impl Overrides {
    /// No override: everything follows the sysctls.
    pub(crate) const NONE: Self = Self {
        mode: INHERIT_U8,
        preset: INHERIT_U8,
        keylen: 0,
        gamma_ppm: INHERIT_U32,
        hook_bytes: INHERIT_U32,
    };

    /// Checks every field.
    pub(crate) fn validate(&self) -> Result<(), SettingError> {
        if self.mode > 1 && self.mode != INHERIT_U8 {
            return Err(SettingError::Mode);
        }
        if self.preset != INHERIT_U8 && Preset::from_raw(u32::from(self.preset)).is_none() {
            return Err(SettingError::Preset);
        }
        if self.gamma_ppm > GAMMA_ONE && self.gamma_ppm != INHERIT_U32 {
            return Err(SettingError::Gamma);
        }
        if self.keylen > 128 {
            return Err(SettingError::KeyLen);
        }
        Ok(())
    }

    /// Whether nothing is overridden.
    #[allow(dead_code)] // Used by `tpcctl` and the host tests.
    pub(crate) fn is_none(&self) -> bool {
        *self == Self::NONE
    }

    /// `g` with these overrides applied.
    pub(crate) fn resolve(&self, g: &Settings) -> Settings {
        let mut s = *g;
        if self.mode != INHERIT_U8 {
            s.on = self.mode == 1;
        }
        if let Some(p) = Preset::from_raw(u32::from(self.preset)) {
            s.preset = p;
        }
        if self.keylen != 0 && self.keylen <= 128 {
            s.keylen = self.keylen;
        }
        if self.gamma_ppm != INHERIT_U32 {
            s.gamma_ppm = self.gamma_ppm.min(GAMMA_ONE);
        }
        if self.hook_bytes != INHERIT_U32 {
            s.hook_bytes = self.hook_bytes;
        }
        s
    }
}

/// The path a connection drew.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Draw {
    /// Path index.
    pub(crate) path: u8,
    /// Its probability at the draw.
    pub(crate) p: Sf,
    /// Number of usable paths at the draw.
    pub(crate) k: u8,
}

/// One reward, as kept in a state's history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sample {
    /// When (`ktime_get_ns`).
    pub(crate) ktime_ns: u64,
    /// Path rewarded.
    pub(crate) path: u8,
    /// RTT measured on it (µs).
    pub(crate) srtt_us: u32,
    /// Reward in millionths (negative: the as-coded preset's penalty, in
    /// millionths of a millisecond unit).
    pub(crate) reward_ppm: i32,
    /// Probability the connection drew the path with, in millionths.
    pub(crate) p_ppm: u32,
}

/// What one update did (for events and counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Update {
    /// The reward.
    pub(crate) sample: Sample,
    /// Weight shares after the update, in millionths (`w_i / Σw`, no Γ
    /// mix), for the paths of the state.
    pub(crate) shares_ppm: [u32; MAX_PATHS],
    /// Number of paths.
    pub(crate) npaths: u8,
}

impl Update {
    /// The event reporting this update of the state of `key`.
    pub(crate) fn event(&self, key: Prefix) -> UpdateEvent {
        UpdateEvent {
            ktime_ns: self.sample.ktime_ns,
            key,
            path: self.sample.path,
            npaths: self.npaths,
            srtt_us: self.sample.srtt_us,
            reward_ppm: self.sample.reward_ppm,
            p_ppm: self.sample.p_ppm,
            shares_ppm: self.shares_ppm,
        }
    }
}

/// Range of RTTs seen recently, in two half-window buckets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Window {
    start_ns: i64,
    cur: (u32, u32),
    prev: (u32, u32),
}

impl Window {
    fn observe(&mut self, s: u32, now: i64) {
        let age = now.saturating_sub(self.start_ns);
        if self.cur.1 == 0 || age >= WINDOW_NS {
            self.prev = (0, 0);
            self.cur = (s, s);
            self.start_ns = now;
        } else if age >= WINDOW_NS / 2 {
            // Buckets stay aligned on half windows: a sample never counts
            // once it is a whole window old.
            self.prev = self.cur;
            self.cur = (s, s);
            self.start_ns = self.start_ns.saturating_add(WINDOW_NS / 2);
        } else {
            self.cur = (self.cur.0.min(s), self.cur.1.max(s));
        }
    }

    /// (min, max) over both buckets.
    fn range(&self) -> (u32, u32) {
        if self.prev.1 == 0 {
            self.cur
        } else {
            (self.cur.0.min(self.prev.0), self.cur.1.max(self.prev.1))
        }
    }
}

/// Counters of a state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StateStats {
    /// Draws per path.
    pub(crate) draws: [u64; MAX_PATHS],
    /// Weight updates.
    pub(crate) updates: u64,
    /// Times a path was marked failed.
    pub(crate) failures: u64,
}

/// The EXP3 state of one destination key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct State {
    /// Destinations it covers.
    pub(crate) key: Prefix,
    /// The path-table entry its paths belong to.
    pub(crate) entry: Prefix,
    /// Generation of that entry's paths when the weights were learned.
    pub(crate) generation: u32,
    npaths: u8,
    w: [Sf; MAX_PATHS],
    failed_until: [i64; MAX_PATHS],
    failed: u8,
    win: Window,
    /// Counters.
    pub(crate) stats: StateStats,
    hist: [Sample; HISTORY],
    hist_len: u32,
    last_used_ns: i64,
}

fn mask_of(npaths: u8) -> u8 {
    if npaths >= 8 {
        0xff
    } else {
        (1u8 << npaths) - 1
    }
}

/// Millionths of `x`, rounded, saturating.
fn ppm(x: Sf) -> u32 {
    (x * Sf::from_u64(1_000_000))
        .round_u64()
        .min(u64::from(u32::MAX)) as u32
}

impl State {
    /// A fresh state: all weights 1.
    pub(crate) fn new(key: Prefix, entry: Prefix, generation: u32, npaths: u8, now: i64) -> Self {
        Self {
            key,
            entry,
            generation,
            npaths: npaths.clamp(1, MAX_PATHS as u8),
            w: [Sf::ONE; MAX_PATHS],
            failed_until: [0; MAX_PATHS],
            failed: 0,
            win: Window::default(),
            stats: StateStats::default(),
            hist: [Sample::default(); HISTORY],
            hist_len: 0,
            last_used_ns: now,
        }
    }

    /// Number of paths.
    pub(crate) fn npaths(&self) -> usize {
        usize::from(self.npaths)
    }

    /// The weights of the paths.
    pub(crate) fn weights(&self) -> &[Sf] {
        &self.w[..self.npaths()]
    }

    /// Sets a weight (host tests and the as-coded test vectors).
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn set_weight(&mut self, i: usize, w: Sf) {
        if let Some(x) = self.w[..usize::from(self.npaths)].get_mut(i) {
            *x = w;
        }
    }

    /// Bit mask of the paths failover marked as failed, still excluded at
    /// `now`.
    pub(crate) fn failed_mask(&self, now: i64) -> u8 {
        let mut m = 0;
        for i in 0..self.npaths() {
            if self.failed & (1 << i) != 0
                && (self.failed_until[i] == 0 || now < self.failed_until[i])
            {
                m |= 1 << i;
            }
        }
        m
    }

    /// Paths a draw may pick at `now`: all but the failed ones, or all if
    /// every path is failed.
    pub(crate) fn usable(&self, now: i64) -> u8 {
        let all = mask_of(self.npaths);
        let u = all & !self.failed_mask(now);
        if u == 0 {
            all
        } else {
            u
        }
    }

    /// Draw probabilities over the paths in `usable` (0 elsewhere).
    pub(crate) fn probs(&self, gamma_ppm: u32, usable: u8) -> [Sf; MAX_PATHS] {
        let usable = usable & mask_of(self.npaths);
        let mut p = [Sf::ZERO; MAX_PATHS];
        let k = usable.count_ones();
        if k == 0 {
            return p;
        }
        let gamma = Sf::from_ratio(u64::from(gamma_ppm.min(GAMMA_ONE)), u64::from(GAMMA_ONE));
        let mut sum = Sf::ZERO;
        for i in 0..self.npaths() {
            if usable & (1 << i) != 0 {
                sum += self.w[i];
            }
        }
        let explore = gamma / Sf::from_u64(u64::from(k));
        // One division for all paths (divisions are the slow operation).
        let scale = (Sf::ONE - gamma) / sum;
        for (i, pi) in p.iter_mut().enumerate().take(self.npaths()) {
            if usable & (1 << i) != 0 {
                *pi = scale * self.w[i] + explore;
            }
        }
        p
    }

    /// Draws a path at `now` with the random number `rand` (uniform over
    /// all `u32`s): the first usable path whose cumulative probability
    /// exceeds `rand / 2^32` (the last usable one if rounding leaves a gap).
    pub(crate) fn draw(&mut self, gamma_ppm: u32, rand: u32, now: i64) -> Draw {
        let usable = self.usable(now);
        let p = self.probs(gamma_ppm, usable);
        let u = Sf::from_raw(false, u64::from(rand), -32);
        let mut acc = Sf::ZERO;
        let mut pick = None;
        let mut last = 0;
        for (i, pi) in p.iter().enumerate().take(self.npaths()) {
            if usable & (1 << i) == 0 {
                continue;
            }
            last = i;
            acc += *pi;
            if pick.is_none() && u < acc {
                pick = Some(i);
            }
        }
        let i = pick.unwrap_or(last);
        self.stats.draws[i] = self.stats.draws[i].saturating_add(1);
        self.last_used_ns = now;
        Draw {
            // i < MAX_PATHS; usable has at most 8 bits.
            path: i as u8,
            p: p[i],
            k: usable.count_ones() as u8,
        }
    }

    /// Rewards `path`, drawn with probability `p` among `k` paths, for an
    /// RTT of `srtt_us` measured on it. Returns `None` (and changes
    /// nothing) for a path beyond the state or a zero RTT.
    pub(crate) fn reward(
        &mut self,
        s: &Settings,
        path: u8,
        p: Sf,
        k: u8,
        srtt_us: u32,
        now: i64,
    ) -> Option<Update> {
        let i = usize::from(path);
        if i >= self.npaths() || srtt_us == 0 {
            return None;
        }
        let k = Sf::from_u64(u64::from(k.max(1)));
        // A probability is at least Γ/K > 0 unless Γ = 0; guard anyway.
        let p = if p.is_zero() || p.is_negative() {
            Sf::from_ratio(1, 1_000_000)
        } else {
            p.min(Sf::ONE)
        };
        let (reward, exponent) = match s.preset {
            Preset::Textbook => {
                self.win.observe(srtt_us, now);
                let (lo, hi) = self.win.range();
                let r = if hi > lo {
                    Sf::from_ratio(u64::from(hi - srtt_us.min(hi)), u64::from(hi - lo))
                } else {
                    Sf::from_ratio(1, 2)
                };
                let gamma = Sf::from_ratio(u64::from(s.gamma_ppm), u64::from(GAMMA_ONE));
                (r, gamma * (r / p) / k)
            }
            Preset::AsCoded => {
                let srtt_ms = i64::from(srtt_us / 1000);
                let r = Sf::from_i64(i64::from(s.ref_ms) - srtt_ms);
                // The original's GAMMA_REV table: 1/Γ, except Γ = 0.2 -> 20.
                let gamma_rev = if s.gamma_ppm == 200_000 {
                    Sf::from_u64(20)
                } else {
                    Sf::from_ratio(u64::from(GAMMA_ONE), u64::from(s.gamma_ppm))
                };
                let den = p * gamma_rev * (k + Sf::ONE);
                (r, r / den)
            }
        };
        let cap = Sf::from_u64(MAX_EXPONENT);
        let factor = exponent.abs().min(cap).exp();
        self.w[i] = if exponent.is_negative() {
            self.w[i] / factor
        } else {
            self.w[i] * factor
        };
        self.renormalise();
        self.stats.updates = self.stats.updates.saturating_add(1);
        self.last_used_ns = now;
        let reward_ppm = (reward * Sf::from_u64(1_000_000))
            .to_i64()
            .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        let sample = Sample {
            ktime_ns: now.max(0) as u64,
            path,
            srtt_us,
            reward_ppm,
            p_ppm: ppm(p),
        };
        self.hist[(self.hist_len as usize) % HISTORY] = sample;
        self.hist_len = self.hist_len.wrapping_add(1);
        Some(Update {
            sample,
            shares_ppm: self.shares_ppm(),
            npaths: self.npaths,
        })
    }

    /// Rescales the weights to sum to [`TOKENS`], each at least 1.
    fn renormalise(&mut self) {
        let n = self.npaths();
        let mut sum = Sf::ZERO;
        for w in &self.w[..n] {
            sum += *w;
        }
        if sum.is_zero() {
            self.w[..n].iter_mut().for_each(|w| *w = Sf::ONE);
            return;
        }
        let scale = Sf::from_u64(TOKENS) / sum;
        for w in self.w[..n].iter_mut() {
            *w = (*w * scale).max(Sf::ONE);
        }
    }

    /// Weight shares `w_i / Σw` in millionths.
    pub(crate) fn shares_ppm(&self) -> [u32; MAX_PATHS] {
        let mut out = [0; MAX_PATHS];
        let mut sum = Sf::ZERO;
        for w in self.weights() {
            sum += *w;
        }
        if sum.is_zero() {
            return out;
        }
        let inv = Sf::ONE / sum;
        for (o, w) in out.iter_mut().zip(self.weights()) {
            *o = ppm(*w * inv);
        }
        out
    }

    /// Failover moved a connection away from `path` at `now`: leave it out
    /// of draws until `until` (0: until a probe).
    pub(crate) fn mark_failed(&mut self, path: u8, until: i64) {
        let i = usize::from(path);
        if i < self.npaths() {
            self.failed |= 1 << i;
            self.failed_until[i] = until;
            self.stats.failures = self.stats.failures.saturating_add(1);
        }
    }

    /// A connection on `path` made progress (an RTT sample): the path works
    /// again. Returns whether it was marked failed.
    pub(crate) fn probe_ok(&mut self, path: u8) -> bool {
        let i = usize::from(path);
        if i >= self.npaths() || self.failed & (1 << i) == 0 {
            return false;
        }
        self.failed &= !(1 << i);
        self.failed_until[i] = 0;
        true
    }

    /// The rewards kept, oldest first.
    pub(crate) fn history(&self) -> impl Iterator<Item = &Sample> {
        let n = (self.hist_len as usize).min(HISTORY);
        let start = (self.hist_len as usize).wrapping_sub(n);
        (0..n).map(move |j| &self.hist[(start.wrapping_add(j)) % HISTORY])
    }

    /// RTT range used for reward normalisation: (min, max) µs, 0 if none.
    pub(crate) fn rtt_range(&self) -> (u32, u32) {
        self.win.range()
    }
}

/// The key of destination `a` for an entry of prefix `entry` with key
/// length `keylen` (never shorter than the entry).
pub(crate) fn key_of(a: &Addr, entry: &Prefix, keylen: u8) -> Prefix {
    Prefix::truncate(a, keylen.max(entry.len).min(128))
}

/// The states. `S` is storage for [`MAX_STATES`] slots (more are ignored).
pub(crate) struct Table<S> {
    slots: S,
}

impl<S> Table<S> {
    /// A table over `slots`, which must all be `None` (for `static`s).
    #[allow(dead_code)] // Used by the module.
    pub(crate) const fn from_empty(slots: S) -> Self {
        Self { slots }
    }
}

impl<S: AsRef<[Option<State>]> + AsMut<[Option<State>]>> Table<S> {
    fn slots(&self) -> &[Option<State>] {
        let s = self.slots.as_ref();
        &s[..s.len().min(MAX_STATES)]
    }

    fn slots_mut(&mut self) -> &mut [Option<State>] {
        let s = self.slots.as_mut();
        let n = s.len().min(MAX_STATES);
        &mut s[..n]
    }

    /// The state of `key` under table entry `entry` (generation
    /// `generation`, `npaths` paths), created if missing (recycling the
    /// least recently used state when full). Weights learned for another
    /// generation of the entry's paths are reset.
    pub(crate) fn get_or_insert(
        &mut self,
        key: Prefix,
        entry: Prefix,
        generation: u32,
        npaths: usize,
        now: i64,
    ) -> &mut State {
        let npaths = npaths.clamp(1, MAX_PATHS) as u8;
        let slots = self.slots_mut();
        let at = slots
            .iter()
            .position(|s| matches!(s, Some(st) if st.key == key && st.entry == entry))
            .or_else(|| slots.iter().position(|s| s.is_none()))
            .unwrap_or_else(|| {
                let mut oldest = 0;
                let mut t = i64::MAX;
                for (i, s) in slots.iter().enumerate() {
                    if let Some(st) = s {
                        if st.last_used_ns < t {
                            t = st.last_used_ns;
                            oldest = i;
                        }
                    }
                }
                oldest
            });
        let slot = &mut slots[at];
        let fresh = match slot {
            Some(st) => {
                st.key != key
                    || st.entry != entry
                    || st.generation != generation
                    || st.npaths != npaths
            }
            None => true,
        };
        if fresh {
            let mut st = State::new(key, entry, generation, npaths, now);
            // Keep the counters of a state whose paths were replaced.
            if let Some(old) = slot.as_ref().filter(|o| o.key == key && o.entry == entry) {
                st.stats = old.stats;
            }
            *slot = Some(st);
        }
        slot.get_or_insert_with(|| State::new(key, entry, generation, npaths, now))
    }

    /// The state of `key` under `entry`, if any.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn get_mut(&mut self, key: Prefix, entry: Prefix) -> Option<&mut State> {
        self.slots_mut()
            .iter_mut()
            .flatten()
            .find(|s| s.key == key && s.entry == entry)
    }

    /// Drops the states of table entry `entry` (its paths were deleted).
    pub(crate) fn forget(&mut self, entry: Prefix) {
        for s in self.slots_mut() {
            if matches!(s, Some(st) if st.entry == entry) {
                *s = None;
            }
        }
    }

    /// Number of states.
    pub(crate) fn len(&self) -> usize {
        self.slots().iter().flatten().count()
    }

    /// The `i`-th state in slot order.
    pub(crate) fn nth(&self, i: usize) -> Option<&State> {
        self.slots().iter().flatten().nth(i)
    }
}

/// A connection's EXP3 state (in `icsk_ca_priv`, so kept small).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FlowExp3 {
    /// Probability of the last draw, in 2^-32 units (saturating).
    pub(crate) p_q32: u32,
    /// Usable paths at the last draw.
    pub(crate) k: u8,
    /// A draw awaits its reward.
    pub(crate) pending: bool,
    /// Smoothed RTT on the current path (µs, 1/8 EWMA); 0 before the first
    /// sample since the last path change.
    pub(crate) srtt_us: u32,
    /// `snd_una + rcv_nxt` at the last decision.
    pub(crate) mark: u32,
    /// Hook rate in force at the last draw (bytes; 0: none).
    pub(crate) hook_bytes: u32,
    /// `snd_nxt` at the last path change: RTT samples of ACKs below it
    /// may time segments sent on the previous path and are ignored.
    pub(crate) clean_seq: u32,
}

impl FlowExp3 {
    /// Records a draw made when the byte mark was `mark`, with hook rate
    /// `hook_bytes`.
    pub(crate) fn drawn(&mut self, d: &Draw, mark: u32, hook_bytes: u32) {
        let q = d.p.scale_pow2(32).round_u64().min(u64::from(u32::MAX));
        // At most u32::MAX.
        self.p_q32 = q as u32;
        self.k = d.k;
        self.pending = true;
        self.mark = mark;
        self.hook_bytes = hook_bytes;
    }

    /// The probability of the last draw.
    pub(crate) fn p(&self) -> Sf {
        Sf::from_raw(false, u64::from(self.p_q32), -32)
    }

    /// The connection changed path when the next sequence number to send
    /// was `snd_nxt`: RTTs measured so far belong to the old path, and so
    /// may those of ACKs up to `snd_nxt`.
    pub(crate) fn path_changed(&mut self, snd_nxt: u32) {
        self.srtt_us = 0;
        self.clean_seq = snd_nxt;
    }

    /// Feeds an RTT sample taken when `snd_una` (after the ACK) was
    /// `snd_una`; samples of ACKs that do not pass the sequence number of
    /// the last path change are ignored.
    pub(crate) fn on_rtt(&mut self, rtt_us: u32, snd_una: u32) {
        // Not after clean_seq, in sequence space (as `failover::seq_after`).
        if (snd_una.wrapping_sub(self.clean_seq) as i32) <= 0 {
            return;
        }
        let rtt = rtt_us.max(1);
        self.srtt_us = if self.srtt_us == 0 {
            rtt
        } else {
            // srtt + (rtt - srtt) / 8, in i64 to keep the sign.
            let s = i64::from(self.srtt_us);
            (s + (i64::from(rtt) - s) / 8).clamp(1, i64::from(u32::MAX)) as u32
        };
    }

    /// Whether the hook rate's bytes were acknowledged or received since
    /// the last draw (`mark` is the current `snd_una + rcv_nxt`) and an RTT
    /// was measured on the current path (something to report).
    pub(crate) fn due(&self, mark: u32) -> bool {
        let d = mark.wrapping_sub(self.mark);
        self.pending
            && self.srtt_us != 0
            && self.hook_bytes != 0
            && d >= self.hook_bytes
            && d < 1 << 31
    }
}
