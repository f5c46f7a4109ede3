// SPDX-License-Identifier: GPL-2.0

//! Text and JSON output: path table entries, counters, events.

use crate::dev::EntryInfo;
use crate::events::Delivery;
use crate::parse::{fmt_prefix, strategy_text, to_hex, waypoint_list};
use crate::paths::{Reason, REASONS};
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

/// The lines `monitor` prints for one delivery: a `lost` line first if
/// events were lost, then the event.
pub(crate) fn event_lines(d: &Delivery, as_json: bool) -> Vec<String> {
    let e = &d.event;
    let mut out = Vec::new();
    let (saddr, daddr) = (Ipv6Addr::from(e.saddr), Ipv6Addr::from(e.daddr));
    if as_json {
        if d.lost > 0 {
            out.push(json!({ "lost": d.lost }).to_string());
        }
        out.push(
            json!({
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
            r#"{"seq":7,"lost":0,"ktime_ns":123456789,"reason":"rto","old":0,"new":1,"saddr":"fd00:a::2","sport":40000,"daddr":"fd00:b::2","dport":5201}"#
        );
        let l = event_lines(&delivery(3), true);
        assert_eq!(l[0], r#"{"lost":3}"#);
        let v: Value = serde_json::from_str(&l[1]).unwrap();
        assert_eq!(v["lost"], 3);
    }

    fn entry() -> EntryInfo {
        let via = PathSpec::Via(vec![addr("fc00::31")]).srh().unwrap();
        EntryInfo {
            prefix: parse_prefix("fd00:b::/64").unwrap(),
            strategy: None,
            generation: 3,
            moves: [0, 1, 1, 0, 0, 0, 0],
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
                "  moves init 1 rto 1 dupdata 0 timeout 0 pin 0 request 0 apply_failed 0",
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
            json!({"init":1,"rto":1,"dupdata":0,"timeout":0,"pin":0,"request":0})
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
    fn stats_shapes() {
        let c = vec![("conns_active".to_string(), 2)];
        assert_eq!(
            stats_text(&c, &[entry()]),
            vec![
                "conns_active 2",
                "fd00:b::/64 moves init 1 rto 1 dupdata 0 timeout 0 pin 0 request 0 apply_failed 0",
            ]
        );
        let v = stats_json(&c, &[entry()]);
        assert_eq!(v["counters"]["conns_active"], 2);
        assert_eq!(v["prefixes"][0]["prefix"], "fd00:b::/64");
        assert_eq!(v["prefixes"][0]["moves"]["rto"], 1);
        assert_eq!(v["prefixes"][0]["apply_failed"], 0);
    }
}
