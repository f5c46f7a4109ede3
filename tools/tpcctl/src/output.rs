// SPDX-License-Identifier: GPL-2.0

//! Text and JSON output: path table entries, counters, events, EXP3
//! states and updates.

use crate::augment;
use crate::dev::{EntryInfo, Exp3Info, Notice};
use crate::events::{Delivery, UpdateEvent};
use crate::parse::{fmt_micro, fmt_prefix, strategy_text, to_hex, waypoint_list};
use crate::paths::{Reason, REASONS};
use crate::proto::{self, AugStateView};
use crate::srh;
use serde_json::{json, Map, Value};
use std::io::{self, Write};
use std::net::Ipv6Addr;

/// Prints one line on stdout and flushes it (output is often piped into
/// files that tests read while `tpcctl` runs). A closed pipe ends the
/// program quietly with status 0.
pub(crate) fn emit(line: &str) {
    let mut out = io::stdout().lock();
    let r = writeln!(out, "{line}").and_then(|()| out.flush());
    if let Err(e) = r {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("tpcctl: stdout: {e}");
        std::process::exit(i32::from(crate::EXIT_ERROR));
    }
}

/// Reasons with their values, in order.
fn reasons() -> impl Iterator<Item = (usize, Reason)> {
    (1..REASONS).filter_map(|i| {
        u8::try_from(i)
            .ok()
            .and_then(Reason::from_raw)
            .map(|r| (i, r))
    })
}

/// `moves init 1 rto 1 ... apply_failed 0`.
pub(crate) fn moves_text(e: &EntryInfo) -> String {
    let mut s = String::from("moves");
    for (i, r) in reasons() {
        s.push_str(&format!(" {} {}", r.name(), e.moves[i]));
    }
    s.push_str(&format!(" apply_failed {}", e.apply_failed));
    s
}

fn moves_json(e: &EntryInfo) -> Value {
    let m: Map<String, Value> = reasons()
        .map(|(i, r)| (r.name().to_string(), json!(e.moves[i])))
        .collect();
    Value::Object(m)
}

/// `direct` or `via a,b`.
pub(crate) fn path_text(srh_bytes: &[u8]) -> String {
    if srh_bytes.is_empty() {
        "direct".into()
    } else {
        format!("via {}", waypoint_list(srh::waypoints(srh_bytes)))
    }
}

/// `path show` as text: one block per prefix.
pub(crate) fn entries_text(entries: &[EntryInfo]) -> Vec<String> {
    let width = entries
        .iter()
        .flat_map(|e| e.paths.iter().map(|p| path_text(&p.srh).len()))
        .max()
        .unwrap_or(0)
        .max(17);
    let mut out = Vec::new();
    for e in entries {
        out.push(format!(
            "{} strategy {} generation {}",
            fmt_prefix(&e.prefix),
            strategy_text(e.strategy),
            e.generation
        ));
        for (i, p) in e.paths.iter().enumerate() {
            out.push(format!(
                "  path {i} {:<width$} starts {} in {} out {}",
                path_text(&p.srh),
                p.stats.starts,
                p.stats.moves_in,
                p.stats.moves_out
            ));
        }
        out.push(format!("  {}", moves_text(e)));
    }
    out
}

fn strategy_json(e: &EntryInfo) -> Value {
    match e.strategy {
        None => Value::Null,
        Some(s) => json!({"kind": s.kind.name(), "n": s.n, "m": s.m, "t_ms": s.t_ms}),
    }
}

/// `path show --json`.
pub(crate) fn entries_json(entries: &[EntryInfo]) -> Value {
    let prefixes: Vec<Value> = entries
        .iter()
        .map(|e| {
            let paths: Vec<Value> = e
                .paths
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let via: Vec<String> = srh::waypoints(&p.srh)
                        .map(|a| Ipv6Addr::from(a).to_string())
                        .collect();
                    json!({
                        "index": i,
                        "direct": p.srh.is_empty(),
                        "via": via,
                        "srh_hex": to_hex(&p.srh),
                        "starts": p.stats.starts,
                        "moves_in": p.stats.moves_in,
                        "moves_out": p.stats.moves_out,
                    })
                })
                .collect();
            json!({
                "prefix": fmt_prefix(&e.prefix),
                "strategy": strategy_json(e),
                "generation": e.generation,
                "moves": moves_json(e),
                "apply_failed": e.apply_failed,
                "paths": paths,
            })
        })
        .collect();
    json!({ "prefixes": prefixes })
}

/// `stats` as text: counters, then each prefix's path changes.
pub(crate) fn stats_text(counters: &[(String, u64)], entries: &[EntryInfo]) -> Vec<String> {
    let mut out: Vec<String> = counters.iter().map(|(n, v)| format!("{n} {v}")).collect();
    out.extend(
        entries
            .iter()
            .map(|e| format!("{} {}", fmt_prefix(&e.prefix), moves_text(e))),
    );
    out
}

/// `stats --json`.
pub(crate) fn stats_json(counters: &[(String, u64)], entries: &[EntryInfo]) -> Value {
    let c: Map<String, Value> = counters
        .iter()
        .map(|(n, v)| (n.clone(), json!(v)))
        .collect();
    let p: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "prefix": fmt_prefix(&e.prefix),
                "moves": moves_json(e),
                "apply_failed": e.apply_failed,
            })
        })
        .collect();
    json!({ "counters": c, "prefixes": p })
}

/// `ccp status` as text: a summary line, then every value (`name value`).
pub(crate) fn ccp_text(st: &[(String, u64)]) -> Vec<String> {
    let get = |k: &str| st.iter().find(|(n, _)| n == k).map_or(0, |(_, v)| *v);
    let mut out = vec![format!(
        "agent {}, {} flows, {} programs, {} messages queued",
        if get("agent_attached") != 0 {
            "attached"
        } else {
            "not attached (flows run the in-kernel fallback, net.tpc.ccp_fallback)"
        },
        get("flows"),
        get("programs"),
        get("queued_msgs"),
    )];
    out.extend(st.iter().map(|(n, v)| format!("{n} {v}")));
    out
}

/// `ccp status --json`: one object of every value.
pub(crate) fn ccp_json(st: &[(String, u64)]) -> Value {
    let m: Map<String, Value> = st.iter().map(|(n, v)| (n.clone(), json!(v))).collect();
    Value::Object(m)
}

/// Bytes per second as Mbit/s with two decimals.
fn fmt_mbps(bps: u64) -> String {
    let c = (u128::from(bps) * 8 + 5_000) / 10_000;
    format!("{}.{:02} Mbit/s", c / 100, c % 100)
}

/// The policy as `augment set` takes it (`fixed N`).
fn policy_text(v: &AugStateView) -> String {
    match augment::policy_name(v.policy) {
        Some(n) if v.policy == augment::POLICY_FIXED => format!("{n} {}", v.fixed),
        Some(n) => n.into(),
        None => format!("unknown ({})", v.policy),
    }
}

/// `augment show` as text.
pub(crate) fn augment_text(v: &AugStateView) -> Vec<String> {
    let bound = |own: u32, eff: u32| {
        if own == 0 {
            format!("{eff} (sysctl)")
        } else {
            eff.to_string()
        }
    };
    let mut out = vec![format!(
        "{} policy {}, floor {}, ceiling {}{}",
        fmt_prefix(&v.prefix),
        policy_text(v),
        bound(v.floor, v.eff_floor),
        bound(v.ceiling, v.eff_ceiling),
        if v.flags & proto::AUG_F_CROSSED != 0 {
            " (below the floor: the ceiling wins)"
        } else {
            ""
        },
    )];
    out.push(if v.window == 0 {
        format!("  new flow: kernel initial window (mss {})", v.mss)
    } else {
        format!(
            "  new flow: {} packets (mss {}; before receive-window and route caps)",
            v.window, v.mss
        )
    });
    out.push(if v.learned == 0 {
        "  learned: no fresh data".into()
    } else {
        let cut = augment::loss_cut_ppm(v.loss_ppm);
        format!(
            "  learned: {} packets = share {} (rate / ({}.{:03} active + {} starting + 1)) x min RTT {} ms{} = {} bytes",
            v.learned,
            fmt_mbps(v.share_bps),
            v.flows_milli / 1000,
            v.flows_milli % 1000,
            v.starts,
            fmt_us_as_ms(v.min_rtt_us),
            if cut == 0 {
                String::new()
            } else {
                format!(" x (1 - {}) for loss", fmt_pct(cut.min(u64::from(u32::MAX)) as u32))
            },
            v.bdp_bytes
        )
    });
    if v.flags & proto::AUG_F_FRESH == 0 {
        out.push(format!(
            "  aggregate: {}, {} open flows",
            if v.age_ms == u64::MAX {
                "empty".to_string()
            } else {
                format!("stale (last active {} ms ago)", v.age_ms)
            },
            v.open
        ));
    } else {
        out.push(format!(
            "  aggregate: rate {}, active flows {}.{:03}, min RTT {} ms, loss {}, last active {} ms ago, {} bins, {} open flows (half-life {} ms)",
            fmt_mbps(v.rate_bps),
            v.flows_milli / 1000,
            v.flows_milli % 1000,
            fmt_us_as_ms(v.min_rtt_us),
            fmt_pct(v.loss_ppm.min(u64::from(u32::MAX)) as u32),
            v.age_ms,
            v.bins,
            v.open,
            v.half_life_ms,
        ));
    }
    out
}

/// `augment show --json`: one object.
pub(crate) fn augment_json(v: &AugStateView) -> Value {
    let opt = |x: u32| if x == 0 { Value::Null } else { json!(x) };
    json!({
        "prefix": fmt_prefix(&v.prefix),
        "policy": augment::policy_name(v.policy).unwrap_or("unknown"),
        "fixed": opt(v.fixed),
        "floor": v.eff_floor,
        "ceiling": v.eff_ceiling,
        "floor_override": opt(v.floor),
        "ceiling_override": opt(v.ceiling),
        "mss": v.mss,
        "window": opt(v.window),
        "learned": opt(v.learned),
        "share_bps": v.share_bps,
        "bdp_bytes": v.bdp_bytes,
        "loss_cut_ppm": augment::loss_cut_ppm(v.loss_ppm),
        "starts": v.starts,
        "bounds_crossed": v.flags & proto::AUG_F_CROSSED != 0,
        "fresh": v.flags & proto::AUG_F_FRESH != 0,
        "rate_bps": v.rate_bps,
        "flows": v.flows_milli as f64 / 1000.0,
        "min_rtt_us": v.min_rtt_us,
        "loss_ppm": v.loss_ppm,
        "age_ms": if v.age_ms == u64::MAX { Value::Null } else { json!(v.age_ms) },
        "bins": v.bins,
        "open": v.open,
        "half_life_ms": v.half_life_ms,
    })
}

/// The lines `monitor` prints for one delivery: a `lost` line first if
/// events were lost, then the event.
pub(crate) fn event_lines(d: &Delivery, as_json: bool) -> Vec<String> {
    let e = &d.event;
    let mut out = Vec::new();
    let (saddr, daddr) = (Ipv6Addr::from(e.saddr), Ipv6Addr::from(e.daddr));
    if as_json {
        if d.lost > 0 {
            out.push(json!({ "type": "path", "lost": d.lost }).to_string());
        }
        out.push(
            json!({
                "type": "path",
                "seq": d.seq,
                "lost": d.lost,
                "ktime_ns": e.ktime_ns,
                "reason": e.reason.name(),
                "old": e.old,
                "new": e.new,
                "saddr": saddr.to_string(),
                "sport": e.sport,
                "daddr": daddr.to_string(),
                "dport": e.dport,
            })
            .to_string(),
        );
    } else {
        if d.lost > 0 {
            out.push(format!("lost {} events", d.lost));
        }
        out.push(format!(
            "{} {} [{saddr}]:{} -> [{daddr}]:{} path {} -> {}",
            e.ktime_ns,
            e.reason.name(),
            e.sport,
            e.dport,
            e.old,
            e.new
        ));
    }
    out
}

/// Millionths as a JSON number (`100000` is 0.1).
fn micro_json(v: i64) -> Value {
    // Shortest decimal that reads back as the same f64.
    json!(v as f64 / 1e6)
}

/// Millionths as a percentage with two decimals: `123456` is `12.35%`.
pub(crate) fn fmt_pct(ppm: u32) -> String {
    let h = (u64::from(ppm) + 50) / 100;
    format!("{}.{:02}%", h / 100, h % 100)
}

/// Microseconds as milliseconds with three decimals: `12345` is `12.345`.
pub(crate) fn fmt_us_as_ms(us: u64) -> String {
    format!("{}.{:03}", us / 1000, us % 1000)
}

/// Millionths of a token as tokens with three decimals (rounded).
fn fmt_tokens(micro: u64) -> String {
    let m = micro.saturating_add(500) / 1000;
    format!("{}.{:03}", m / 1000, m % 1000)
}

/// Age of a sample at the module's `now_ns`, in whole microseconds.
fn age_us(now_ns: u64, t_ns: u64) -> u64 {
    now_ns.saturating_sub(t_ns) / 1000
}

/// The settings line of a state: `exp3 on preset textbook gamma 0.1 ...`.
fn exp3_settings_text(x: &Exp3Info) -> String {
    format!(
        "exp3 {} preset {} gamma {} hook {} keylen {}",
        if x.on { "on" } else { "off" },
        x.preset.name(),
        fmt_micro(i64::from(x.gamma_ppm)),
        x.hook_bytes,
        x.keylen
    )
}

/// `exp3 show` as text: one block per state.
pub(crate) fn exp3_text(states: &[Exp3Info]) -> Vec<String> {
    let mut out = Vec::new();
    for x in states {
        out.push(format!(
            "{} entry {} generation {}",
            fmt_prefix(&x.key),
            fmt_prefix(&x.entry),
            x.generation
        ));
        out.push(format!("  {}", exp3_settings_text(x)));
        let rtt = if x.rtt_max_us == 0 {
            "none".to_string()
        } else {
            format!(
                "{}-{}ms",
                fmt_us_as_ms(u64::from(x.rtt_min_us)),
                fmt_us_as_ms(u64::from(x.rtt_max_us))
            )
        };
        out.push(format!(
            "  rtt range {rtt} updates {} failures {}",
            x.updates, x.failures
        ));
        out.push("  path     weight    share     prob    draws".into());
        for (i, p) in x.paths.iter().enumerate() {
            out.push(format!(
                "  {i:>4} {:>10} {:>8} {:>8} {:>8}{}",
                fmt_tokens(p.weight_micro),
                fmt_pct(p.share_ppm),
                fmt_pct(p.prob_ppm),
                p.draws,
                if x.failed(i) { " failed" } else { "" }
            ));
        }
        if x.history.is_empty() {
            out.push("  history none".into());
            continue;
        }
        out.push("  history (oldest first)".into());
        out.push("       age_ms  path    srtt_ms  reward      p".into());
        for h in &x.history {
            out.push(format!(
                "  {:>11} {:>5} {:>10}  {:<11} {}",
                fmt_us_as_ms(age_us(x.now_ns, h.ktime_ns)),
                h.path,
                fmt_us_as_ms(u64::from(h.srtt_us)),
                fmt_micro(i64::from(h.reward_ppm)),
                fmt_micro(i64::from(h.p_ppm))
            ));
        }
    }
    out
}

/// `exp3 show --json`: an array with one object per state.
pub(crate) fn exp3_json(states: &[Exp3Info]) -> Value {
    let v: Vec<Value> = states
        .iter()
        .map(|x| {
            let paths: Vec<Value> = x
                .paths
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    json!({
                        "index": i,
                        "weight": micro_json(i64::try_from(p.weight_micro).unwrap_or(i64::MAX)),
                        "share": micro_json(i64::from(p.share_ppm)),
                        "prob": micro_json(i64::from(p.prob_ppm)),
                        "draws": p.draws,
                        "failed": x.failed(i),
                    })
                })
                .collect();
            let history: Vec<Value> = x
                .history
                .iter()
                .map(|h| {
                    let age = i64::try_from(age_us(x.now_ns, h.ktime_ns)).unwrap_or(i64::MAX);
                    json!({
                        "age_ms": age as f64 / 1e3,
                        "path": h.path,
                        "srtt_us": h.srtt_us,
                        "reward": micro_json(i64::from(h.reward_ppm)),
                        "p": micro_json(i64::from(h.p_ppm)),
                    })
                })
                .collect();
            json!({
                "key": fmt_prefix(&x.key),
                "entry": fmt_prefix(&x.entry),
                "generation": x.generation,
                "on": x.on,
                "preset": x.preset.name(),
                "gamma": micro_json(i64::from(x.gamma_ppm)),
                "hook_bytes": x.hook_bytes,
                "keylen": x.keylen,
                "rtt_min_us": x.rtt_min_us,
                "rtt_max_us": x.rtt_max_us,
                "updates": x.updates,
                "failures": x.failures,
                "paths": paths,
                "history": history,
            })
        })
        .collect();
    Value::Array(v)
}

/// The lines `monitor` prints for one EXP3 update: a `lost` line first if
/// updates were lost, then the update.
pub(crate) fn update_lines(d: &Delivery<UpdateEvent>, as_json: bool) -> Vec<String> {
    let e = &d.event;
    let n = usize::from(e.npaths).min(e.shares_ppm.len());
    let shares = &e.shares_ppm[..n];
    let mut out = Vec::new();
    if as_json {
        if d.lost > 0 {
            out.push(json!({ "type": "exp3_update", "lost": d.lost }).to_string());
        }
        let sh: Vec<Value> = shares.iter().map(|&s| micro_json(i64::from(s))).collect();
        out.push(
            json!({
                "type": "exp3_update",
                "seq": d.seq,
                "lost": d.lost,
                "ktime_ns": e.ktime_ns,
                "key": fmt_prefix(&e.key),
                "path": e.path,
                "npaths": e.npaths,
                "srtt_us": e.srtt_us,
                "reward": micro_json(i64::from(e.reward_ppm)),
                "p": micro_json(i64::from(e.p_ppm)),
                "shares": sh,
            })
            .to_string(),
        );
    } else {
        if d.lost > 0 {
            out.push(format!("lost {} exp3 updates", d.lost));
        }
        let sh: Vec<String> = shares.iter().map(|&s| fmt_pct(s)).collect();
        out.push(format!(
            "{} update {} path {} srtt {}ms reward {} p {} shares {}",
            e.ktime_ns,
            fmt_prefix(&e.key),
            e.path,
            fmt_us_as_ms(u64::from(e.srtt_us)),
            fmt_micro(i64::from(e.reward_ppm)),
            fmt_micro(i64::from(e.p_ppm)),
            sh.join(",")
        ));
    }
    out
}

/// The lines `monitor` prints for one delivery of either kind.
pub(crate) fn notice_lines(n: &Notice, as_json: bool) -> Vec<String> {
    match n {
        Notice::Path(d) => event_lines(d, as_json),
        Notice::Exp3(d) => update_lines(d, as_json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::PathInfo;
    use crate::events::Event;
    use crate::parse::{parse_prefix, PathSpec};
    use crate::paths::{PathStats, Strategy, StrategyKind};

    fn addr(s: &str) -> [u8; 16] {
        s.parse::<Ipv6Addr>().unwrap().octets()
    }

    fn delivery(lost: u64) -> Delivery {
        Delivery {
            seq: 7,
            lost,
            event: Event {
                ktime_ns: 123456789,
                reason: Reason::Rto,
                old: 0,
                new: 1,
                saddr: addr("fd00:a::2"),
                daddr: addr("fd00:b::2"),
                sport: 40000,
                dport: 5201,
            },
        }
    }

    #[test]
    fn event_text() {
        assert_eq!(
            event_lines(&delivery(0), false),
            vec!["123456789 rto [fd00:a::2]:40000 -> [fd00:b::2]:5201 path 0 -> 1"]
        );
        let l = event_lines(&delivery(5), false);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0], "lost 5 events");
    }

    #[test]
    fn event_json() {
        let l = event_lines(&delivery(0), true);
        assert_eq!(l.len(), 1);
        assert_eq!(
            l[0],
            r#"{"type":"path","seq":7,"lost":0,"ktime_ns":123456789,"reason":"rto","old":0,"new":1,"saddr":"fd00:a::2","sport":40000,"daddr":"fd00:b::2","dport":5201}"#
        );
        let l = event_lines(&delivery(3), true);
        assert_eq!(l[0], r#"{"type":"path","lost":3}"#);
        let v: Value = serde_json::from_str(&l[1]).unwrap();
        assert_eq!(v["lost"], 3);
    }

    fn entry() -> EntryInfo {
        let via = PathSpec::Via(vec![addr("fc00::31")]).srh().unwrap();
        EntryInfo {
            prefix: parse_prefix("fd00:b::/64").unwrap(),
            strategy: None,
            generation: 3,
            moves: [0, 1, 1, 0, 0, 0, 0, 0],
            apply_failed: 0,
            paths: vec![
                PathInfo {
                    srh: Vec::new(),
                    stats: PathStats {
                        starts: 1,
                        moves_in: 0,
                        moves_out: 1,
                    },
                },
                PathInfo {
                    srh: via,
                    stats: PathStats {
                        starts: 0,
                        moves_in: 1,
                        moves_out: 0,
                    },
                },
            ],
        }
    }

    #[test]
    fn entry_text() {
        assert_eq!(
            entries_text(&[entry()]),
            vec![
                "fd00:b::/64 strategy inherit generation 3",
                "  path 0 direct            starts 1 in 0 out 1",
                "  path 1 via fc00::31      starts 0 in 1 out 0",
                "  moves init 1 rto 1 dupdata 0 timeout 0 pin 0 request 0 exp3 0 apply_failed 0",
            ]
        );
        let mut e = entry();
        e.strategy = Some(Strategy {
            kind: StrategyKind::Timeout,
            n: 3,
            m: 2,
            t_ms: 700,
        });
        assert_eq!(
            entries_text(&[e])[0],
            "fd00:b::/64 strategy timeout t 700ms m 2 generation 3"
        );
        assert!(entries_text(&[]).is_empty());
    }

    #[test]
    fn entry_json() {
        let v = entries_json(&[entry()]);
        let p = &v["prefixes"][0];
        assert_eq!(p["prefix"], "fd00:b::/64");
        assert_eq!(p["strategy"], Value::Null);
        assert_eq!(p["generation"], 3);
        assert_eq!(
            p["moves"],
            json!({"init":1,"rto":1,"dupdata":0,"timeout":0,"pin":0,"request":0,"exp3":0})
        );
        assert_eq!(p["apply_failed"], 0);
        assert_eq!(
            p["paths"][0],
            json!({"index":0,"direct":true,"via":[],"srh_hex":"","starts":1,"moves_in":0,"moves_out":1})
        );
        assert_eq!(p["paths"][1]["via"], json!(["fc00::31"]));
        assert_eq!(p["paths"][1]["direct"], false);
        assert!(p["paths"][1]["srh_hex"]
            .as_str()
            .unwrap()
            .starts_with("0004"));

        let mut e = entry();
        e.strategy = Some(Strategy {
            kind: StrategyKind::Nrto,
            n: 3,
            m: 2,
            t_ms: 700,
        });
        assert_eq!(
            entries_json(&[e])["prefixes"][0]["strategy"],
            json!({"kind":"nrto","n":3,"m":2,"t_ms":700})
        );
    }

    #[test]
    fn ccp_status_shapes() {
        let st = vec![
            ("agent_attached".to_string(), 1u64),
            ("flows".to_string(), 2),
            ("programs".to_string(), 4),
            ("queued_msgs".to_string(), 0),
            ("aborts".to_string(), 7),
        ];
        let t = super::ccp_text(&st);
        assert_eq!(
            t[0],
            "agent attached, 2 flows, 4 programs, 0 messages queued"
        );
        assert_eq!(t.last().map(String::as_str), Some("aborts 7"));
        let j = super::ccp_json(&st);
        assert_eq!(j["aborts"], 7);
        assert_eq!(j["flows"], 2);
        let none = super::ccp_text(&[("agent_attached".to_string(), 0)]);
        assert!(none[0].starts_with("agent not attached"), "{}", none[0]);
    }

    #[test]
    fn stats_shapes() {
        let c = vec![("conns_active".to_string(), 2)];
        assert_eq!(
            stats_text(&c, &[entry()]),
            vec![
                "conns_active 2",
                "fd00:b::/64 moves init 1 rto 1 dupdata 0 timeout 0 pin 0 request 0 exp3 0 apply_failed 0",
            ]
        );
        let v = stats_json(&c, &[entry()]);
        assert_eq!(v["counters"]["conns_active"], 2);
        assert_eq!(v["prefixes"][0]["prefix"], "fd00:b::/64");
        assert_eq!(v["prefixes"][0]["moves"]["rto"], 1);
        assert_eq!(v["prefixes"][0]["apply_failed"], 0);
    }

    #[test]
    fn exp3_moves_are_path_events() {
        let mut d = delivery(0);
        d.event.reason = Reason::Exp3;
        assert_eq!(
            event_lines(&d, false),
            vec!["123456789 exp3 [fd00:a::2]:40000 -> [fd00:b::2]:5201 path 0 -> 1"]
        );
        let v: Value = serde_json::from_str(&event_lines(&d, true)[0]).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["reason"].as_str()),
            (Some("path"), Some("exp3"))
        );
    }

    fn update(lost: u64) -> Delivery<UpdateEvent> {
        Delivery {
            seq: 4,
            lost,
            event: UpdateEvent {
                ktime_ns: 987654321,
                key: parse_prefix("fd00:b::/64").unwrap(),
                path: 1,
                npaths: 3,
                srtt_us: 12_345,
                reward_ppm: 500_000,
                p_ppm: 450_000,
                shares_ppm: [600_000, 300_000, 100_000, 0, 0, 0, 0, 7],
            },
        }
    }

    #[test]
    fn update_text() {
        assert_eq!(
            update_lines(&update(0), false),
            vec![
                "987654321 update fd00:b::/64 path 1 srtt 12.345ms reward 0.5 p 0.45 shares 60.00%,30.00%,10.00%"
            ]
        );
        let l = update_lines(&update(2), false);
        assert_eq!(l[0], "lost 2 exp3 updates");
        let mut neg = update(0);
        neg.event.reward_ppm = -23_000_000;
        assert!(update_lines(&neg, false)[0].contains(" reward -23 p "));
        assert_eq!(
            notice_lines(&Notice::Exp3(update(0)), false),
            update_lines(&update(0), false)
        );
        assert_eq!(
            notice_lines(&Notice::Path(delivery(0)), true),
            event_lines(&delivery(0), true)
        );
    }

    #[test]
    fn update_json() {
        let l = update_lines(&update(0), true);
        assert_eq!(l.len(), 1);
        assert_eq!(
            l[0],
            r#"{"type":"exp3_update","seq":4,"lost":0,"ktime_ns":987654321,"key":"fd00:b::/64","path":1,"npaths":3,"srtt_us":12345,"reward":0.5,"p":0.45,"shares":[0.6,0.3,0.1]}"#
        );
        let l = update_lines(&update(5), true);
        assert_eq!(l[0], r#"{"type":"exp3_update","lost":5}"#);
        let v: Value = serde_json::from_str(&l[1]).unwrap();
        assert_eq!(v["lost"], 5);
        // An update has no "reason": consumers of path events skip it.
        assert!(v.get("reason").is_none());
    }

    #[test]
    fn number_formats() {
        assert_eq!(fmt_pct(123_456), "12.35%");
        assert_eq!(fmt_pct(1_000_000), "100.00%");
        assert_eq!(fmt_pct(0), "0.00%");
        assert_eq!(fmt_pct(99), "0.01%");
        assert_eq!(fmt_us_as_ms(12_345), "12.345");
        assert_eq!(fmt_us_as_ms(5), "0.005");
        assert_eq!(fmt_tokens(9_999_123_456), "9999.123");
        assert_eq!(fmt_tokens(1_000_000), "1.000");
        assert_eq!(fmt_tokens(1_999_500), "2.000");
        assert_eq!(fmt_tokens(u64::MAX), "18446744073709.551");
    }

    fn state() -> Exp3Info {
        use crate::exp3::{Preset, Sample};
        use crate::proto::Exp3PathView;
        Exp3Info {
            key: parse_prefix("fd00:b::/64").unwrap(),
            entry: parse_prefix("fd00:b::/48").unwrap(),
            generation: 2,
            failed_mask: 2,
            on: true,
            preset: Preset::Textbook,
            gamma_ppm: 100_000,
            hook_bytes: 1 << 20,
            keylen: 64,
            rtt_min_us: 10_000,
            rtt_max_us: 24_500,
            updates: 7,
            failures: 1,
            now_ns: 10_000_000_000,
            paths: vec![
                Exp3PathView {
                    weight_micro: 7_500_000_000,
                    draws: 12,
                    share_ppm: 750_000,
                    prob_ppm: 1_000_000,
                },
                Exp3PathView {
                    weight_micro: 2_500_000_000,
                    draws: 3,
                    share_ppm: 250_000,
                    prob_ppm: 0,
                },
            ],
            history: vec![
                Sample {
                    ktime_ns: 9_000_000_000,
                    path: 0,
                    srtt_us: 10_000,
                    reward_ppm: 1_000_000,
                    p_ppm: 500_000,
                },
                Sample {
                    ktime_ns: 9_998_765_000,
                    path: 1,
                    srtt_us: 24_500,
                    reward_ppm: 0,
                    p_ppm: 333_333,
                },
            ],
        }
    }

    #[test]
    fn exp3_state_text() {
        assert_eq!(
            exp3_text(&[state()]),
            vec![
                "fd00:b::/64 entry fd00:b::/48 generation 2",
                "  exp3 on preset textbook gamma 0.1 hook 1048576 keylen 64",
                "  rtt range 10.000-24.500ms updates 7 failures 1",
                "  path     weight    share     prob    draws",
                "     0   7500.000   75.00%  100.00%       12",
                "     1   2500.000   25.00%    0.00%        3 failed",
                "  history (oldest first)",
                "       age_ms  path    srtt_ms  reward      p",
                "     1000.000     0     10.000  1           0.5",
                "        1.235     1     24.500  0           0.333333",
            ]
        );
        let mut fresh = state();
        fresh.history.clear();
        fresh.rtt_max_us = 0;
        fresh.rtt_min_us = 0;
        fresh.on = false;
        let t = exp3_text(&[fresh]);
        assert_eq!(
            t[1],
            "  exp3 off preset textbook gamma 0.1 hook 1048576 keylen 64"
        );
        assert_eq!(t[2], "  rtt range none updates 7 failures 1");
        assert_eq!(t.last().unwrap(), "  history none");
        assert!(exp3_text(&[]).is_empty());
    }

    #[test]
    fn exp3_state_json() {
        let v = exp3_json(&[state()]);
        assert!(v.is_array());
        let x = &v[0];
        assert_eq!(x["key"], "fd00:b::/64");
        assert_eq!(x["entry"], "fd00:b::/48");
        assert_eq!(x["on"], true);
        assert_eq!(x["preset"], "textbook");
        assert_eq!(x["gamma"], 0.1);
        assert_eq!(x["hook_bytes"], 1 << 20);
        assert_eq!(x["keylen"], 64);
        assert_eq!(
            (x["rtt_min_us"].clone(), x["rtt_max_us"].clone()),
            (json!(10_000), json!(24_500))
        );
        assert_eq!(
            (x["updates"].clone(), x["failures"].clone()),
            (json!(7), json!(1))
        );
        assert_eq!(
            x["paths"],
            json!([
                {"index":0,"weight":7500.0,"share":0.75,"prob":1.0,"draws":12,"failed":false},
                {"index":1,"weight":2500.0,"share":0.25,"prob":0.0,"draws":3,"failed":true},
            ])
        );
        assert_eq!(
            x["history"],
            json!([
                {"age_ms":1000.0,"path":0,"srtt_us":10000,"reward":1.0,"p":0.5},
                {"age_ms":1.235,"path":1,"srtt_us":24500,"reward":0.0,"p":0.333333},
            ])
        );
        assert_eq!(exp3_json(&[]), json!([]));
    }
}
