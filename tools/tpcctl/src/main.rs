// SPDX-License-Identifier: GPL-2.0

//! `tpcctl`: controller for the tcp_pathchanger kernel module.
//!
//! Talks to the module's control device (`/dev/tpc`) with the message
//! protocol of `tpc/proto.rs`, the same file the module is built from.

use clap::{Parser, Subcommand};
use serde_json::{json, Map, Value};
use std::process::ExitCode;

mod apply;
mod dev;
mod output;
mod parse;

#[allow(dead_code)] // The module-side aggregation is not used here.
#[path = "../../../tpc/augment.rs"]
mod augment;
#[allow(dead_code)] // The module-side encoders are not used here.
#[path = "../../../tpc/events.rs"]
mod events;
#[allow(dead_code)]
#[path = "../../../tpc/exp3.rs"]
mod exp3;
#[allow(dead_code)]
#[path = "../../../fpu_helpers.rs"]
mod fpu_helpers;
#[allow(dead_code)]
#[path = "../../../tpc/paths.rs"]
mod paths;
#[allow(dead_code)]
#[path = "../../../tpc/proto.rs"]
mod proto;
#[allow(dead_code)]
#[path = "../../../tpc/srh.rs"]
mod srh;

use dev::Device;
use output::emit;
use parse::{
    check_paths, fmt_prefix, parse_augment, parse_exp3, parse_failover, parse_path_tokens,
    parse_prefix, srhs_of,
};
use proto::{MsgType, Reply};

/// Exit status: the module (its device) is not there.
const EXIT_NO_MODULE: u8 = 2;
/// Exit status: permission denied.
const EXIT_DENIED: u8 = 3;
/// Exit status: any other error (usage errors included).
const EXIT_ERROR: u8 = 1;

#[derive(Parser)]
#[command(
    name = "tpcctl",
    version,
    about = "Control the tcp_pathchanger kernel module (TCP Path Changer)",
    after_help = "Exit status: 0 success, 1 error (also bad usage), 2 module not loaded \
                  (no device), 3 permission denied (needs CAP_NET_ADMIN)."
)]
struct Cli {
    /// Control device of the module.
    #[arg(long, global = true, default_value = "/dev/tpc", env = "TPC_DEVICE")]
    device: String,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

const PATHS_HELP: &str = "\
Each PATH is one of:
  via SEG[,SEG...]  an SRv6 path through 1 to 9 waypoints (IPv6 addresses),
                    in visiting order
  direct            no routing header: the routing table's path (path 0 only)
  raw HEX           a raw routing header, sent unchecked (for testing the
                    module's validation)
At most 8 paths, each one once. Connections start on path 0 and fail over to the next path,
wrapping around. PREFIX is ADDR/LEN (host bits clear) or an address (a /128).

Example:
  tpcctl path add 2001:db8:2::/48 via fc00:1::1,fc00:3::1 via fc00:2::1";

const FAILOVER_HELP: &str = "\
Forms:
  tpcctl set failover {nrto|timeout|off} [n N] [m M] [t T] [prefix PREFIX]
  tpcctl set failover inherit prefix PREFIX

nrto     NRTOChanger(N, M): a sender moves after N RTOs without progress
timeout  TimeoutChanger(T, M): a sender moves at the first RTO at least T
         after the last RTT sample
off      no failover: connections keep their first path
inherit  remove a prefix's override: it follows the global setting again
M is the receiver's threshold: duplicate data segments without progress.
T is 700ms, 0.7s, 2s or a number of milliseconds.

Without a prefix the setting is global (the sysctls net.tpc.strategy,
failover_rtos, failover_dups, failover_timeout_ms) and values not given keep
their current value. With a prefix it becomes that prefix's override (the
prefix needs paths) and values not given are copied from the global
settings. The module checks the values against the sysctls' ranges.";

const EXP3_HELP: &str = "\
Forms:
  tpcctl set exp3 {on|off} [gamma G] [preset P] [hook BYTES] [keylen L]
  tpcctl set exp3 {on|off|inherit} [gamma G] [preset P] [hook BYTES] [keylen L]
                  prefix PREFIX

on       EXP3 chooses each connection's path (lowest delay), failover
         still moves stalled connections
off      failover only
inherit  (prefix only) follow the global net.tpc.exp3
G        gamma, the exploration share: a decimal from 0 to 1 (0.1, .05, 1)
P        reward rule: textbook (default: EXP3 with rewards normalised into
         [0, 1]) or as-coded (the original program's rule)
BYTES    ongoing connections report and redraw every BYTES bytes (0: only
         at start and close): an integer, or with a suffix kB, MB, GB
         (1000-based) or KiB, MiB, GiB (1024-based), e.g. 64KiB; at most 1GiB
L        key length: destinations sharing their first L bits (never fewer
         than the prefix's) share one EXP3 state; 1 to 128

Without a prefix the setting is global: the mode sets net.tpc.exp3 and the
other values the sysctls exp3_gamma_ppm, exp3_preset, exp3_hook_bytes and
exp3_keylen; values not given keep their current value. With a prefix the
command replaces that prefix's EXP3 override (the prefix needs paths):
values not given follow the global settings. 'set exp3 inherit prefix P'
removes the override.";

const EXP3_SHOW_HELP: &str = "\
For each EXP3 state (destination key): its path-table entry, the settings
in force, the RTT range used to normalise rewards, then per path its
weight (tokens; they sum to 10000), weight share, current draw probability,
draws and 'failed' if failover took it out of the draws, then the recent
rewards (age before the reply, path, RTT, reward, draw probability).
PREFIX shows only the states whose key lies inside PREFIX or whose entry is
PREFIX. --json prints an array of objects (shares and probabilities as
fractions).";

const AUGMENT_SET_HELP: &str = "\
Policies (for new connections of the tpc and ccp congestion controls to
the prefix):
  off        the kernel's initial window (route initcwnd, else 10)
  fixed N    N packets
  learned    the fair share of the prefix's recent delivery rate times
             its minimum RTT, clamped to [floor, ceiling]; the share
             also counts the connections started in the last 100-200 ms
floor N and ceiling N (1..65535) override the net.tpc.augment_floor and
augment_ceiling sysctls for this prefix (0 or absent: follow them); the
ceiling may not be below the floor (should a floor sysctl raised later
cross it, the ceiling wins). Every window is further capped by the peer's
receive window (never below the kernel's own initial window) and the
route's cwnd clamp and locked cwnd metric (ip route ... cwnd lock N), and
is applied only before the first data segment.
Examples:
  tpcctl augment set fd00:b::/64 learned
  tpcctl augment set fd00:b::/64 learned floor 10 ceiling 300
  tpcctl augment set fd00:b::/64 fixed 40";

const AUGMENT_SHOW_HELP: &str = "\
Shows the prefix's policy, the window a new connection would get now (before
the per-connection caps), the learned estimate and how it was reached (fair
share = delivery rate / (active flows + 1); window = share x min RTT x
(1 - min(1/2, 10 x loss)) / MSS), and the aggregate: delivery rate, active
flows, minimum RTT and loss (moving averages with half-life
net.tpc.augment_half_life_ms), time since the last active 100 ms bin, bins
folded, open connections. An aggregate idle for net.tpc.augment_stale_ms
is stale and gives no estimate. --json prints one object.";

const MONITOR_HELP: &str = "\
Each path change is one line:
  KTIME_NS REASON [SADDR]:SPORT -> [DADDR]:DPORT path OLD -> NEW
KTIME_NS is CLOCK_MONOTONIC; REASON is init, rto, dupdata, timeout, pin,
request or exp3. Each EXP3 weight update is one line:
  KTIME_NS update KEY path P srtt MS reward R p P shares S0,S1,...
A reader that fell behind first gets a line 'lost N events' (or 'lost N
exp3 updates'). With --json each line is one JSON object whose \"type\" is
\"path\" or \"exp3_update\" ({\"type\":...,\"lost\":N} for lost ones).";

const APPLY_HELP: &str = "\
File format (TOML):
  [failover]                  # optional, global
  strategy = \"nrto\"           # nrto | timeout | off
  n = 3
  m = 2
  t = \"700ms\"

  [exp3]                      # optional, global (the net.tpc.exp3* sysctls)
  mode = \"on\"                 # on | off
  gamma = 0.1                 # optional, as are preset, hook and keylen
  preset = \"textbook\"         # textbook | as-coded
  hook = \"1MiB\"               # bytes: 1048576, \"64KiB\", \"100kB\"
  keylen = 64

  [[prefix]]
  prefix = \"fd00:b::/64\"
  paths = [\"direct\", \"fc00::30\", \"fc00::31,fc00::41\"]
  failover = { strategy = \"timeout\", t = \"700ms\", m = 2 }  # optional; or \"inherit\"
  exp3 = { mode = \"on\", gamma = 0.2 }  # optional; or \"on\", \"off\", \"inherit\"
  augment = \"learned ceiling 300\"  # optional; as 'augment set': off, fixed N, learned ...

Each path is \"direct\" (path 0 only) or comma-separated waypoints. The whole
file is checked first; then the global failover and EXP3 settings are set,
with --prune the table's other prefixes are deleted, and each prefix's
paths are installed (replacing existing ones) followed by its failover and
EXP3 overrides and Augmenter policy, if given.";

#[derive(Subcommand)]
enum Cmd {
    /// Show the module version, protocol, tunables (net.tpc.*) and counters.
    Status,
    /// Manage the path table: SRv6 paths per destination prefix.
    #[command(subcommand)]
    Path(PathCmd),
    /// Change a setting.
    #[command(subcommand)]
    Set(SetCmd),
    /// Print path changes and EXP3 updates as they happen, one line each.
    #[command(after_help = MONITOR_HELP)]
    Monitor {
        /// Exit after N events (path changes and EXP3 updates).
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// Show the global counters and each prefix's path changes.
    Stats,
    /// Inspect EXP3 path selection.
    #[command(subcommand)]
    Exp3(Exp3Cmd),
    /// Inspect the CCP datapath (congestion control "ccp", /dev/ccpkp).
    #[command(subcommand)]
    Ccp(CcpCmd),
    /// Augmenter: initial congestion windows from the state of live flows.
    #[command(subcommand)]
    Augment(AugmentCmd),
    /// Apply a configuration file (TOML) of paths and failover settings.
    #[command(after_help = APPLY_HELP)]
    Apply {
        /// The configuration file.
        file: String,
        /// Also delete the table's prefixes that the file does not list.
        #[arg(long)]
        prune: bool,
        /// Check the file and print the requests (as tpcctl commands)
        /// instead of sending them.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `path add` and `path replace` arguments.
#[derive(clap::Args)]
struct PathSetArgs {
    /// Destination prefix: ADDR/LEN, or an address (a /128).
    prefix: String,
    /// The paths, in order: via SEG[,SEG...] | direct | raw HEX.
    #[arg(required = true, num_args = 1.., value_name = "PATH")]
    paths: Vec<String>,
}

#[derive(Subcommand)]
enum PathCmd {
    /// Add the paths of a prefix (fails if the prefix has paths already).
    #[command(after_help = PATHS_HELP)]
    Add(PathSetArgs),
    /// Add or replace the paths of a prefix (unchanged paths keep their
    /// counters).
    #[command(after_help = PATHS_HELP)]
    Replace(PathSetArgs),
    /// Delete the paths of a prefix.
    Del {
        /// Destination prefix: ADDR/LEN, or an address (a /128).
        prefix: String,
    },
    /// Show the path table with its counters.
    Show {
        /// Show only this exact prefix.
        prefix: Option<String>,
    },
}

#[derive(Subcommand)]
enum Exp3Cmd {
    /// Show the EXP3 states: weights, probabilities, recent rewards.
    #[command(after_help = EXP3_SHOW_HELP)]
    Show {
        /// Show only the states under this prefix.
        prefix: Option<String>,
    },
}

#[derive(Subcommand)]
enum CcpCmd {
    /// Show whether an agent is attached, the flows and programs it
    /// drives, the queue to it and the datapath's statistics (messages,
    /// drops, refused input, program aborts by kind).
    Status,
}

#[derive(Subcommand)]
enum AugmentCmd {
    /// Set the policy of a prefix of the path table.
    #[command(after_help = AUGMENT_SET_HELP)]
    Set {
        /// The prefix (it must have paths).
        prefix: String,
        /// off | fixed N | learned, then optionally floor N, ceiling N.
        #[arg(required = true, num_args = 1.., value_name = "POLICY")]
        args: Vec<String>,
    },
    /// Show a prefix's aggregate and the window a new flow would get.
    #[command(after_help = AUGMENT_SHOW_HELP)]
    Show {
        /// The prefix (exactly as in the path table).
        prefix: String,
        /// Compute windows for this MSS in bytes, 88..65535 (default 1428:
        /// IPv6 over a 1500-byte MTU with timestamps).
        #[arg(long, value_name = "BYTES")]
        mss: Option<u32>,
    },
}

#[derive(Subcommand)]
enum SetCmd {
    /// Set the failover strategy, globally or for one prefix.
    #[command(after_help = FAILOVER_HELP)]
    Failover {
        /// The strategy.
        #[arg(value_parser = ["nrto", "timeout", "off", "inherit"])]
        strategy: String,
        /// Parameters: n N, m M, t T, prefix PREFIX.
        #[arg(value_name = "PARAM")]
        params: Vec<String>,
    },
    /// Turn EXP3 path selection on or off and tune it, globally or for
    /// one prefix.
    #[command(after_help = EXP3_HELP)]
    Exp3 {
        /// On, off, or (with a prefix) inherit.
        #[arg(value_parser = ["on", "off", "inherit"])]
        mode: String,
        /// Parameters: gamma G, preset P, hook BYTES, keylen L, prefix PREFIX.
        #[arg(value_name = "PARAM", allow_negative_numbers = true)]
        params: Vec<String>,
    },
}

/// A failure with its exit status; printed as one line.
#[derive(Debug)]
struct Failure {
    code: u8,
    msg: String,
}

impl Failure {
    fn new(code: u8, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
        }
    }

    /// A request refused locally, before the device is opened.
    fn usage(what: &str, e: impl std::fmt::Display) -> Self {
        Self::new(EXIT_ERROR, format!("{what}: {e}"))
    }
}

struct Status {
    version: String,
    protocol: u32,
    max_msg: u32,
    queue_bytes: u32,
    knobs: Vec<(String, i32, i32, i32)>,
    counters: Vec<(String, u64)>,
}

fn status(dev: &mut Device) -> Result<Status, Failure> {
    let v = u32::from(proto::PROTO_VERSION);
    let mut st = dev
        .call(
            |b, s| proto::encode_hello(b, s, v, v),
            "a hello reply",
            |r| match r {
                Reply::Hello(h) => Some(Status {
                    version: String::from_utf8_lossy(h.module_version).into_owned(),
                    protocol: h.version,
                    max_msg: h.max_msg,
                    queue_bytes: h.queue_bytes,
                    knobs: Vec::new(),
                    counters: Vec::new(),
                }),
                _ => None,
            },
        )
        .map_err(|e| e.into_failure("hello", &[]))?;
    st.knobs = dev
        .call(
            |b, s| proto::encode_empty(b, MsgType::GetKnobs, s),
            "a knobs reply",
            |r| match r {
                Reply::Knobs(e) => Some(
                    e.knobs()
                        .map(|k| {
                            (
                                String::from_utf8_lossy(k.name).into_owned(),
                                k.value,
                                k.min,
                                k.max,
                            )
                        })
                        .collect(),
                ),
                _ => None,
            },
        )
        .map_err(|e| e.into_failure("tunables", &[]))?;
    st.counters = dev.counters()?;
    Ok(st)
}

fn status_json(st: &Status, device: &str) -> Value {
    let knobs: Map<String, Value> = st
        .knobs
        .iter()
        .map(|(n, v, lo, hi)| (n.clone(), json!({"value": v, "min": lo, "max": hi})))
        .collect();
    let counters: Map<String, Value> = st
        .counters
        .iter()
        .map(|(n, v)| (n.clone(), json!(v)))
        .collect();
    json!({
        "device": device,
        "module_version": st.version,
        "protocol": st.protocol,
        "max_msg": st.max_msg,
        "queue_bytes": st.queue_bytes,
        "knobs": knobs,
        "counters": counters,
    })
}

fn print_status(st: &Status, device: &str, as_json: bool) {
    if as_json {
        emit(&status_json(st, device).to_string());
        return;
    }
    emit(&format!(
        "tcp_pathchanger {} (protocol {}, {})",
        st.version, st.protocol, device
    ));
    emit("tunables:");
    for (n, v, lo, hi) in &st.knobs {
        emit(&format!("  net.tpc.{n:<24} {v:>8}   [{lo}, {hi}]"));
    }
    emit("counters:");
    for (n, v) in &st.counters {
        emit(&format!("  {n:<32} {v:>12}"));
    }
}

fn path_cmd(cli: &Cli, cmd: &PathCmd) -> Result<(), Failure> {
    match cmd {
        PathCmd::Add(a) | PathCmd::Replace(a) => {
            let excl = matches!(cmd, PathCmd::Add(_));
            let verb = if excl { "path add" } else { "path replace" };
            let prefix = parse_prefix(&a.prefix).map_err(|e| Failure::usage(verb, e))?;
            let what = format!("{verb} {}", fmt_prefix(&prefix));
            let paths = parse_path_tokens(&a.paths)
                .and_then(|p| srhs_of(&p).map(|_| p))
                .map_err(|e| Failure::usage(&what, e))?;
            // The module is the authority on the path list (and the tests
            // exercise its checks): what it would refuse is sent anyway and
            // only explains its EINVAL.
            let why = check_paths(&paths).err();
            Device::open(&cli.device)?.path_set(&prefix, &paths, excl, &what, why.as_deref())
        }
        PathCmd::Del { prefix } => {
            let prefix = parse_prefix(prefix).map_err(|e| Failure::usage("path del", e))?;
            let what = format!("path del {}", fmt_prefix(&prefix));
            Device::open(&cli.device)?.path_del(&prefix, &what)
        }
        PathCmd::Show { prefix } => {
            let only = prefix
                .as_deref()
                .map(parse_prefix)
                .transpose()
                .map_err(|e| Failure::usage("path show", e))?;
            let mut entries = Device::open(&cli.device)?.entries()?;
            if let Some(p) = only {
                entries.retain(|e| e.prefix == p);
                if entries.is_empty() {
                    return Err(Failure::new(
                        EXIT_ERROR,
                        format!("path show: no entry for {}", fmt_prefix(&p)),
                    ));
                }
            }
            if cli.json {
                emit(&output::entries_json(&entries).to_string());
            } else {
                output::entries_text(&entries).iter().for_each(|l| emit(l));
            }
            Ok(())
        }
    }
}

fn monitor(cli: &Cli, count: Option<u64>) -> Result<(), Failure> {
    let mut dev = Device::open(&cli.device)?;
    dev.subscribe()?;
    let mut seen = 0u64;
    while count.map_or(true, |n| seen < n) {
        let d = dev
            .next_event()
            .map_err(|f| Failure::new(f.code, format!("monitor: {}", f.msg)))?;
        output::notice_lines(&d, cli.json)
            .iter()
            .for_each(|l| emit(l));
        seen += 1;
    }
    Ok(())
}

fn exp3_cmd(cli: &Cli, cmd: &Exp3Cmd) -> Result<(), Failure> {
    match cmd {
        Exp3Cmd::Show { prefix } => {
            let only = prefix
                .as_deref()
                .map(parse_prefix)
                .transpose()
                .map_err(|e| Failure::usage("exp3 show", e))?;
            let mut states = Device::open(&cli.device)?.exp3_states()?;
            if let Some(p) = only {
                states.retain(|x| x.under(&p));
                if states.is_empty() {
                    return Err(Failure::new(
                        EXIT_ERROR,
                        format!("exp3 show: no EXP3 state under {}", fmt_prefix(&p)),
                    ));
                }
            }
            if cli.json {
                emit(&output::exp3_json(&states).to_string());
            } else {
                output::exp3_text(&states).iter().for_each(|l| emit(l));
            }
            Ok(())
        }
    }
}

fn augment_cmd(cli: &Cli, cmd: &AugmentCmd) -> Result<(), Failure> {
    match cmd {
        AugmentCmd::Set { prefix, args } => {
            let p = parse_prefix(prefix).map_err(|e| Failure::usage("augment set", e))?;
            let r = parse_augment(p, args).map_err(|e| Failure::usage("augment set", e))?;
            let what = format!("augment set {}", fmt_prefix(&p));
            Device::open(&cli.device)?.set_augment(&r, &what)
        }
        AugmentCmd::Show { prefix, mss } => {
            let p = parse_prefix(prefix).map_err(|e| Failure::usage("augment show", e))?;
            if mss.is_some_and(|m| !augment::QUERY_MSS.contains(&m)) {
                return Err(Failure::usage("augment show", "--mss must be 88..65535"));
            }
            let v = Device::open(&cli.device)?.augment_state(&p, mss.unwrap_or(0))?;
            if cli.json {
                emit(&output::augment_json(&v).to_string());
            } else {
                output::augment_text(&v).iter().for_each(|l| emit(l));
            }
            Ok(())
        }
    }
}

fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.cmd {
        Cmd::Status => {
            let mut dev = Device::open(&cli.device)?;
            let st = status(&mut dev)?;
            print_status(&st, &cli.device, cli.json);
            Ok(())
        }
        Cmd::Path(p) => path_cmd(cli, p),
        Cmd::Set(SetCmd::Failover { strategy, params }) => {
            let f =
                parse_failover(strategy, params).map_err(|e| Failure::usage("set failover", e))?;
            let what = format!("set failover {}", f.scope());
            Device::open(&cli.device)?.set_failover(&f, &what)
        }
        Cmd::Set(SetCmd::Exp3 { mode, params }) => {
            let x = parse_exp3(mode, params).map_err(|e| Failure::usage("set exp3", e))?;
            let what = format!("set exp3 {}", x.scope());
            Device::open(&cli.device)?.set_exp3(&x, &what)
        }
        Cmd::Exp3(c) => exp3_cmd(cli, c),
        Cmd::Augment(c) => augment_cmd(cli, c),
        Cmd::Ccp(CcpCmd::Status) => {
            let st = Device::open(&cli.device)?.ccp_status()?;
            if cli.json {
                emit(&output::ccp_json(&st).to_string());
            } else {
                output::ccp_text(&st).iter().for_each(|l| emit(l));
            }
            Ok(())
        }
        Cmd::Monitor { count } => monitor(cli, *count),
        Cmd::Stats => {
            let mut dev = Device::open(&cli.device)?;
            let counters = dev.counters()?;
            let entries = dev.entries()?;
            if cli.json {
                emit(&output::stats_json(&counters, &entries).to_string());
            } else {
                output::stats_text(&counters, &entries)
                    .iter()
                    .for_each(|l| emit(l));
            }
            Ok(())
        }
        Cmd::Apply {
            file,
            prune,
            dry_run,
        } => apply::run(&cli.device, file, *prune, *dry_run),
    }
}

fn main() -> ExitCode {
    // Usage errors exit with 1: status 2 means "module not loaded".
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { 0 });
        }
    };
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("tpcctl: {}", f.msg);
            ExitCode::from(f.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_device_means_module_not_loaded() {
        let Err(f) = Device::open("/nonexistent/tpc") else {
            panic!("opened a missing device");
        };
        assert_eq!(f.code, EXIT_NO_MODULE);
        assert!(f.msg.contains("module loaded?"), "{}", f.msg);
        assert_eq!(f.msg.lines().count(), 1);
    }

    #[test]
    fn a_device_that_does_not_answer_is_an_error() {
        // /dev/null swallows the request and reads back nothing.
        let mut dev = Device::open("/dev/null").unwrap_or_else(|f| panic!("{}", f.msg));
        let Err(f) = status(&mut dev) else {
            panic!("status from /dev/null");
        };
        assert_eq!(f.code, EXIT_ERROR);
        assert!(f.msg.contains("malformed reply"), "{}", f.msg);
    }

    #[test]
    fn json_shape() {
        let st = Status {
            version: "0.1.0".into(),
            protocol: 1,
            max_msg: 4096,
            queue_bytes: 16384,
            knobs: vec![("failover_rtos".into(), 3, 1, 64)],
            counters: vec![("conns_active".into(), 2)],
        };
        let v = status_json(&st, "/dev/tpc");
        assert_eq!(
            v["knobs"]["failover_rtos"],
            json!({"value": 3, "min": 1, "max": 64})
        );
        assert_eq!(v["counters"]["conns_active"], 2);
        assert_eq!(v["protocol"], 1);
        assert_eq!(v["device"], "/dev/tpc");
    }
}
