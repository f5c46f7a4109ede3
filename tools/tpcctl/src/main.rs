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

#[allow(dead_code)] // The module-side encoders are not used here.
#[path = "../../../tpc/events.rs"]
mod events;
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
use parse::{check_paths, fmt_prefix, parse_failover, parse_path_tokens, parse_prefix, srhs_of};
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

const MONITOR_HELP: &str = "\
Each event is one line:
  KTIME_NS REASON [SADDR]:SPORT -> [DADDR]:DPORT path OLD -> NEW
KTIME_NS is CLOCK_MONOTONIC; REASON is init, rto, dupdata, timeout, pin or
request. A reader that fell behind first gets a line 'lost N events'.
With --json each line is one JSON object ({\"lost\":N} for lost events).";

const APPLY_HELP: &str = "\
File format (TOML):
  [failover]                  # optional, global
  strategy = \"nrto\"           # nrto | timeout | off
  n = 3
  m = 2
  t = \"700ms\"

  [[prefix]]
  prefix = \"fd00:b::/64\"
  paths = [\"direct\", \"fc00::30\", \"fc00::31,fc00::41\"]
  failover = { strategy = \"timeout\", t = \"700ms\", m = 2 }  # optional; or \"inherit\"

Each path is \"direct\" (path 0 only) or comma-separated waypoints. The whole
file is checked first; then the global failover is set, with --prune the
table's other prefixes are deleted, and each prefix's paths are installed
(replacing existing ones) followed by its failover, if given.";

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
    /// Print path-change events as they happen, one line each.
    #[command(after_help = MONITOR_HELP)]
    Monitor {
        /// Exit after N events.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// Show the global counters and each prefix's path changes.
    Stats,
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
        output::event_lines(&d, cli.json)
            .iter()
            .for_each(|l| emit(l));
        seen += 1;
    }
    Ok(())
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
