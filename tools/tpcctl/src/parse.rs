// SPDX-License-Identifier: GPL-2.0

//! Parsers of the command-line grammar (shared with the configuration
//! file): prefixes, paths, durations, failover and EXP3 settings.
//!
//! Errors are one-line messages without the command's context, which the
//! caller adds.

use crate::augment::{self, POLICY_FIXED, POLICY_LEARNED, POLICY_OFF};
use crate::exp3::{self, Overrides, Preset};
use crate::paths::{self, Prefix, StrategyKind, MAX_PATHS};
use crate::proto::{self, AugReq, Exp3Req, FailoverReq};
use crate::srh::{self, Addr, MAX_SRH_LEN, MAX_WAYPOINTS};
use std::fmt::Write as _;
use std::net::Ipv6Addr;

/// Parses `ADDR/LEN` (a bare address is a /128). Host bits must be clear.
pub(crate) fn parse_prefix(s: &str) -> Result<Prefix, String> {
    let (a, len) = match s.split_once('/') {
        Some((a, l)) => {
            let len = l
                .parse::<u8>()
                .ok()
                .filter(|&len| len <= 128 && !l.starts_with('+'))
                .ok_or_else(|| format!("{s}: invalid prefix length '{l}' (0..128)"))?;
            (a, len)
        }
        None => (s, 128),
    };
    let addr = parse_addr(a).map_err(|e| format!("{s}: {e}"))?;
    Prefix::new(addr, len).map_err(|_| format!("{s}: Invalid prefix for given prefix length"))
}

/// Parses one IPv6 address.
pub(crate) fn parse_addr(s: &str) -> Result<Addr, String> {
    s.parse::<Ipv6Addr>()
        .map(|a| a.octets())
        .map_err(|_| format!("'{s}' is not an IPv6 address"))
}

/// A prefix as `ip` prints it: `fd00:b::/64`.
pub(crate) fn fmt_prefix(p: &Prefix) -> String {
    format!("{}/{}", Ipv6Addr::from(p.addr), p.len)
}

/// One path of a `path add`/`path replace` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PathSpec {
    /// No routing header: the routing table's path.
    Direct,
    /// Waypoints in visiting order.
    Via(Vec<Addr>),
    /// A routing header sent as given, unchecked.
    Raw(Vec<u8>),
}

impl PathSpec {
    /// The routing header for this path (empty: direct).
    pub(crate) fn srh(&self) -> Result<Vec<u8>, String> {
        match self {
            Self::Direct => Ok(Vec::new()),
            Self::Raw(b) => Ok(b.clone()),
            Self::Via(w) => {
                let mut out = [0u8; MAX_SRH_LEN];
                let n = srh::encode(w, &mut out).map_err(|e| e.as_str().to_string())?;
                Ok(out[..n].to_vec())
            }
        }
    }
}

impl std::fmt::Display for PathSpec {
    /// The path in command-line syntax.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Direct => f.write_str("direct"),
            Self::Via(w) => write!(f, "via {}", waypoint_list(w.iter().copied())),
            Self::Raw(b) => write!(f, "raw {}", to_hex(b)),
        }
    }
}

/// Waypoints as `a,b,c`.
pub(crate) fn waypoint_list(w: impl Iterator<Item = Addr>) -> String {
    w.map(|a| Ipv6Addr::from(a).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses `SEG[,SEG...]` (at most [`MAX_WAYPOINTS`]).
pub(crate) fn parse_waypoints(s: &str) -> Result<Vec<Addr>, String> {
    let w = s
        .split(',')
        .map(|a| {
            if a.is_empty() {
                Err(format!("'{s}': empty waypoint"))
            } else {
                parse_addr(a)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if w.len() > MAX_WAYPOINTS {
        return Err(format!(
            "'{s}': {} waypoints, at most {MAX_WAYPOINTS} allowed",
            w.len()
        ));
    }
    Ok(w)
}

/// Parses one path of the configuration file: `direct` or `SEG[,SEG...]`.
pub(crate) fn parse_path_word(s: &str) -> Result<PathSpec, String> {
    if s == "direct" {
        Ok(PathSpec::Direct)
    } else {
        parse_waypoints(s).map(PathSpec::Via)
    }
}

/// Decodes hexadecimal bytes (an optional `0x` first).
pub(crate) fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let h = s.strip_prefix("0x").unwrap_or(s);
    if h.len() % 2 != 0 {
        return Err(format!("'{s}': odd number of hex digits"));
    }
    let digit = |c: u8| -> Result<u8, String> {
        (c as char)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or_else(|| format!("'{s}': not hexadecimal"))
    };
    h.as_bytes()
        .chunks_exact(2)
        .map(|p| Ok(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// Lower-case hex of `b`.
pub(crate) fn to_hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(2 * b.len());
    for x in b {
        // Writing to a String cannot fail.
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// Parses the path list of `path add`: `via SEG[,SEG...]`, `direct` or
/// `raw HEX`, repeated.
pub(crate) fn parse_path_tokens(tokens: &[String]) -> Result<Vec<PathSpec>, String> {
    let mut out = Vec::new();
    let mut it = tokens.iter();
    while let Some(t) = it.next() {
        let n = out.len();
        match t.as_str() {
            "direct" => out.push(PathSpec::Direct),
            "via" => {
                let s = it
                    .next()
                    .ok_or_else(|| format!("path {n}: 'via' needs SEG[,SEG...]"))?;
                out.push(PathSpec::Via(
                    parse_waypoints(s).map_err(|e| format!("path {n}: {e}"))?,
                ));
            }
            "raw" => {
                let s = it
                    .next()
                    .ok_or_else(|| format!("path {n}: 'raw' needs HEX"))?;
                out.push(PathSpec::Raw(
                    parse_hex(s).map_err(|e| format!("path {n}: {e}"))?,
                ));
            }
            _ => {
                return Err(format!(
                    "path {n}: expected 'via SEG[,SEG...]' or 'direct', found '{t}'"
                ))
            }
        }
    }
    if out.is_empty() {
        return Err("no paths given".into());
    }
    Ok(out)
}

/// Finds what the module would refuse in a path list: none or more than
/// [`MAX_PATHS`] paths, a direct path other than path 0, the same path
/// twice. A list with a raw path is not judged at all.
pub(crate) fn check_paths(paths: &[PathSpec]) -> Result<(), String> {
    if paths.iter().any(|p| matches!(p, PathSpec::Raw(_))) {
        return Ok(());
    }
    if paths.is_empty() {
        return Err("no paths given".into());
    }
    if paths.len() > MAX_PATHS {
        return Err(format!(
            "{} paths, at most {MAX_PATHS} allowed",
            paths.len()
        ));
    }
    for (i, p) in paths.iter().enumerate() {
        if i > 0 && *p == PathSpec::Direct {
            return Err(format!("path {i}: 'direct' is only allowed as path 0"));
        }
        if let Some(j) = paths[..i].iter().position(|q| q == p) {
            return Err(format!("path {i} ({p}) is the same as path {j}"));
        }
    }
    Ok(())
}

/// The SRHs of `paths`, in order.
pub(crate) fn srhs_of(paths: &[PathSpec]) -> Result<Vec<Vec<u8>>, String> {
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| p.srh().map_err(|e| format!("path {i}: {e}")))
        .collect()
}

/// Parses a duration into milliseconds: `700ms`, `0.7s`, `2s` or `700`.
pub(crate) fn parse_duration_ms(s: &str) -> Result<u32, String> {
    let bad = || format!("'{s}': expected a duration like 700ms, 0.7s, 2s or 700 (ms)");
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1u64)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000u64)
    } else {
        (s, 1u64)
    };
    let (int, frac) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit());
    if !digits(int) || !(frac.is_empty() || digits(frac)) || num.ends_with('.') {
        return Err(bad());
    }
    let int: u64 = int.parse().map_err(|_| bad())?;
    // The fraction, in units of 1/1000 of the scale's unit.
    let frac = frac.trim_end_matches('0');
    if frac.len() > 3 || (scale == 1 && !frac.is_empty()) {
        return Err(format!("'{s}': not a whole number of milliseconds"));
    }
    let frac_ms = if frac.is_empty() {
        0
    } else {
        // At most three digits, scaled to thousandths.
        frac.parse::<u64>().map_err(|_| bad())? * 10u64.pow(3 - frac.len() as u32)
    };
    let ms = int
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac_ms))
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| format!("'{s}': too long"))?;
    if ms == 0 {
        return Err(format!("'{s}': must be at least 1ms"));
    }
    Ok(ms)
}

/// A duration as `tpcctl` prints it: `700ms`.
pub(crate) fn fmt_ms(ms: u32) -> String {
    format!("{ms}ms")
}

/// What a failover setting selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailoverKind {
    /// A strategy.
    Strategy(StrategyKind),
    /// Remove a prefix's override.
    Inherit,
}

impl FailoverKind {
    /// Parses `nrto`, `timeout`, `off` or `inherit`.
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "nrto" => Self::Strategy(StrategyKind::Nrto),
            "timeout" => Self::Strategy(StrategyKind::Timeout),
            "off" => Self::Strategy(StrategyKind::Off),
            "inherit" => Self::Inherit,
            _ => {
                return Err(format!(
                    "unknown strategy '{s}' (expected nrto, timeout, off or inherit)"
                ))
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Strategy(k) => k.name(),
            Self::Inherit => "inherit",
        }
    }
}

/// One `set failover` request. Values of 0 are not sent as changes: the
/// module keeps the global value, or copies it into a prefix's override.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Failover {
    /// Strategy, or inherit.
    pub(crate) kind: FailoverKind,
    /// N (0: unspecified).
    pub(crate) n: u32,
    /// M (0: unspecified).
    pub(crate) m: u32,
    /// T in ms (0: unspecified).
    pub(crate) t_ms: u32,
    /// The prefix; `None` for the global setting.
    pub(crate) prefix: Option<Prefix>,
}

impl Failover {
    /// A setting with no values given.
    pub(crate) fn new(kind: FailoverKind) -> Self {
        Self {
            kind,
            n: 0,
            m: 0,
            t_ms: 0,
            prefix: None,
        }
    }

    /// Checks the combination: `inherit` needs a prefix and takes no values.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.kind == FailoverKind::Inherit {
            if self.prefix.is_none() {
                return Err(
                    "'inherit' needs a prefix (the global setting has nothing to inherit from)"
                        .into(),
                );
            }
            if self.n != 0 || self.m != 0 || self.t_ms != 0 {
                return Err("'inherit' takes no n, m or t".into());
            }
        }
        Ok(())
    }

    /// The wire request.
    pub(crate) fn request(&self) -> FailoverReq {
        let (addr, plen) = match self.prefix {
            Some(p) => (p.addr, p.len),
            None => ([0; 16], proto::SCOPE_GLOBAL),
        };
        FailoverReq {
            addr,
            plen,
            kind: match self.kind {
                FailoverKind::Strategy(k) => k as u8,
                FailoverKind::Inherit => proto::KIND_INHERIT,
            },
            n: self.n,
            m: self.m,
            t_ms: self.t_ms,
        }
    }

    /// The scope as printed in messages: `global` or the prefix.
    pub(crate) fn scope(&self) -> String {
        self.prefix
            .as_ref()
            .map_or_else(|| "global".to_string(), fmt_prefix)
    }
}

impl std::fmt::Display for Failover {
    /// The setting in command-line syntax (after `set failover`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind.name())?;
        if self.n != 0 {
            write!(f, " n {}", self.n)?;
        }
        if self.m != 0 {
            write!(f, " m {}", self.m)?;
        }
        if self.t_ms != 0 {
            write!(f, " t {}", fmt_ms(self.t_ms))?;
        }
        if let Some(p) = &self.prefix {
            write!(f, " prefix {}", fmt_prefix(p))?;
        }
        Ok(())
    }
}

/// Parses a count (N or M): a positive integer.
pub(crate) fn parse_count(what: &str, s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(0) => Err(format!("{what} must be at least 1")),
        Ok(v) if !s.starts_with('+') => Ok(v),
        _ => Err(format!("{what} '{s}': expected a positive integer")),
    }
}

/// Parses the arguments after `set failover STRATEGY`: `n N`, `m M`,
/// `t T`, `prefix PREFIX`, each at most once.
pub(crate) fn parse_failover(kind: &str, args: &[String]) -> Result<Failover, String> {
    let mut f = Failover::new(FailoverKind::parse(kind)?);
    let mut seen: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(k) = it.next() {
        let key = k.as_str();
        if !matches!(key, "n" | "m" | "t" | "prefix") {
            return Err(format!(
                "unknown parameter '{key}' (expected n, m, t or prefix)"
            ));
        }
        if seen.contains(&key) {
            return Err(format!("'{key}' given twice"));
        }
        seen.push(key);
        let v = it.next().ok_or_else(|| format!("'{key}' needs a value"))?;
        match key {
            "n" => f.n = parse_count("n", v)?,
            "m" => f.m = parse_count("m", v)?,
            "t" => f.t_ms = parse_duration_ms(v).map_err(|e| format!("t {e}"))?,
            _ => f.prefix = Some(parse_prefix(v)?),
        }
    }
    f.check()?;
    Ok(f)
}

/// Text of a prefix's strategy: `inherit`, `nrto n 3 m 2`,
/// `timeout t 700ms m 2` or `off`.
pub(crate) fn strategy_text(s: Option<paths::Strategy>) -> String {
    match s {
        None => "inherit".into(),
        Some(s) => match s.kind {
            StrategyKind::Nrto => format!("nrto n {} m {}", s.n, s.m),
            StrategyKind::Timeout => format!("timeout t {} m {}", fmt_ms(s.t_ms), s.m),
            StrategyKind::Off => "off".into(),
        },
    }
}

/// Parses Γ: a decimal in `[0, 1]` (`0.1`, `.05`, `1`, `0`) with at most
/// six decimal places; returns it in millionths.
pub(crate) fn parse_gamma(s: &str) -> Result<u32, String> {
    let bad = || format!("gamma '{s}': expected a decimal number from 0 to 1, such as 0.1");
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |d: &str| d.bytes().all(|c| c.is_ascii_digit());
    if s.is_empty() || s.ends_with('.') || !digits(int) || !digits(frac) {
        return Err(bad());
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 6 {
        return Err(format!("gamma '{s}': at most 6 decimal places"));
    }
    let int = int.trim_start_matches('0');
    let whole: u64 = if int.is_empty() {
        0
    } else if int.len() > 1 {
        return Err(format!("gamma '{s}': must be between 0 and 1"));
    } else {
        int.parse().map_err(|_| bad())?
    };
    let micro = if frac.is_empty() {
        0
    } else {
        // At most six digits, scaled to millionths.
        frac.parse::<u64>().map_err(|_| bad())? * 10u64.pow(6 - frac.len() as u32)
    };
    let ppm = whole * 1_000_000 + micro;
    if ppm > u64::from(exp3::GAMMA_ONE) {
        return Err(format!("gamma '{s}': must be between 0 and 1"));
    }
    // At most GAMMA_ONE.
    Ok(ppm as u32)
}

/// Millionths as a decimal without trailing zeros: `100000` is `0.1`,
/// `-23000000` is `-23`.
pub(crate) fn fmt_micro(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let (int, frac) = (a / 1_000_000, a % 1_000_000);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let f = format!("{frac:06}");
    format!("{sign}{int}.{}", f.trim_end_matches('0'))
}

/// The largest hook rate: the range of `net.tpc.exp3_hook_bytes`.
pub(crate) const MAX_HOOK_BYTES: u32 = 1 << 30;

/// Parses a byte count: an integer, optionally followed by `kB`, `MB`,
/// `GB` (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024); the
/// suffix's case does not matter. At most [`MAX_HOOK_BYTES`] (1GiB).
pub(crate) fn parse_bytes(s: &str) -> Result<u32, String> {
    let bad = || format!("'{s}': expected bytes such as 65536, 64KiB, 100kB or 1MiB");
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let scale: u64 = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    if num.is_empty() {
        return Err(bad());
    }
    let v = num
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|&v| v <= u64::from(MAX_HOOK_BYTES))
        .ok_or_else(|| format!("'{s}': at most 1GiB ({MAX_HOOK_BYTES} bytes)"))?;
    // At most MAX_HOOK_BYTES.
    Ok(v as u32)
}

/// Parses an EXP3 key length: 1 to 128 bits.
pub(crate) fn parse_keylen(s: &str) -> Result<u8, String> {
    match s.parse::<u8>() {
        Ok(v) if (1..=128).contains(&v) && !s.starts_with('+') => Ok(v),
        _ => Err(format!(
            "keylen '{s}': expected a prefix length from 1 to 128"
        )),
    }
}

/// Parses a preset name: `textbook` or `as-coded`.
pub(crate) fn parse_preset(s: &str) -> Result<Preset, String> {
    match s {
        "textbook" => Ok(Preset::Textbook),
        "as-coded" => Ok(Preset::AsCoded),
        _ => Err(format!(
            "unknown preset '{s}' (expected textbook or as-coded)"
        )),
    }
}

/// What `set exp3` does with EXP3 itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exp3Mode {
    /// EXP3 chooses the paths.
    On,
    /// Failover only.
    Off,
    /// A prefix follows `net.tpc.exp3`.
    Inherit,
}

impl Exp3Mode {
    /// Parses `on`, `off` or `inherit`.
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "on" => Self::On,
            "off" => Self::Off,
            "inherit" => Self::Inherit,
            _ => {
                return Err(format!(
                    "unknown EXP3 mode '{s}' (expected on, off or inherit)"
                ))
            }
        })
    }

    /// The name, as parsed.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Off => "off",
            Self::Inherit => "inherit",
        }
    }
}

/// One `set exp3` request. Values not given are sent as "inherit": a
/// global setting keeps its sysctl, a prefix follows the sysctl.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Exp3Set {
    /// On, off or inherit.
    pub(crate) mode: Exp3Mode,
    /// Reward rule.
    pub(crate) preset: Option<Preset>,
    /// Γ in millionths.
    pub(crate) gamma_ppm: Option<u32>,
    /// Hook rate in bytes.
    pub(crate) hook_bytes: Option<u32>,
    /// Key length in bits.
    pub(crate) keylen: Option<u8>,
    /// The prefix; `None` for the global setting (the sysctls).
    pub(crate) prefix: Option<Prefix>,
}

impl Exp3Set {
    /// A setting with no values given.
    pub(crate) fn new(mode: Exp3Mode) -> Self {
        Self {
            mode,
            preset: None,
            gamma_ppm: None,
            hook_bytes: None,
            keylen: None,
            prefix: None,
        }
    }

    /// Checks the combination: `inherit` needs a prefix.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.mode == Exp3Mode::Inherit && self.prefix.is_none() {
            return Err(
                "'inherit' needs a prefix (the global setting has nothing to inherit from)".into(),
            );
        }
        Ok(())
    }

    /// The overrides sent.
    pub(crate) fn overrides(&self) -> Overrides {
        Overrides {
            mode: match self.mode {
                Exp3Mode::Off => 0,
                Exp3Mode::On => 1,
                Exp3Mode::Inherit => exp3::INHERIT_U8,
            },
            preset: self.preset.map_or(exp3::INHERIT_U8, |p| p as u8),
            keylen: self.keylen.unwrap_or(0),
            gamma_ppm: self.gamma_ppm.unwrap_or(exp3::INHERIT_U32),
            hook_bytes: self.hook_bytes.unwrap_or(exp3::INHERIT_U32),
        }
    }

    /// The wire request.
    pub(crate) fn request(&self) -> Exp3Req {
        let (addr, plen) = match self.prefix {
            Some(p) => (p.addr, p.len),
            None => ([0; 16], proto::SCOPE_GLOBAL),
        };
        Exp3Req {
            addr,
            plen,
            ov: self.overrides(),
        }
    }

    /// The scope as printed in messages: `global` or the prefix.
    pub(crate) fn scope(&self) -> String {
        self.prefix
            .as_ref()
            .map_or_else(|| "global".to_string(), fmt_prefix)
    }
}

impl std::fmt::Display for Exp3Set {
    /// The setting in command-line syntax (after `set exp3`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.mode.name())?;
        if let Some(g) = self.gamma_ppm {
            write!(f, " gamma {}", fmt_micro(i64::from(g)))?;
        }
        if let Some(p) = self.preset {
            write!(f, " preset {}", p.name())?;
        }
        if let Some(h) = self.hook_bytes {
            write!(f, " hook {h}")?;
        }
        if let Some(k) = self.keylen {
            write!(f, " keylen {k}")?;
        }
        if let Some(p) = &self.prefix {
            write!(f, " prefix {}", fmt_prefix(p))?;
        }
        Ok(())
    }
}

/// Parses the arguments after `set exp3 MODE`: `gamma G`, `preset P`,
/// `hook BYTES`, `keylen L`, `prefix PREFIX`, each at most once.
pub(crate) fn parse_exp3(mode: &str, args: &[String]) -> Result<Exp3Set, String> {
    let mut x = Exp3Set::new(Exp3Mode::parse(mode)?);
    let mut seen: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(k) = it.next() {
        let key = k.as_str();
        if !matches!(key, "gamma" | "preset" | "hook" | "keylen" | "prefix") {
            return Err(format!(
                "unknown parameter '{key}' (expected gamma, preset, hook, keylen or prefix)"
            ));
        }
        if seen.contains(&key) {
            return Err(format!("'{key}' given twice"));
        }
        seen.push(key);
        let v = it.next().ok_or_else(|| format!("'{key}' needs a value"))?;
        match key {
            "gamma" => x.gamma_ppm = Some(parse_gamma(v)?),
            "preset" => x.preset = Some(parse_preset(v)?),
            "hook" => x.hook_bytes = Some(parse_bytes(v).map_err(|e| format!("hook {e}"))?),
            "keylen" => x.keylen = Some(parse_keylen(v)?),
            _ => x.prefix = Some(parse_prefix(v)?),
        }
    }
    x.check()?;
    Ok(x)
}

/// Parses a window in packets (1..=65535) for `what`.
fn parse_window(what: &str, v: &str) -> Result<u32, String> {
    v.parse::<u32>()
        .ok()
        .filter(|n| (1..=augment::MAX_WINDOW).contains(n) && !v.starts_with('+'))
        .ok_or_else(|| format!("{what} '{v}': expected packets, 1..{}", augment::MAX_WINDOW))
}

/// Parses `augment set`'s arguments after the prefix: `off`, `learned` or
/// `fixed N`, then optionally `floor N` and `ceiling N`. Checks what can be
/// checked here (a ceiling below a floor given alongside); the module
/// checks the rest against its sysctls.
pub(crate) fn parse_augment(prefix: Prefix, args: &[String]) -> Result<AugReq, String> {
    let mut it = args.iter();
    let policy = it
        .next()
        .ok_or("a policy is needed: off, fixed N or learned")?;
    let mut r = AugReq {
        prefix,
        kind: POLICY_OFF,
        fixed: 0,
        floor: 0,
        ceiling: 0,
    };
    match policy.as_str() {
        "off" => {}
        "learned" => r.kind = POLICY_LEARNED,
        "fixed" => {
            r.kind = POLICY_FIXED;
            let v = it.next().ok_or("'fixed' needs a window in packets")?;
            r.fixed = parse_window("fixed window", v)?;
        }
        p => {
            return Err(format!(
                "unknown policy '{p}' (expected off, fixed N or learned)"
            ))
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    while let Some(k) = it.next() {
        let key = k.as_str();
        if !matches!(key, "floor" | "ceiling") {
            return Err(format!(
                "unknown parameter '{key}' (expected floor or ceiling)"
            ));
        }
        if seen.contains(&key) {
            return Err(format!("'{key}' given twice"));
        }
        seen.push(key);
        let v = it.next().ok_or_else(|| format!("'{key}' needs a value"))?;
        // 0: follow the sysctl (as the wire field).
        let n = if v == "0" { 0 } else { parse_window(key, v)? };
        if key == "floor" {
            r.floor = n;
        } else {
            r.ceiling = n;
        }
    }
    if r.floor != 0 && r.ceiling != 0 && r.ceiling < r.floor {
        return Err(format!("ceiling {} is below floor {}", r.ceiling, r.floor));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn a(s: &str) -> Addr {
        s.parse::<Ipv6Addr>().unwrap().octets()
    }

    #[test]
    fn prefixes() {
        let p = parse_prefix("fd00:b::/64").unwrap();
        assert_eq!((p.addr, p.len), (a("fd00:b::"), 64));
        assert_eq!(fmt_prefix(&p), "fd00:b::/64");
        let p = parse_prefix("fd00:b::2").unwrap();
        assert_eq!(p.len, 128);
        assert_eq!(parse_prefix("::/0").unwrap().len, 0);
        let e = parse_prefix("fd00:b::1/64").unwrap_err();
        assert_eq!(e, "fd00:b::1/64: Invalid prefix for given prefix length");
        assert!(parse_prefix("fd00::/129")
            .unwrap_err()
            .contains("prefix length"));
        assert!(parse_prefix("fd00::/+64").is_err());
        assert!(parse_prefix("fd00::/").is_err());
        assert!(parse_prefix("10.0.0.0/8")
            .unwrap_err()
            .contains("not an IPv6 address"));
        assert!(parse_prefix("fd00::/64/1").is_err());
    }

    #[test]
    fn path_grammar() {
        let p = parse_path_tokens(&toks("via fc00:1::1,fc00:3::1 via fc00:2::1")).unwrap();
        assert_eq!(
            p,
            vec![
                PathSpec::Via(vec![a("fc00:1::1"), a("fc00:3::1")]),
                PathSpec::Via(vec![a("fc00:2::1")]),
            ]
        );
        check_paths(&p).unwrap();
        assert_eq!(p[0].to_string(), "via fc00:1::1,fc00:3::1");

        let p = parse_path_tokens(&toks("direct via fc00::30")).unwrap();
        assert_eq!(p[0], PathSpec::Direct);
        check_paths(&p).unwrap();

        let p = parse_path_tokens(&toks("via fc00::30 direct")).unwrap();
        assert!(check_paths(&p)
            .unwrap_err()
            .contains("only allowed as path 0"));
        let p = parse_path_tokens(&toks("via fc00::30 via fc00::30")).unwrap();
        assert!(check_paths(&p).unwrap_err().contains("same as path 0"));
        let many: Vec<String> = (1..=9)
            .flat_map(|i| ["via".to_string(), format!("fc00::{i}")])
            .collect();
        let p = parse_path_tokens(&many).unwrap();
        assert!(check_paths(&p).unwrap_err().contains("at most 8"));

        assert!(parse_path_tokens(&toks("via"))
            .unwrap_err()
            .contains("needs"));
        assert!(parse_path_tokens(&toks("via fc00::1,"))
            .unwrap_err()
            .contains("empty waypoint"));
        assert!(parse_path_tokens(&toks("via 1.2.3.4")).is_err());
        assert!(parse_path_tokens(&toks("fc00::1"))
            .unwrap_err()
            .contains("expected 'via"));
        assert!(parse_path_tokens(&[]).is_err());

        let w: Vec<String> = (1..=10).map(|i| format!("fc00::{i}")).collect();
        let e = parse_path_tokens(&["via".into(), w.join(",")]).unwrap_err();
        assert!(e.contains("10 waypoints, at most 9"), "{e}");
        let e = parse_path_tokens(&["via".into(), w[..9].join(",")]).unwrap();
        assert_eq!(e[0].srh().unwrap().len(), 8 + 16 * 10);
    }

    #[test]
    fn waypoints_round_trip_through_the_srh() {
        let p = PathSpec::Via(vec![a("fc00:1::1"), a("fc00:3::1")]);
        let b = p.srh().unwrap();
        srh::validate(&b).unwrap();
        assert_eq!(
            waypoint_list(srh::waypoints(&b)),
            "fc00:1::1,fc00:3::1".to_string()
        );
        assert_eq!(PathSpec::Direct.srh().unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn raw_paths_are_unchecked() {
        let p = parse_path_tokens(&toks("raw 0x0102 raw 0102 via fc00::1 direct")).unwrap();
        assert_eq!(p[0], PathSpec::Raw(vec![1, 2]));
        assert_eq!(p[0], p[1]);
        check_paths(&p).unwrap();
        assert_eq!(p[0].to_string(), "raw 0102");
        assert!(parse_path_tokens(&toks("raw 012"))
            .unwrap_err()
            .contains("odd"));
        assert!(parse_path_tokens(&toks("raw zz")).is_err());
        assert!(parse_path_tokens(&toks("raw")).is_err());
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(to_hex(&[0, 0xab, 4]), "00ab04");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("700ms"), Ok(700));
        assert_eq!(parse_duration_ms("0.7s"), Ok(700));
        assert_eq!(parse_duration_ms("2s"), Ok(2000));
        assert_eq!(parse_duration_ms("700"), Ok(700));
        assert_eq!(parse_duration_ms("1.25s"), Ok(1250));
        assert_eq!(parse_duration_ms("1.500s"), Ok(1500));
        assert_eq!(parse_duration_ms("120000"), Ok(120_000));
        for bad in [
            "",
            "ms",
            "s",
            "0",
            "0ms",
            "0.0s",
            "-1",
            "1.5ms",
            "0.0005s",
            "1.s",
            ".5s",
            "1e3",
            "7 ms",
            "99999999999",
            "+5",
        ] {
            assert!(parse_duration_ms(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_duration_ms("0.0005s").unwrap_err().contains("whole"));
    }

    #[test]
    fn failover_args() {
        let f = parse_failover("nrto", &toks("n 3 m 2")).unwrap();
        assert_eq!(f.kind, FailoverKind::Strategy(StrategyKind::Nrto));
        assert_eq!((f.n, f.m, f.t_ms, f.prefix), (3, 2, 0, None));
        let r = f.request();
        assert_eq!((r.plen, r.kind, r.addr), (proto::SCOPE_GLOBAL, 1, [0; 16]));
        assert_eq!(f.to_string(), "nrto n 3 m 2");

        let f = parse_failover("timeout", &toks("t 0.7s prefix fd00:b::/64")).unwrap();
        assert_eq!(f.t_ms, 700);
        let r = f.request();
        assert_eq!((r.plen, r.kind, r.addr), (64, 2, a("fd00:b::")));
        assert_eq!(f.to_string(), "timeout t 700ms prefix fd00:b::/64");

        let f = parse_failover("off", &[]).unwrap();
        assert_eq!(f.request().kind, 0);
        let f = parse_failover("inherit", &toks("prefix fd00:b::/64")).unwrap();
        assert_eq!(f.request().kind, proto::KIND_INHERIT);

        assert!(parse_failover("inherit", &[])
            .unwrap_err()
            .contains("needs a prefix"));
        assert!(parse_failover("inherit", &toks("n 3 prefix fd00::/8")).is_err());
        assert!(parse_failover("nrto", &toks("n 0"))
            .unwrap_err()
            .contains("at least 1"));
        assert!(parse_failover("nrto", &toks("n x")).is_err());
        assert!(parse_failover("nrto", &toks("n"))
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse_failover("nrto", &toks("n 1 n 2"))
            .unwrap_err()
            .contains("twice"));
        assert!(parse_failover("nrto", &toks("q 1"))
            .unwrap_err()
            .contains("unknown"));
        assert!(parse_failover("fast", &[])
            .unwrap_err()
            .contains("unknown strategy"));
        assert!(parse_failover("nrto", &toks("prefix fd00::1/8"))
            .unwrap_err()
            .contains("Invalid prefix"));
    }

    #[test]
    fn strategies_as_text() {
        use crate::paths::Strategy;
        let s = |kind| {
            Some(Strategy {
                kind,
                n: 3,
                m: 2,
                t_ms: 700,
            })
        };
        assert_eq!(strategy_text(None), "inherit");
        assert_eq!(strategy_text(s(StrategyKind::Nrto)), "nrto n 3 m 2");
        assert_eq!(
            strategy_text(s(StrategyKind::Timeout)),
            "timeout t 700ms m 2"
        );
        assert_eq!(strategy_text(s(StrategyKind::Off)), "off");
    }

    #[test]
    fn gammas() {
        for (s, want) in [
            ("0.1", 100_000),
            ("1", 1_000_000),
            ("1.0", 1_000_000),
            ("1.000000", 1_000_000),
            ("0", 0),
            ("0.0", 0),
            (".05", 50_000),
            ("0.000001", 1),
            ("0.2500000", 250_000),
            ("00.5", 500_000),
        ] {
            assert_eq!(parse_gamma(s), Ok(want), "{s}");
        }
        for bad in [
            "1.5",
            "-0.1",
            "abc",
            "",
            ".",
            "1.000001",
            "2",
            "10",
            "+0.1",
            "1e-1",
            "0.1.2",
            " 0.1",
            "0,1",
            "0.0000001",
            "1.",
            "0.",
        ] {
            let e = parse_gamma(bad).unwrap_err();
            assert!(e.starts_with(&format!("gamma '{bad}': ")), "{bad}: {e}");
        }
        assert!(parse_gamma("1.5").unwrap_err().contains("between 0 and 1"));
        assert!(parse_gamma("-0.1").unwrap_err().contains("from 0 to 1"));
        assert!(parse_gamma("0.0000001")
            .unwrap_err()
            .contains("6 decimal places"));
        for v in [0, 1, 10, 100_000, 123_456, 999_999, 1_000_000] {
            assert_eq!(parse_gamma(&fmt_micro(v)), Ok(v as u32), "{v}");
        }
    }

    #[test]
    fn micro_decimals() {
        assert_eq!(fmt_micro(100_000), "0.1");
        assert_eq!(fmt_micro(1_000_000), "1");
        assert_eq!(fmt_micro(0), "0");
        assert_eq!(fmt_micro(1), "0.000001");
        assert_eq!(fmt_micro(-23_000_000), "-23");
        assert_eq!(fmt_micro(-1_500_000), "-1.5");
        assert_eq!(fmt_micro(123_456_789), "123.456789");
        assert_eq!(fmt_micro(i64::MIN), "-9223372036854.775808");
    }

    #[test]
    fn byte_counts() {
        for (s, want) in [
            ("0", 0),
            ("65536", 65536),
            ("64KiB", 65536),
            ("64kib", 65536),
            ("100kB", 100_000),
            ("100KB", 100_000),
            ("1MB", 1_000_000),
            ("1MiB", 1 << 20),
            ("1GiB", 1 << 30),
            ("1GB", 1_000_000_000),
            ("512B", 512),
        ] {
            assert_eq!(parse_bytes(s), Ok(want), "{s}");
        }
        for bad in [
            "",
            "k",
            "KiB",
            "64k",
            "64K",
            "1.5MiB",
            "-1",
            "+1",
            "64 KiB",
            "2GiB",
            "1073741825",
            "99999999999999999999",
            "1TB",
            "0x10",
        ] {
            assert!(parse_bytes(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_bytes("2GiB").unwrap_err().contains("at most 1GiB"));
        assert!(parse_bytes("64k").unwrap_err().contains("64KiB"));
    }

    #[test]
    fn exp3_args() {
        let x = parse_exp3("on", &[]).unwrap();
        assert_eq!(x, Exp3Set::new(Exp3Mode::On));
        let r = x.request();
        assert_eq!((r.plen, r.addr), (proto::SCOPE_GLOBAL, [0; 16]));
        assert_eq!(
            r.ov,
            Overrides {
                mode: 1,
                ..Overrides::NONE
            }
        );
        assert_eq!(x.to_string(), "on");
        assert_eq!(x.scope(), "global");

        let x = parse_exp3(
            "off",
            &toks("gamma .05 preset as-coded hook 64KiB keylen 48 prefix fd00:b::/48"),
        )
        .unwrap();
        let r = x.request();
        assert_eq!((r.plen, r.addr), (48, a("fd00:b::")));
        assert_eq!(
            r.ov,
            Overrides {
                mode: 0,
                preset: 1,
                keylen: 48,
                gamma_ppm: 50_000,
                hook_bytes: 65536,
            }
        );
        r.ov.validate().unwrap();
        assert_eq!(
            x.to_string(),
            "off gamma 0.05 preset as-coded hook 65536 keylen 48 prefix fd00:b::/48"
        );
        // What Display prints parses back to the same setting.
        let words: Vec<String> = toks(&x.to_string());
        assert_eq!(parse_exp3(&words[0], &words[1..]).unwrap(), x);
        assert_eq!(x.scope(), "fd00:b::/48");

        let x = parse_exp3("inherit", &toks("prefix fd00:b::/64 gamma 0")).unwrap();
        let ov = x.request().ov;
        assert_eq!((ov.mode, ov.gamma_ppm), (exp3::INHERIT_U8, 0));
        assert_eq!(
            parse_exp3("inherit", &toks("prefix fd00:b::/64"))
                .unwrap()
                .request()
                .ov,
            Overrides::NONE
        );
        assert_eq!(
            parse_exp3("on", &toks("hook 0")).unwrap().hook_bytes,
            Some(0)
        );

        for (mode, args, want) in [
            ("inherit", "", "needs a prefix"),
            ("inherit", "gamma 0.1", "needs a prefix"),
            ("maybe", "", "unknown EXP3 mode 'maybe'"),
            ("on", "gamma 1.5", "gamma '1.5': must be between 0 and 1"),
            ("on", "gamma -0.1", "gamma '-0.1': expected a decimal"),
            ("on", "gamma abc", "gamma 'abc'"),
            ("on", "gamma", "'gamma' needs a value"),
            ("on", "gamma 0.1 gamma 0.2", "twice"),
            ("on", "preset fast", "unknown preset 'fast'"),
            ("on", "keylen 0", "keylen '0'"),
            ("on", "keylen 129", "1 to 128"),
            ("on", "hook 2GiB", "hook '2GiB': at most 1GiB"),
            ("on", "hook lots", "hook 'lots'"),
            ("on", "n 3", "unknown parameter 'n'"),
            ("on", "prefix fd00::1/8", "Invalid prefix"),
        ] {
            let e = parse_exp3(mode, &toks(args)).unwrap_err();
            assert!(e.contains(want), "{mode} {args}: {e}");
        }
    }

    #[test]
    fn presets() {
        assert_eq!(parse_preset("textbook"), Ok(Preset::Textbook));
        assert_eq!(parse_preset("as-coded"), Ok(Preset::AsCoded));
        assert!(parse_preset("ascoded").is_err());
        for p in [Preset::Textbook, Preset::AsCoded] {
            assert_eq!(parse_preset(p.name()), Ok(p));
        }
        assert_eq!(parse_keylen("64"), Ok(64));
        assert_eq!(parse_keylen("128"), Ok(128));
        assert!(parse_keylen("+64").is_err());
    }

    #[test]
    fn augment_arguments() {
        let p = parse_prefix("fd00:9::2").unwrap();
        let r = parse_augment(p, &toks("learned floor 12 ceiling 300")).unwrap();
        assert_eq!(
            (r.kind, r.fixed, r.floor, r.ceiling),
            (POLICY_LEARNED, 0, 12, 300)
        );
        let r = parse_augment(p, &toks("fixed 40")).unwrap();
        assert_eq!((r.kind, r.fixed), (POLICY_FIXED, 40));
        assert_eq!(parse_augment(p, &toks("off")).unwrap().kind, POLICY_OFF);
        for (args, err) in [
            ("", "a policy is needed"),
            ("fixed", "needs a window"),
            ("fixed 0", "expected packets"),
            ("fixed 65536", "expected packets"),
            ("fixed +4", "expected packets"),
            ("more", "unknown policy"),
            ("learned floor", "needs a value"),
            ("learned floor 1 floor 2", "given twice"),
            ("learned depth 3", "unknown parameter"),
            (
                "learned floor 20 ceiling 10",
                "ceiling 10 is below floor 20",
            ),
        ] {
            let e = parse_augment(p, &toks(args)).unwrap_err();
            assert!(e.contains(err), "{args}: {e}");
        }
    }
}
