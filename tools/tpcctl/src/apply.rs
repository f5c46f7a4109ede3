// SPDX-License-Identifier: GPL-2.0

//! `tpcctl apply FILE`: a TOML description of the path table.
//!
//! ```toml
//! [failover]                 # optional, global
//! strategy = "nrto"          # nrto | timeout | off
//! n = 3
//! m = 2
//! t = "700ms"
//!
//! [exp3]                     # optional, global (the sysctls)
//! mode = "on"                # on | off
//! gamma = 0.1                # optional, as are preset, hook and keylen
//! preset = "textbook"        # textbook | as-coded
//! hook = "1MiB"              # bytes, or "64KiB", "100kB", ...
//! keylen = 64
//!
//! [[prefix]]
//! prefix = "fd00:b::/64"
//! paths = ["direct", "fc00::30", "fc00::31,fc00::41"]
//! failover = { strategy = "timeout", t = "700ms", m = 2 }   # or "inherit"
//! exp3 = { mode = "on", gamma = 0.2 }   # or "on", "off", "inherit"
//! augment = "learned ceiling 300"        # as `tpcctl augment set`: off, fixed N, learned [floor N] [ceiling N]
//! ```
//!
//! The whole file is checked before anything is sent.

use crate::dev::Device;
use crate::exp3::Preset;
use crate::output::emit;
use crate::parse::{
    check_paths, fmt_prefix, parse_augment, parse_bytes, parse_duration_ms, parse_gamma,
    parse_keylen, parse_path_word, parse_prefix, parse_preset, Exp3Mode, Exp3Set, Failover,
    FailoverKind, PathSpec, MAX_HOOK_BYTES,
};
use crate::paths::Prefix;
use crate::proto::AugReq;
use crate::{Failure, EXIT_ERROR};
use serde::de::{self, value::MapAccessDeserializer, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use toml::Spanned;

/// A strategy name (`inherit` included; refused later where it is wrong).
struct Kind(FailoverKind);

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        FailoverKind::parse(&s).map(Kind).map_err(de::Error::custom)
    }
}

/// N or M: a positive integer.
struct Count(u32);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match u32::deserialize(d)? {
            0 => Err(de::Error::custom("must be at least 1")),
            v => Ok(Count(v)),
        }
    }
}

/// T: `"700ms"`, `"0.7s"`, `"2s"`, or an integer number of milliseconds.
struct Millis(u32);

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Millis;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"700ms\", \"0.7s\" or 700 (ms)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Millis, E> {
                parse_duration_ms(s).map(Millis).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Millis, E> {
                match u32::try_from(v) {
                    Ok(v) if v > 0 => Ok(Millis(v)),
                    _ => Err(E::custom(format!("{v}: must be 1 to {} ms", u32::MAX))),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Millis, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
        }
        d.deserialize_any(V)
    }
}

/// A failover table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailoverCfg {
    strategy: Kind,
    n: Option<Count>,
    m: Option<Count>,
    t: Option<Millis>,
}

impl FailoverCfg {
    fn to_failover(&self, prefix: Option<Prefix>) -> Failover {
        let mut f = Failover::new(self.strategy.0);
        f.n = self.n.as_ref().map_or(0, |c| c.0);
        f.m = self.m.as_ref().map_or(0, |c| c.0);
        f.t_ms = self.t.as_ref().map_or(0, |t| t.0);
        f.prefix = prefix;
        f
    }
}

/// A prefix's failover: a table, or just a strategy name (`"inherit"`).
struct PrefixFailover(FailoverCfg);

impl<'de> Deserialize<'de> for PrefixFailover {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PrefixFailover;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a strategy name or a table { strategy, n, m, t }")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<PrefixFailover, E> {
                let kind = FailoverKind::parse(s).map_err(E::custom)?;
                Ok(PrefixFailover(FailoverCfg {
                    strategy: Kind(kind),
                    n: None,
                    m: None,
                    t: None,
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PrefixFailover, A::Error> {
                FailoverCfg::deserialize(MapAccessDeserializer::new(map)).map(PrefixFailover)
            }
        }
        d.deserialize_any(V)
    }
}

/// An EXP3 mode name (`inherit` included; refused later where it is
/// wrong).
struct Mode(Exp3Mode);

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Exp3Mode::parse(&s).map(Mode).map_err(de::Error::custom)
    }
}

/// Γ: a number from 0 to 1 (`0.1`, `1`) or a string (`"0.1"`).
struct Gamma(u32);

impl<'de> Deserialize<'de> for Gamma {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Gamma;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number from 0 to 1, such as 0.1")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Gamma, E> {
                parse_gamma(s).map(Gamma).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Gamma, E> {
                // Display writes the shortest decimal that reads back as v,
                // never an exponent.
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Gamma, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Gamma, E> {
                self.visit_str(&v.to_string())
            }
        }
        d.deserialize_any(V)
    }
}

/// A hook rate: an integer number of bytes or a string with a suffix
/// (`"64KiB"`).
struct Bytes(u32);

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes, such as 65536 or \"64KiB\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Bytes, E> {
                parse_bytes(s).map(Bytes).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bytes, E> {
                match u32::try_from(v) {
                    Ok(v) if v <= MAX_HOOK_BYTES => Ok(Bytes(v)),
                    _ => Err(E::custom(format!(
                        "{v}: must be 0 to {MAX_HOOK_BYTES} (1GiB) bytes"
                    ))),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bytes, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
        }
        d.deserialize_any(V)
    }
}

/// A key length: 1 to 128.
struct KeyLen(u8);

impl<'de> Deserialize<'de> for KeyLen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = i64::deserialize(d)?;
        parse_keylen(&v.to_string())
            .map(KeyLen)
            .map_err(de::Error::custom)
    }
}

/// A preset name.
struct PresetName(Preset);

impl<'de> Deserialize<'de> for PresetName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_preset(&s).map(PresetName).map_err(de::Error::custom)
    }
}

/// An EXP3 table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Exp3Cfg {
    mode: Mode,
    gamma: Option<Gamma>,
    preset: Option<PresetName>,
    hook: Option<Bytes>,
    keylen: Option<KeyLen>,
}

impl Exp3Cfg {
    fn to_set(&self, prefix: Option<Prefix>) -> Exp3Set {
        let mut x = Exp3Set::new(self.mode.0);
        x.gamma_ppm = self.gamma.as_ref().map(|g| g.0);
        x.preset = self.preset.as_ref().map(|p| p.0);
        x.hook_bytes = self.hook.as_ref().map(|h| h.0);
        x.keylen = self.keylen.as_ref().map(|k| k.0);
        x.prefix = prefix;
        x
    }
}

/// A prefix's EXP3 setting: a table, or just a mode name.
struct PrefixExp3(Exp3Cfg);

impl<'de> Deserialize<'de> for PrefixExp3 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PrefixExp3;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a mode (on, off, inherit) or a table { mode, gamma, preset, hook, keylen }",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<PrefixExp3, E> {
                let mode = Exp3Mode::parse(s).map_err(E::custom)?;
                Ok(PrefixExp3(Exp3Cfg {
                    mode: Mode(mode),
                    gamma: None,
                    preset: None,
                    hook: None,
                    keylen: None,
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PrefixExp3, A::Error> {
                Exp3Cfg::deserialize(MapAccessDeserializer::new(map)).map(PrefixExp3)
            }
        }
        d.deserialize_any(V)
    }
}

/// One `[[prefix]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrefixCfg {
    prefix: Spanned<String>,
    paths: Spanned<Vec<Spanned<String>>>,
    failover: Option<Spanned<PrefixFailover>>,
    exp3: Option<Spanned<PrefixExp3>>,
    augment: Option<Spanned<String>>,
}

/// The file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    failover: Option<Spanned<FailoverCfg>>,
    exp3: Option<Spanned<Exp3Cfg>>,
    #[serde(default)]
    prefix: Vec<PrefixCfg>,
}

/// What one `[[prefix]]` asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PrefixPlan {
    pub(crate) prefix: Prefix,
    pub(crate) paths: Vec<PathSpec>,
    pub(crate) failover: Option<Failover>,
    pub(crate) exp3: Option<Exp3Set>,
    /// The Augmenter policy, with its words as written.
    pub(crate) augment: Option<(AugReq, String)>,
}

/// A checked file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) global: Option<Failover>,
    pub(crate) exp3: Option<Exp3Set>,
    pub(crate) prefixes: Vec<PrefixPlan>,
}

/// `LINE:COL` (1-based) of byte offset `at` in `src`.
fn line_col(src: &str, at: usize) -> String {
    let before = &src[..at.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{line}:{col}")
}

/// Parses and checks a configuration; errors are `NAME:LINE:COL: message`.
pub(crate) fn parse_config(src: &str, name: &str) -> Result<Plan, String> {
    let at = |span: std::ops::Range<usize>, msg: String| -> String {
        format!("{name}:{}: {msg}", line_col(src, span.start))
    };
    let cfg: Config = toml::from_str(src).map_err(|e| {
        let msg = e.message().trim_end().replace('\n', "; ");
        match e.span() {
            Some(s) => at(s, msg),
            None => format!("{name}: {msg}"),
        }
    })?;
    let global = match &cfg.failover {
        None => None,
        Some(f) => {
            let g = f.get_ref().to_failover(None);
            if g.kind == FailoverKind::Inherit {
                return Err(at(
                    f.span(),
                    "failover: 'inherit' is only for a prefix's failover".into(),
                ));
            }
            Some(g)
        }
    };
    let exp3 = match &cfg.exp3 {
        None => None,
        Some(x) => {
            let g = x.get_ref().to_set(None);
            if g.mode == Exp3Mode::Inherit {
                return Err(at(
                    x.span(),
                    "exp3: 'inherit' is only for a prefix's exp3".into(),
                ));
            }
            Some(g)
        }
    };
    let mut prefixes: Vec<PrefixPlan> = Vec::new();
    for p in &cfg.prefix {
        let prefix =
            parse_prefix(p.prefix.get_ref()).map_err(|e| at(p.prefix.span(), e.to_string()))?;
        let ps = fmt_prefix(&prefix);
        if prefixes.iter().any(|q| q.prefix == prefix) {
            return Err(at(p.prefix.span(), format!("prefix {ps} appears twice")));
        }
        let mut paths = Vec::new();
        for (i, w) in p.paths.get_ref().iter().enumerate() {
            paths.push(
                parse_path_word(w.get_ref())
                    .map_err(|e| at(w.span(), format!("prefix {ps}: path {i}: {e}")))?,
            );
        }
        check_paths(&paths).map_err(|e| at(p.paths.span(), format!("prefix {ps}: {e}")))?;
        let failover = match &p.failover {
            None => None,
            Some(f) => {
                let fo = f.get_ref().0.to_failover(Some(prefix));
                fo.check()
                    .map_err(|e| at(f.span(), format!("prefix {ps}: failover: {e}")))?;
                Some(fo)
            }
        };
        let exp3 = match &p.exp3 {
            None => None,
            Some(x) => {
                let set = x.get_ref().0.to_set(Some(prefix));
                set.check()
                    .map_err(|e| at(x.span(), format!("prefix {ps}: exp3: {e}")))?;
                Some(set)
            }
        };
        let augment = match &p.augment {
            None => None,
            Some(a) => {
                let words: Vec<String> = a.get_ref().split_whitespace().map(String::from).collect();
                let r = parse_augment(prefix, &words)
                    .map_err(|e| at(a.span(), format!("prefix {ps}: augment: {e}")))?;
                Some((r, words.join(" ")))
            }
        };
        prefixes.push(PrefixPlan {
            prefix,
            paths,
            failover,
            exp3,
            augment,
        });
    }
    Ok(Plan {
        global,
        exp3,
        prefixes,
    })
}

/// One request of an apply run.
#[derive(Debug, PartialEq, Eq)]
enum Action<'a> {
    Failover(&'a Failover),
    Exp3(&'a Exp3Set),
    Augment(&'a AugReq, &'a str),
    Replace(&'a PrefixPlan),
    Delete(Prefix),
}

impl fmt::Display for Action<'_> {
    /// The equivalent `tpcctl` command.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failover(fo) => write!(f, "set failover {fo}"),
            Self::Exp3(x) => write!(f, "set exp3 {x}"),
            Self::Augment(r, words) => {
                write!(f, "augment set {} {words}", fmt_prefix(&r.prefix))
            }
            Self::Replace(p) => {
                write!(f, "path replace {}", fmt_prefix(&p.prefix))?;
                for s in &p.paths {
                    write!(f, " {s}")?;
                }
                Ok(())
            }
            Self::Delete(p) => write!(f, "path del {}", fmt_prefix(p)),
        }
    }
}

/// The requests for `plan`, in order: the global failover and EXP3
/// settings, deletions of `stale` prefixes (made first so that the table
/// has room), then each prefix's paths, failover and EXP3 overrides and
/// Augmenter policy.
fn actions<'a>(plan: &'a Plan, stale: &[Prefix]) -> Vec<Action<'a>> {
    let mut out = Vec::new();
    out.extend(plan.global.as_ref().map(Action::Failover));
    out.extend(plan.exp3.as_ref().map(Action::Exp3));
    out.extend(stale.iter().map(|p| Action::Delete(*p)));
    for p in &plan.prefixes {
        out.push(Action::Replace(p));
        out.extend(p.failover.as_ref().map(Action::Failover));
        out.extend(p.exp3.as_ref().map(Action::Exp3));
        out.extend(p.augment.as_ref().map(|(r, w)| Action::Augment(r, w)));
    }
    out
}

/// Runs `tpcctl apply`.
pub(crate) fn run(device: &str, file: &str, prune: bool, dry_run: bool) -> Result<(), Failure> {
    let ctx = format!("apply {file}");
    let src = std::fs::read_to_string(file).map_err(|e| {
        Failure::new(
            EXIT_ERROR,
            format!("{ctx}: {}", crate::dev::describe_os_error(&e)),
        )
    })?;
    let plan = parse_config(&src, file).map_err(|e| Failure::new(EXIT_ERROR, e))?;
    let mut dev = if prune || !dry_run {
        Some(Device::open(device)?)
    } else {
        None
    };
    let stale: Vec<Prefix> = match (&mut dev, prune) {
        (Some(d), true) => d
            .entries()?
            .into_iter()
            .map(|e| e.prefix)
            .filter(|p| !plan.prefixes.iter().any(|q| q.prefix == *p))
            .collect(),
        _ => Vec::new(),
    };
    let acts = actions(&plan, &stale);
    let (n, k) = (plan.prefixes.len(), stale.len());
    let Some(dev) = dev.as_mut().filter(|_| !dry_run) else {
        for a in &acts {
            emit(&a.to_string());
        }
        emit(&format!("would apply {n} prefixes, prune {k} (dry run)"));
        return Ok(());
    };
    for a in &acts {
        let what = format!("{ctx}: {a}");
        match a {
            Action::Failover(f) => dev.set_failover(f, &what)?,
            Action::Exp3(x) => dev.set_exp3(x, &what)?,
            Action::Augment(r, _) => dev.set_augment(r, &what)?,
            Action::Replace(p) => dev.path_set(&p.prefix, &p.paths, false, &what, None)?,
            Action::Delete(p) => dev.path_del(p, &what)?,
        }
    }
    emit(&format!("applied {n} prefixes, pruned {k}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::StrategyKind;

    const EXAMPLE: &str = r#"
# optional global failover
[failover]
strategy = "nrto"      # nrto | timeout | off
n = 3
m = 2
t = "700ms"

[exp3]
mode = "on"
gamma = 0.1
hook = "64KiB"

[[prefix]]
prefix = "fd00:b::/64"
paths = ["direct", "fc00::30", "fc00::31,fc00::41"]
failover = { strategy = "timeout", t = "700ms", m = 2 }
exp3 = { mode = "off", gamma = ".2", preset = "as-coded", hook = 0, keylen = 96 }

[[prefix]]
prefix = "fd00:c::/48"
paths = ["fc00::30"]
failover = "inherit"
exp3 = "inherit"
augment = "learned  ceiling 300"

[[prefix]]
prefix = "fd00:d::1"
paths = ["fc00::30"]
"#;

    #[test]
    fn example_parses() {
        let p = parse_config(EXAMPLE, "x.toml").unwrap();
        let g = p.global.unwrap();
        assert_eq!(g.kind, FailoverKind::Strategy(StrategyKind::Nrto));
        assert_eq!((g.n, g.m, g.t_ms, g.prefix), (3, 2, 700, None));
        assert_eq!(p.prefixes.len(), 3);
        let a = &p.prefixes[0];
        assert_eq!(fmt_prefix(&a.prefix), "fd00:b::/64");
        assert_eq!(a.paths.len(), 3);
        assert_eq!(a.paths[0], PathSpec::Direct);
        assert_eq!(a.paths[2].to_string(), "via fc00::31,fc00::41");
        let f = a.failover.unwrap();
        assert_eq!(f.kind, FailoverKind::Strategy(StrategyKind::Timeout));
        assert_eq!((f.n, f.m, f.t_ms), (0, 2, 700));
        assert_eq!(f.prefix, Some(a.prefix));
        assert_eq!(p.prefixes[1].failover.unwrap().kind, FailoverKind::Inherit);
        assert_eq!(p.prefixes[2].prefix.len, 128);
        assert_eq!(p.prefixes[2].failover, None);
        assert_eq!(p.prefixes[2].exp3, None);
        let x = p.exp3.unwrap();
        assert_eq!(x.mode, Exp3Mode::On);
        assert_eq!(
            (x.gamma_ppm, x.hook_bytes, x.prefix),
            (Some(100_000), Some(65536), None)
        );
        assert_eq!((x.preset, x.keylen), (None, None));
        let x = a.exp3.unwrap();
        assert_eq!(x.mode, Exp3Mode::Off);
        assert_eq!(x.gamma_ppm, Some(200_000));
        assert_eq!(x.preset, Some(Preset::AsCoded));
        assert_eq!(
            (x.hook_bytes, x.keylen, x.prefix),
            (Some(0), Some(96), Some(a.prefix))
        );
        let x = p.prefixes[1].exp3.unwrap();
        assert_eq!(x.request().ov, crate::exp3::Overrides::NONE);
        let (r, _) = p.prefixes[1].augment.as_ref().unwrap();
        assert_eq!(
            (r.kind, r.ceiling, r.prefix),
            (2, 300, p.prefixes[1].prefix)
        );
        assert_eq!(a.augment, None);
        let e = parse_config(
            "[[prefix]]\nprefix = \"fd00::/64\"\npaths = [\"direct\"]\naugment = \"fixed\"\n",
            "y.toml",
        )
        .unwrap_err();
        assert_eq!(
            e,
            "y.toml:4:11: prefix fd00::/64: augment: 'fixed' needs a window in packets"
        );

        let stale = [parse_prefix("fd00:e::/64").unwrap()];
        let lines: Vec<String> = actions(&p, &stale).iter().map(|a| a.to_string()).collect();
        assert_eq!(
            lines,
            vec![
                "set failover nrto n 3 m 2 t 700ms",
                "set exp3 on gamma 0.1 hook 65536",
                "path del fd00:e::/64",
                "path replace fd00:b::/64 direct via fc00::30 via fc00::31,fc00::41",
                "set failover timeout m 2 t 700ms prefix fd00:b::/64",
                "set exp3 off gamma 0.2 preset as-coded hook 0 keylen 96 prefix fd00:b::/64",
                "path replace fd00:c::/48 via fc00::30",
                "set failover inherit prefix fd00:c::/48",
                "set exp3 inherit prefix fd00:c::/48",
                "augment set fd00:c::/48 learned ceiling 300",
                "path replace fd00:d::1/128 via fc00::30",
            ]
        );
    }

    #[test]
    fn minimal_files() {
        assert_eq!(
            parse_config("", "x").unwrap(),
            Plan {
                global: None,
                exp3: None,
                prefixes: vec![]
            }
        );
        let p = parse_config("[failover]\nstrategy = \"off\"\n", "x").unwrap();
        assert_eq!(
            p.global.unwrap().kind,
            FailoverKind::Strategy(StrategyKind::Off)
        );
        let p = parse_config("[failover]\nstrategy = \"timeout\"\nt = 1500\n", "x").unwrap();
        assert_eq!(p.global.unwrap().t_ms, 1500);
        let p = parse_config("[exp3]\nmode = \"off\"\n", "x").unwrap();
        assert_eq!(p.exp3, Some(Exp3Set::new(Exp3Mode::Off)));
        for (g, want) in [
            ("1", 1_000_000),
            ("0", 0),
            ("1.0", 1_000_000),
            ("0.25", 250_000),
            ("\"0.05\"", 50_000),
        ] {
            let p = parse_config(&format!("[exp3]\nmode = \"on\"\ngamma = {g}\n"), "x").unwrap();
            assert_eq!(p.exp3.unwrap().gamma_ppm, Some(want), "{g}");
        }
        let p = parse_config(
            "[exp3]\nmode = \"on\"\nhook = 1073741824\nkeylen = 128\n",
            "x",
        )
        .unwrap();
        let x = p.exp3.unwrap();
        assert_eq!((x.hook_bytes, x.keylen), (Some(1 << 30), Some(128)));
        let p = parse_config(
            "[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = [\"direct\"]\nexp3 = \"on\"\n",
            "x",
        )
        .unwrap();
        assert_eq!(p.prefixes[0].exp3.unwrap().mode, Exp3Mode::On);
    }

    #[test]
    fn invalid_exp3() {
        let e = err("[exp3]\nmode = \"inherit\"\n");
        assert!(e.contains("only for a prefix"), "{e}");
        assert!(e.starts_with("x.toml:1:"), "{e}");
        let e = err("[exp3]\ngamma = 0.1\n");
        assert!(e.contains("mode"), "{e}");
        let e = err("[exp3]\nmode = \"maybe\"\n");
        assert!(e.contains("unknown EXP3 mode 'maybe'"), "{e}");
        assert!(e.starts_with("x.toml:2:"), "{e}");
        let e = err("[exp3]\nmode = \"on\"\ngamma = 1.5\n");
        assert!(e.contains("gamma '1.5': must be between 0 and 1"), "{e}");
        assert!(e.starts_with("x.toml:3:"), "{e}");
        let e = err("[exp3]\nmode = \"on\"\ngamma = -0.1\n");
        assert!(e.contains("gamma '-0.1'"), "{e}");
        let e = err("[exp3]\nmode = \"on\"\ngamma = \"abc\"\n");
        assert!(e.contains("gamma 'abc'"), "{e}");
        let e = err("[exp3]\nmode = \"on\"\ngamma = 2\n");
        assert!(e.contains("between 0 and 1"), "{e}");
        let e = err("[exp3]\nmode = \"on\"\nhook = \"64k\"\n");
        assert!(e.contains("64KiB"), "{e}");
        let e = err("[exp3]\nmode = \"on\"\nhook = -1\n");
        assert!(e.contains("must be 0 to"), "{e}");
        let e = err("[exp3]\nmode = \"on\"\nhook = 1073741825\n");
        assert!(e.contains("must be 0 to"), "{e}");
        let e = err("[exp3]\nmode = \"on\"\nkeylen = 0\n");
        assert!(e.contains("1 to 128"), "{e}");
        let e = err("[exp3]\nmode = \"on\"\nkeylen = 300\n");
        assert!(e.contains("1 to 128"), "{e}");
        let e = err("[exp3]\nmode = \"on\"\npreset = \"fast\"\n");
        assert!(e.contains("unknown preset 'fast'"), "{e}");
        let e = err("[exp3]\nmode = \"on\"\nGamma = 0.1\n");
        assert!(e.contains("unknown field `Gamma`"), "{e}");
        let e = err(
            "[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = [\"direct\"]\nexp3 = \"sometimes\"\n",
        );
        assert!(e.contains("unknown EXP3 mode"), "{e}");
        assert!(e.starts_with("x.toml:4:"), "{e}");
        let e = err(
            "[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = [\"direct\"]\nexp3 = { gamma = 0.1 }\n",
        );
        assert!(e.contains("mode"), "{e}");
        let e = err("[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = [\"direct\"]\nexp3 = 3\n");
        assert!(e.contains("a mode (on, off, inherit) or a table"), "{e}");
    }

    fn err(src: &str) -> String {
        parse_config(src, "x.toml").unwrap_err()
    }

    #[test]
    fn invalid_files() {
        let e = err("[[prefix]]\nprefix = \"fd00:b::1/64\"\npaths = [\"direct\"]\n");
        assert_eq!(
            e,
            "x.toml:2:10: fd00:b::1/64: Invalid prefix for given prefix length"
        );
        let e = err("[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = [\"direct\", \"fc00::1,\"]\n");
        assert!(
            e.starts_with("x.toml:3:20: prefix fd00:b::/64: path 1:"),
            "{e}"
        );
        assert!(e.contains("empty waypoint"), "{e}");
        let e = err("[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = [\"fc00::1\", \"direct\"]\n");
        assert!(e.contains("only allowed as path 0"), "{e}");
        let e = err("[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = []\n");
        assert!(e.contains("no paths"), "{e}");
        let e = err("[[prefix]]\nprefix = \"fd00:b::/64\"\n");
        assert!(e.contains("paths"), "{e}");
        let e = err("[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = [\"direct\"]\nextra = 1\n");
        assert!(e.contains("unknown field `extra`"), "{e}");
        assert!(e.starts_with("x.toml:4:"), "{e}");
        let e = err("[failover]\nstrategy = \"fast\"\n");
        assert!(e.contains("unknown strategy 'fast'"), "{e}");
        assert!(e.starts_with("x.toml:2:"), "{e}");
        let e = err("[failover]\nstrategy = \"nrto\"\nn = 0\n");
        assert!(e.contains("at least 1"), "{e}");
        let e = err("[failover]\nstrategy = \"nrto\"\nt = \"1.5ms\"\n");
        assert!(e.contains("whole number"), "{e}");
        let e = err("[failover]\nstrategy = \"inherit\"\n");
        assert!(e.contains("only for a prefix"), "{e}");
        let e = err("[failover]\nn = 3\n");
        assert!(e.contains("strategy"), "{e}");
        let e = err("[failover]\nstrategy = \"nrto\"\nN = 3\n");
        assert!(e.contains("unknown field `N`"), "{e}");
        let e = err(
            "[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = [\"direct\"]\nfailover = { strategy = \"inherit\", n = 2 }\n",
        );
        assert!(e.contains("takes no n, m or t"), "{e}");
        let e = err(
            "[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = [\"direct\"]\nfailover = { strategy = \"nrto\", x = 2 }\n",
        );
        assert!(e.contains("unknown field `x`"), "{e}");
        let e = err(
            "[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = [\"direct\"]\n[[prefix]]\nprefix = \"fd00:b::/64\"\npaths = [\"direct\"]\n",
        );
        assert!(e.contains("appears twice"), "{e}");
        let e = err("prefix = 3\n");
        assert!(e.starts_with("x.toml:1:"), "{e}");
        let e = err("[[prefix]\n");
        assert!(e.starts_with("x.toml:1:"), "{e}");
        assert_eq!(e.lines().count(), 1);
    }
}
