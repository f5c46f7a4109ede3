// SPDX-License-Identifier: GPL-2.0

//! The path table: per destination prefix, an ordered set of SRv6 paths and
//! the failover strategy override for that prefix.
//!
//! Pure logic, shared by the module and the host tests. The module keeps one
//! table behind a BH-safe lock: the controller changes it from process
//! context, TCP callbacks look paths up from softirq. Nothing here allocates:
//! the table works in caller-provided storage of [`MAX_PREFIXES`] slots.
//!
//! Limits: [`MAX_PREFIXES`] prefixes, [`MAX_PATHS`] paths per prefix, each
//! path an SRH of at most [`srh::MAX_SEGMENTS`] entries, or no SRH at all
//! (only path 0 may be direct: it means the routing table's path). Lookups
//! are longest-prefix match over IPv6 prefixes of any length.

use super::augment;
use super::exp3::Overrides;
use super::srh::{self, Addr, SrhError, MAX_SRH_LEN};
use core::fmt;

/// Most prefixes in the table.
pub(crate) const MAX_PREFIXES: usize = 64;
/// Most paths per prefix.
pub(crate) const MAX_PATHS: usize = 8;
/// Number of [`Reason`] values (index 0 unused).
pub(crate) const REASONS: usize = 8;

/// Why a connection changed path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Reason {
    /// The first path applied when the connection started.
    Init = 1,
    /// Sender: successive retransmission timeouts without progress.
    Rto = 2,
    /// Receiver: duplicate data segments without progress.
    DupData = 3,
    /// Sender: data outstanding for longer than the timeout.
    Timeout = 4,
    /// The application pinned the connection to a path.
    Pin = 5,
    /// The application asked for a move to the next path.
    Request = 6,
    /// EXP3 drew another path for an ongoing connection.
    Exp3 = 7,
}

impl Reason {
    /// Lower-case name, as printed by `tpcctl`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Init => "init",
            Self::Rto => "rto",
            Self::DupData => "dupdata",
            Self::Timeout => "timeout",
            Self::Pin => "pin",
            Self::Request => "request",
            Self::Exp3 => "exp3",
        }
    }

    /// Maps a raw value.
    #[allow(dead_code)] // Used by `tpcctl` and the host tests.
    pub(crate) fn from_raw(v: u8) -> Option<Self> {
        Some(match v {
            1 => Self::Init,
            2 => Self::Rto,
            3 => Self::DupData,
            4 => Self::Timeout,
            5 => Self::Pin,
            6 => Self::Request,
            7 => Self::Exp3,
            _ => return None,
        })
    }
}

/// Why a table change was refused. The table is unchanged in every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathError {
    /// Prefix length above 128, or address bits set beyond it.
    BadPrefix,
    /// An entry needs at least one path.
    NoPaths,
    /// More than [`MAX_PATHS`] paths.
    TooManyPaths,
    /// A path's SRH is invalid.
    Srh(SrhError),
    /// A path other than path 0 has no SRH.
    DirectNotFirst,
    /// The same SRH appears twice in one entry.
    Duplicate,
    /// The table already holds [`MAX_PREFIXES`] prefixes.
    TableFull,
    /// No entry for this prefix.
    NotFound,
    /// An entry exists and replacing was not allowed.
    Exists,
}

impl PathError {
    /// Short description, for log lines and error messages.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::BadPrefix => "bad prefix (length above 128 or host bits set)",
            Self::NoPaths => "zero paths",
            Self::TooManyPaths => "more than 8 paths",
            Self::Srh(e) => e.as_str(),
            Self::DirectNotFirst => "only path 0 may be direct (no SRH)",
            Self::Duplicate => "the same path appears twice",
            Self::TableFull => "path table full (64 prefixes)",
            Self::NotFound => "no entry for this prefix",
            Self::Exists => "an entry for this prefix exists",
        }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IPv6 prefix with its host bits clear.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Prefix {
    /// Network address.
    pub(crate) addr: Addr,
    /// Length in bits, 0..=128.
    pub(crate) len: u8,
}

impl Prefix {
    /// Checks a prefix; host bits must be zero (as `ip route` demands).
    pub(crate) fn new(addr: Addr, len: u8) -> Result<Self, PathError> {
        if len > 128 {
            return Err(PathError::BadPrefix);
        }
        let p = Self { addr, len };
        if p.mask(&addr) != addr {
            return Err(PathError::BadPrefix);
        }
        Ok(p)
    }

    /// `a` with the bits beyond this prefix's length cleared.
    fn mask(&self, a: &Addr) -> Addr {
        let mut out = *a;
        let len = usize::from(self.len);
        for (i, b) in out.iter_mut().enumerate() {
            let keep = len.saturating_sub(8 * i).min(8);
            *b &= (0xff_u16 << (8 - keep)) as u8;
        }
        out
    }

    /// The prefix of length `len` (at most 128) that contains `a`.
    pub(crate) fn truncate(a: &Addr, len: u8) -> Self {
        let p = Self {
            addr: *a,
            len: len.min(128),
        };
        Self {
            addr: p.mask(a),
            len: p.len,
        }
    }

    /// Whether `a` is inside this prefix.
    pub(crate) fn contains(&self, a: &Addr) -> bool {
        self.mask(a) == self.addr
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", AddrFmt(&self.addr), self.len)
    }
}

/// Formats an IPv6 address as eight hexadecimal groups (no `::`
/// compression), for log lines.
pub(crate) struct AddrFmt<'a>(pub(crate) &'a Addr);

impl fmt::Display for AddrFmt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, g) in self.0.chunks_exact(2).enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{:x}", u16::from_be_bytes([g[0], g[1]]))?;
        }
        Ok(())
    }
}

/// One path's SRH, stored inline (length 0: no SRH, the routing table's
/// path).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Srh {
    len: u8,
    bytes: [u8; MAX_SRH_LEN],
}

impl Default for Srh {
    fn default() -> Self {
        Self::DIRECT
    }
}

impl fmt::Debug for Srh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Srh({} bytes)", self.len)
    }
}

impl Srh {
    /// No SRH.
    pub(crate) const DIRECT: Self = Self {
        len: 0,
        bytes: [0; MAX_SRH_LEN],
    };

    /// Validates and stores `b`; an empty slice means "no SRH".
    pub(crate) fn new(b: &[u8]) -> Result<Self, SrhError> {
        if b.is_empty() {
            return Ok(Self::DIRECT);
        }
        srh::validate(b)?;
        // A valid SRH has at most MAX_SEGMENTS entries and no TLVs, so it
        // fits; the check only guards the copy below.
        if b.len() > MAX_SRH_LEN {
            return Err(SrhError::TooManySegments);
        }
        let mut s = Self::DIRECT;
        s.bytes[..b.len()].copy_from_slice(b);
        // b.len() <= MAX_SRH_LEN < 256.
        s.len = b.len() as u8;
        Ok(s)
    }

    /// The SRH bytes (empty for a direct path).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Whether this is the routing table's path (no SRH).
    pub(crate) fn is_direct(&self) -> bool {
        self.len == 0
    }
}

/// Failover strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum StrategyKind {
    /// No failover: connections keep their first path.
    Off = 0,
    /// NRTOChanger(N, M).
    Nrto = 1,
    /// TimeoutChanger(T, M).
    Timeout = 2,
}

impl StrategyKind {
    /// Maps a raw value.
    pub(crate) fn from_raw(v: u32) -> Option<Self> {
        Some(match v {
            0 => Self::Off,
            1 => Self::Nrto,
            2 => Self::Timeout,
            _ => return None,
        })
    }

    /// Lower-case name.
    #[allow(dead_code)] // Used by `tpcctl` and the host tests.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Nrto => "nrto",
            Self::Timeout => "timeout",
        }
    }
}

/// A failover strategy with its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Strategy {
    /// Which strategy.
    pub(crate) kind: StrategyKind,
    /// NRTOChanger's N: RTOs without progress before a move.
    pub(crate) n: u32,
    /// M: duplicate data segments without progress before a move.
    pub(crate) m: u32,
    /// TimeoutChanger's T, in milliseconds.
    pub(crate) t_ms: u32,
}

/// Counters of one path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PathStats {
    /// Connections moved onto this path (any reason but init).
    pub(crate) moves_in: u64,
    /// Connections moved away from this path.
    pub(crate) moves_out: u64,
    /// Connections that started on this path.
    pub(crate) starts: u64,
}

/// One path of an entry.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Path {
    /// The SRH (or none).
    pub(crate) srh: Srh,
    /// Its counters; kept when the entry is replaced and the path is not.
    pub(crate) stats: PathStats,
}

/// Counters of one prefix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PrefixStats {
    /// Path changes by [`Reason`] (index = reason value).
    pub(crate) moves: [u64; REASONS],
    /// Path changes that failed (allocation, socket state); the connection
    /// kept its path.
    pub(crate) apply_failed: u64,
}

/// The paths of one destination prefix.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    /// The destinations it covers.
    pub(crate) prefix: Prefix,
    npaths: u8,
    paths: [Path; MAX_PATHS],
    /// Strategy for this prefix; `None` follows the global sysctls.
    pub(crate) strategy: Option<Strategy>,
    /// EXP3 settings of this prefix (each field may follow the sysctls).
    pub(crate) exp3: Overrides,
    /// Counters of the prefix.
    pub(crate) stats: PrefixStats,
    /// Augmenter policy of the prefix.
    pub(crate) augment: augment::Config,
    /// Augmenter's aggregate of the prefix's recent flows.
    pub(crate) agg: augment::Aggregate,
    /// Bumped whenever the paths are replaced.
    pub(crate) generation: u32,
}

impl Entry {
    /// The paths, in order.
    pub(crate) fn paths(&self) -> &[Path] {
        &self.paths[..usize::from(self.npaths)]
    }

    /// The paths, mutable (for their counters).
    pub(crate) fn paths_mut(&mut self) -> &mut [Path] {
        &mut self.paths[..usize::from(self.npaths)]
    }

    /// Number of paths (at least 1).
    pub(crate) fn len(&self) -> usize {
        usize::from(self.npaths)
    }

    /// The path after `cur`, wrapping around, skipping `cur` itself. A
    /// current index beyond the entry (it was replaced by a shorter one)
    /// counts as the last path. With one path the answer is `cur`'s own
    /// clamped index.
    pub(crate) fn next_after(&self, cur: usize) -> usize {
        let n = self.len();
        (cur.min(n - 1) + 1) % n
    }

    /// Records a path change from `old` (`None` at start) to `new`.
    pub(crate) fn record_move(&mut self, old: Option<usize>, new: usize, why: Reason) {
        self.stats.moves[why as usize] += 1;
        if let Some(o) = old.and_then(|o| self.paths_mut().get_mut(o)) {
            o.stats.moves_out += 1;
        }
        if let Some(p) = self.paths_mut().get_mut(new) {
            if why == Reason::Init {
                p.stats.starts += 1;
            } else {
                p.stats.moves_in += 1;
            }
        }
    }
}

/// The table. `S` is storage for [`MAX_PREFIXES`] slots (more are ignored).
pub(crate) struct PathTable<S> {
    slots: S,
    generation: u32,
}

impl<S> PathTable<S> {
    /// A table over `slots`, which must all be `None` (for `static`s).
    #[allow(dead_code)] // Used by the module.
    pub(crate) const fn from_empty(slots: S) -> Self {
        Self {
            slots,
            generation: 0,
        }
    }
}

impl<S: AsRef<[Option<Entry>]> + AsMut<[Option<Entry>]>> PathTable<S> {
    /// A table over `slots`, which are cleared.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn new(mut slots: S) -> Self {
        slots.as_mut().iter_mut().for_each(|s| *s = None);
        Self {
            slots,
            generation: 0,
        }
    }

    fn slots(&self) -> &[Option<Entry>] {
        let s = self.slots.as_ref();
        &s[..s.len().min(MAX_PREFIXES)]
    }

    fn slots_mut(&mut self) -> &mut [Option<Entry>] {
        let s = self.slots.as_mut();
        let n = s.len().min(MAX_PREFIXES);
        &mut s[..n]
    }

    /// Installs or replaces the paths of `prefix`. Paths whose SRH did not
    /// change keep their counters; the prefix keeps its counters, strategy,
    /// EXP3 overrides, Augmenter policy and aggregate. All checks come
    /// first: on error nothing changed.
    pub(crate) fn set<'a>(
        &mut self,
        prefix: Prefix,
        srhs: impl ExactSizeIterator<Item = &'a [u8]>,
        excl: bool,
    ) -> Result<(), PathError> {
        let prefix = Prefix::new(prefix.addr, prefix.len)?;
        let n = srhs.len();
        if n == 0 {
            return Err(PathError::NoPaths);
        }
        if n > MAX_PATHS {
            return Err(PathError::TooManyPaths);
        }
        let mut paths = [Path::default(); MAX_PATHS];
        for (i, b) in srhs.enumerate() {
            let s = Srh::new(b).map_err(PathError::Srh)?;
            if i > 0 && s.is_direct() {
                return Err(PathError::DirectNotFirst);
            }
            if paths[..i].iter().any(|p| p.srh == s) {
                return Err(PathError::Duplicate);
            }
            paths[i].srh = s;
        }
        // Never 0: connections use 0 for "no path applied".
        let generation = self.generation.wrapping_add(1).max(1);
        let slots = self.slots_mut();
        let at = match slots
            .iter()
            .position(|s| matches!(s, Some(e) if e.prefix == prefix))
        {
            Some(_) if excl => return Err(PathError::Exists),
            Some(i) => i,
            None => slots
                .iter()
                .position(|s| s.is_none())
                .ok_or(PathError::TableFull)?,
        };
        self.generation = generation;
        let slots = self.slots_mut();
        let old = slots[at].take();
        if let Some(old) = &old {
            for p in paths[..n].iter_mut() {
                if let Some(o) = old.paths().iter().find(|o| o.srh == p.srh) {
                    p.stats = o.stats;
                }
            }
        }
        slots[at] = Some(Entry {
            prefix,
            // n <= MAX_PATHS.
            npaths: n as u8,
            paths,
            strategy: old.as_ref().and_then(|o| o.strategy),
            exp3: old.as_ref().map_or(Overrides::NONE, |o| o.exp3),
            augment: old.as_ref().map(|o| o.augment).unwrap_or_default(),
            agg: old.as_ref().map(|o| o.agg).unwrap_or_default(),
            stats: old.map(|o| o.stats).unwrap_or_default(),
            generation,
        });
        Ok(())
    }

    /// Removes the entry of exactly `prefix`.
    pub(crate) fn del(&mut self, prefix: Prefix) -> Result<(), PathError> {
        let slot = self
            .slots_mut()
            .iter_mut()
            .find(|s| matches!(s, Some(e) if e.prefix == prefix))
            .ok_or(PathError::NotFound)?;
        *slot = None;
        Ok(())
    }

    /// Sets (or with `None` clears) the strategy override of `prefix`.
    pub(crate) fn set_strategy(
        &mut self,
        prefix: Prefix,
        s: Option<Strategy>,
    ) -> Result<(), PathError> {
        let e = self.get_mut(prefix).ok_or(PathError::NotFound)?;
        e.strategy = s;
        Ok(())
    }

    /// Sets the EXP3 overrides of `prefix` (checked by the caller).
    pub(crate) fn set_exp3(&mut self, prefix: Prefix, o: Overrides) -> Result<(), PathError> {
        let e = self.get_mut(prefix).ok_or(PathError::NotFound)?;
        e.exp3 = o;
        Ok(())
    }

    /// Sets the Augmenter policy of `prefix` (checked by the caller).
    pub(crate) fn set_augment(
        &mut self,
        prefix: Prefix,
        c: augment::Config,
    ) -> Result<(), PathError> {
        let e = self.get_mut(prefix).ok_or(PathError::NotFound)?;
        e.augment = c;
        Ok(())
    }

    /// The entry of exactly `prefix`.
    pub(crate) fn get_mut(&mut self, prefix: Prefix) -> Option<&mut Entry> {
        self.slots_mut()
            .iter_mut()
            .flatten()
            .find(|e| e.prefix == prefix)
    }

    /// The entry of length `len` that contains destination `a`.
    pub(crate) fn lookup_len(&mut self, a: &Addr, len: u8) -> Option<&mut Entry> {
        self.slots_mut()
            .iter_mut()
            .flatten()
            .find(|e| e.prefix.len == len && e.prefix.contains(a))
    }

    /// Longest-prefix match for destination `a`.
    pub(crate) fn lookup(&mut self, a: &Addr) -> Option<&mut Entry> {
        self.slots_mut()
            .iter_mut()
            .flatten()
            .filter(|e| e.prefix.contains(a))
            .max_by_key(|e| e.prefix.len)
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.slots().iter().flatten().count()
    }

    /// Whether the table is empty.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th entry in slot order.
    pub(crate) fn nth(&self, i: usize) -> Option<&Entry> {
        self.slots().iter().flatten().nth(i)
    }
}
