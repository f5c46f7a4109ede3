// SPDX-License-Identifier: GPL-2.0

//! `ccp-agent`: a congestion-control agent for the `ccp` datapath of
//! tcp_pathchanger (`/dev/ccpkp`), on the portus 0.9.0 library.
//!
//! ```text
//! ccp-agent [--alg reno|cubic] [--ipc char|unix] [--per-ack | --interval-ms N]
//!           [--init-cwnd-pkts N] [--log-file PATH] [-v]
//! ```
//!
//! - `--ipc char` (default): the character device `/dev/ccpkp` (load
//!   tcp_pathchanger first); `--ipc unix`: portus' Unix datagram socket,
//!   bound at `/tmp/ccp/portus` (for userspace datapaths).
//! - Each flow the datapath announces (CREATE) gets the datapath program of
//!   the chosen reporting mode: a report on every ACK (`--per-ack`), or one
//!   every N ms (`--interval-ms`, default 10) and at once on loss or
//!   timeout. Every report feeds the window algorithm (`window.rs`: Reno
//!   or Cubic, in bytes with the flow's MSS) and the new window goes back
//!   to the datapath (UPDATE_FIELDS `Cwnd`).
//! - `--init-cwnd-pkts N`: initial window of N segments instead of the
//!   datapath's (CREATE `init_cwnd`).
//!
//! Besides portus' own log (tracing, stderr; info, or debug with `-v`;
//! `RUST_LOG` overrides), the agent writes one line per event, flushed at
//! once, to stderr or `--log-file`, for tests and operators:
//!
//! ```text
//! create sid=S mss=M init_cwnd=BYTES alg=reno|cubic
//! report sid=S acked=BYTES rtt_us=US loss=PKTS timeout=0|1 cwnd=BYTES
//! update sid=S cwnd=BYTES
//! close sid=S reports=N
//! ```
//!
//! `init_cwnd` is CREATE's; `report ... cwnd` is the datapath's window
//! when it reported; `update` is the window the agent sets (the first one
//! with the program, in `new_flow`). Report and update lines are sampled
//! per flow: the first 5, then every 100th. Errors are logged as
//! `error sid=S ...`.
//!
//! The agent runs until it is killed (SIGTERM/SIGINT) or portus stops; a
//! portus error (e.g. the device cannot be opened) exits with status 1.

mod programs;
mod window;

use clap::{Parser, ValueEnum};
use portus::ipc::{kp, unix, BackendBuilder, Blocking, Ipc};
use portus::lang::Scope;
use portus::{CongAlg, Datapath, DatapathInfo, DatapathTrait, Flow, Report, RunBuilder};
use programs::{INTERVAL, PER_ACK};
use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use window::{Cubic, Reno, Sample, Window};

/// Window algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Alg {
    /// Reno (slow start, +1 segment per window acknowledged, halve on loss).
    Reno,
    /// Cubic (RFC 8312, beta 0.7, C 0.4).
    Cubic,
}

/// IPC to the datapath.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum IpcKind {
    /// The character device /dev/ccpkp (tcp_pathchanger).
    Char,
    /// portus' Unix datagram socket /tmp/ccp/portus.
    Unix,
}

impl Alg {
    fn name(self) -> &'static str {
        match self {
            Alg::Reno => "reno",
            Alg::Cubic => "cubic",
        }
    }
}

impl IpcKind {
    fn name(self) -> &'static str {
        match self {
            IpcKind::Char => "char",
            IpcKind::Unix => "unix",
        }
    }
}

/// Command line.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "ccp-agent",
    version,
    about = "CCP agent (Reno, Cubic) for the ccp datapath (/dev/ccpkp), on portus 0.9.0",
    after_help = "Event lines (stderr or --log-file): create sid= mss= init_cwnd= alg=; \
                  report sid= acked= rtt_us= loss= timeout= cwnd=; update sid= cwnd=; \
                  close sid= reports=. Report and update lines: the first 5 of each flow, \
                  then every 100th."
)]
struct Cli {
    /// Window algorithm.
    #[arg(long, value_enum, default_value = "reno")]
    alg: Alg,
    /// IPC to the datapath.
    #[arg(long, value_enum, default_value = "char")]
    ipc: IpcKind,
    /// Report on every ACK (instead of every --interval-ms).
    #[arg(long, conflicts_with = "interval_ms")]
    per_ack: bool,
    /// Report every N ms, and at once on loss or timeout.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..=60_000)
    )]
    interval_ms: u32,
    /// Initial window in segments (0: the datapath's, from CREATE).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        value_parser = clap::value_parser!(u32).range(0..=100_000)
    )]
    init_cwnd_pkts: u32,
    /// Append the event lines to this file instead of stderr.
    #[arg(long, value_name = "PATH")]
    log_file: Option<String>,
    /// Debug logging of portus.
    #[arg(short, long)]
    verbose: bool,
}

impl Cli {
    /// The settings line printed at startup.
    fn settings(&self) -> String {
        let mode = if self.per_ack {
            "per-ack".to_string()
        } else {
            format!("interval {} ms", self.interval_ms)
        };
        let mut s = format!(
            "ccp-agent: alg={} ipc={} report={}",
            self.alg.name(),
            self.ipc.name(),
            mode
        );
        if self.init_cwnd_pkts > 0 {
            s += &format!(" init_cwnd_pkts={}", self.init_cwnd_pkts);
        }
        s
    }
}

fn window_for(alg: Alg, mss: u32, init: u64) -> Box<dyn Window> {
    match alg {
        Alg::Reno => Box::new(Reno::new(mss, init)),
        Alg::Cubic => Box::new(Cubic::new(mss, init)),
    }
}

/// The event log (stderr or a file), flushed after every line, shared by
/// all flows.
#[derive(Clone)]
struct Log(Arc<Mutex<Box<dyn Write + Send>>>);

impl Log {
    fn line(&self, s: &str) {
        if let Ok(mut w) = self.0.lock() {
            let _ = writeln!(w, "{s}");
            let _ = w.flush();
        }
    }
}

/// Sampling of the per-report lines: the first 5 of a flow, then every
/// 100th (`n` counts from 1).
fn sampled(n: u64) -> bool {
    n <= 5 || n.is_multiple_of(100)
}

/// The algorithm as portus sees it (one for all flows).
struct Agent {
    cli: Cli,
    log: Log,
    start: Instant,
}

/// One flow.
struct AgentFlow<I: Ipc> {
    dp: Datapath<I>,
    sc: Scope,
    w: Box<dyn Window>,
    sid: u32,
    reports: u64,
    updates: u64,
    errors: u64,
    log: Log,
    start: Instant,
}

impl<I: Ipc> AgentFlow<I> {
    /// Reads the report's fields (and the datapath's window); an error if
    /// the report does not match the flow's program.
    fn sample(&self, r: &Report) -> Result<(Sample, u64), portus::Error> {
        let f = |name: &str| r.get_field(name, &self.sc);
        Ok((
            Sample {
                acked: f("Report.acked")?,
                lost: f("Report.loss")?,
                timeout: f("Report.timeout")? != 0,
                rtt_us: f("Report.rtt")?,
                now_us: u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX),
            },
            f("Report.cwnd")?,
        ))
    }

    fn error(&mut self, what: &str) {
        self.errors += 1;
        if sampled(self.errors) {
            self.log
                .line(&format!("error sid={} {what} (#{})", self.sid, self.errors));
        }
    }

    /// Sends window `cwnd` (bytes) to the datapath, and logs it.
    fn update(&mut self, cwnd: u64) {
        let c = u32::try_from(cwnd).unwrap_or(u32::MAX);
        self.updates += 1;
        if sampled(self.updates) {
            self.log
                .line(&format!("update sid={} cwnd={}", self.sid, c));
        }
        if let Err(e) = self.dp.update_field(&self.sc, &[("Cwnd", c)]) {
            self.error(&format!("update: {}", msg(&e)));
        }
    }
}

impl<I: Ipc> Flow for AgentFlow<I> {
    fn on_report(&mut self, _sock_id: u32, r: Report) {
        let (s, dp_cwnd) = match self.sample(&r) {
            Ok(v) => v,
            Err(e) => {
                self.error(&format!("report: {}", msg(&e)));
                return;
            }
        };
        self.reports += 1;
        if sampled(self.reports) {
            self.log.line(&format!(
                "report sid={} acked={} rtt_us={} loss={} timeout={} cwnd={}",
                self.sid,
                s.acked,
                s.rtt_us,
                s.lost,
                u8::from(s.timeout),
                dp_cwnd
            ));
        }
        let cwnd = self.w.on_report(&s);
        self.update(cwnd);
    }

    fn close(&mut self) {
        self.log
            .line(&format!("close sid={} reports={}", self.sid, self.reports));
    }
}

impl<I: Ipc> CongAlg<I> for Agent {
    type Flow = AgentFlow<I>;

    fn name() -> &'static str {
        "ccp-agent"
    }

    fn datapath_programs(&self) -> HashMap<&'static str, String> {
        HashMap::from([
            ("per_ack", PER_ACK.to_string()),
            ("interval", INTERVAL.to_string()),
        ])
    }

    fn new_flow(&self, mut dp: Datapath<I>, info: DatapathInfo) -> AgentFlow<I> {
        let init = if self.cli.init_cwnd_pkts > 0 {
            u64::from(self.cli.init_cwnd_pkts) * u64::from(info.mss)
        } else {
            u64::from(info.init_cwnd)
        };
        let w = window_for(self.cli.alg, info.mss, init);
        self.log.line(&format!(
            "create sid={} mss={} init_cwnd={} alg={}",
            info.sock_id,
            info.mss,
            info.init_cwnd,
            w.name()
        ));
        let cwnd = u32::try_from(w.cwnd()).unwrap_or(u32::MAX);
        // The interval is below 2^31 µs (at most 60 s): a valid immediate.
        let interval_us = self.cli.interval_ms.saturating_mul(1000);
        let sc = if self.cli.per_ack {
            dp.set_program("per_ack", Some(&[("Cwnd", cwnd)]))
        } else {
            dp.set_program(
                "interval",
                Some(&[("interval", interval_us), ("Cwnd", cwnd)]),
            )
        };
        let mut f = AgentFlow {
            dp,
            sc: Scope::new(),
            w,
            sid: info.sock_id,
            reports: 0,
            updates: 0,
            errors: 0,
            log: self.log.clone(),
            start: self.start,
        };
        match sc {
            Ok(sc) => {
                f.sc = sc;
                // The window went with the program.
                f.updates = 1;
                f.log.line(&format!("update sid={} cwnd={}", f.sid, cwnd));
            }
            // The flow stays on the datapath's fallback; its reports (if
            // any) cannot be read.
            Err(e) => f.error(&format!("set_program: {}", msg(&e))),
        }
        f
    }
}

/// The text of a portus error, without portus' "portus err: " prefix.
fn msg(e: &portus::Error) -> &str {
    e.0.strip_prefix("portus err: ").unwrap_or(&e.0)
}

/// Runs portus over `sock` until it stops.
fn run<I: Ipc>(sock: I, agent: Agent) -> portus::Result<()> {
    RunBuilder::new(BackendBuilder { sock })
        .default_alg(agent)
        .run()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = if cli.verbose { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .with_env_filter(filter)
        .init();
    let out: Box<dyn Write + Send> = match &cli.log_file {
        Some(p) => match OpenOptions::new().create(true).append(true).open(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("ccp-agent: cannot open log file {p}: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => Box::new(io::stderr()),
    };
    eprintln!("{}", cli.settings());
    let agent = Agent {
        log: Log(Arc::new(Mutex::new(out))),
        start: Instant::now(),
        cli: cli.clone(),
    };
    let res = match cli.ipc {
        IpcKind::Char => match kp::Socket::<Blocking>::new() {
            Ok(s) => run(s, agent),
            Err(e) => {
                eprintln!(
                    "ccp-agent: cannot open /dev/ccpkp: {} (is tcp_pathchanger loaded? are you root?)",
                    msg(&e)
                );
                return ExitCode::FAILURE;
            }
        },
        IpcKind::Unix => match unix::Socket::<Blocking>::new("portus") {
            Ok(s) => run(s, agent),
            Err(e) => {
                eprintln!("ccp-agent: cannot bind /tmp/ccp/portus: {}", msg(&e));
                return ExitCode::FAILURE;
            }
        },
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ccp-agent: portus stopped: {}", msg(&e));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portus::lang::Reg;

    /// The fields every report carries (all volatile), and what the agent
    /// reads.
    const FIELDS: [&str; 7] = [
        "Report.acked",
        "Report.sacked",
        "Report.loss",
        "Report.timeout",
        "Report.rtt",
        "Report.inflight",
        "Report.cwnd",
    ];

    fn compile(src: &str) -> (portus::lang::Bin, Scope) {
        portus::lang::compile(src.as_bytes(), &[]).unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// Instructions as text, e.g. `Bind Implicit(3, ..) ImmNum(0)`.
    fn instrs(bin: &portus::lang::Bin, from: u32, n: u32) -> Vec<String> {
        bin.instrs[from as usize..(from + n) as usize]
            .iter()
            .map(|i| format!("{:?} {:?} {:?} {:?}", i.op, i.res, i.left, i.right))
            .collect()
    }

    /// Both programs compile with portus and define the report fields the
    /// agent reads, as volatile Report registers in the same order.
    #[test]
    fn programs_compile_with_the_report_fields() {
        for (name, src) in [("per_ack", PER_ACK), ("interval", INTERVAL)] {
            let (bin, sc) = compile(src);
            assert!(!bin.instrs.is_empty(), "{name}");
            for (i, f) in FIELDS.iter().enumerate() {
                match sc.get(f) {
                    Some(Reg::Report(idx, _, volatile)) => {
                        assert_eq!(usize::from(*idx), i, "{name}: {f}");
                        assert!(*volatile, "{name}: {f} volatile");
                    }
                    r => panic!("{name}: {f} is {r:?}"),
                }
            }
            // The window can be set through the program's scope.
            assert!(matches!(sc.get("Cwnd"), Some(Reg::Implicit(4, _))));
            // Every instruction fits portus 0.9.0's immediates.
            for i in &bin.instrs {
                for r in [&i.left, &i.right] {
                    if let Reg::ImmNum(v) = r {
                        assert!(*v < 1 << 31 || *v == u64::MAX, "{name}: {v}");
                    }
                }
            }
        }
    }

    /// Per ACK: one event, always true, that reports.
    #[test]
    fn per_ack_program_reports_on_every_ack() {
        let (bin, sc) = compile(PER_ACK);
        assert!(sc.get("interval").is_none());
        assert_eq!(bin.events.len(), 1);
        let ev = &bin.events[0];
        let flag = instrs(&bin, ev.flag_idx, ev.num_flag_instrs).join(";");
        assert!(flag.contains("ImmBool(true)"), "{flag}");
        let body = instrs(&bin, ev.body_idx, ev.num_body_instrs);
        // (report) is BIND Implicit 2 <- true, last; no fallthrough.
        assert!(
            body.last().unwrap().starts_with("Bind Implicit(2"),
            "{body:?}"
        );
        assert!(!body.iter().any(|i| i.starts_with("Bind Implicit(1")));
    }

    /// Interval: accumulate and fall through; report on loss or timeout;
    /// report when Micros > interval; both reset Micros.
    #[test]
    fn interval_program_reports_per_interval_and_on_loss() {
        let (bin, sc) = compile(INTERVAL);
        let Some(Reg::Control(ci, _, _)) = sc.get("interval") else {
            panic!("interval is not a Control register");
        };
        assert_eq!(bin.events.len(), 3);
        let ev = |n: usize| {
            let e = &bin.events[n];
            (
                instrs(&bin, e.flag_idx, e.num_flag_instrs).join(";"),
                instrs(&bin, e.body_idx, e.num_body_instrs),
            )
        };
        let (_, body) = ev(0);
        assert!(body.iter().any(|i| i.starts_with("Bind Implicit(1")));
        assert!(!body.iter().any(|i| i.starts_with("Bind Implicit(2")));
        let (flag, _) = ev(1);
        assert!(
            flag.contains("Report(2,") && flag.contains("Report(3,"),
            "{flag}"
        );
        let (flag, _) = ev(2);
        assert!(
            flag.starts_with("Gt ")
                && flag.contains("Implicit(3,")
                && flag.contains(&format!("Control({ci},")),
            "{flag}"
        );
        for n in [1, 2] {
            let (_, body) = ev(n);
            assert!(
                body.iter().any(|i| i.starts_with("Bind Implicit(2")),
                "{body:?}"
            );
            assert!(
                body.iter()
                    .any(|i| i.starts_with("Bind Implicit(3") && i.ends_with("ImmNum(0)")),
                "{body:?}"
            );
        }
        // The interval set with the program is accepted.
        let (_, sc) = portus::lang::compile(INTERVAL.as_bytes(), &[("interval", 60_000_000)])
            .expect("compile with interval");
        assert!(sc.get("interval").is_some());
    }

    #[test]
    fn cli_defaults_and_conflicts() {
        let c = Cli::try_parse_from(["ccp-agent"]).unwrap();
        assert_eq!(
            (c.alg, c.ipc, c.per_ack, c.interval_ms, c.init_cwnd_pkts),
            (Alg::Reno, IpcKind::Char, false, 10, 0)
        );
        assert_eq!(
            c.settings(),
            "ccp-agent: alg=reno ipc=char report=interval 10 ms"
        );
        let c = Cli::try_parse_from(["ccp-agent", "--alg", "cubic", "--ipc", "unix", "--per-ack"])
            .unwrap();
        assert_eq!(c.settings(), "ccp-agent: alg=cubic ipc=unix report=per-ack");
        assert!(Cli::try_parse_from(["ccp-agent", "--alg", "bbr"]).is_err());
        assert!(Cli::try_parse_from(["ccp-agent", "--per-ack", "--interval-ms", "5"]).is_err());
        assert!(Cli::try_parse_from(["ccp-agent", "--interval-ms", "0"]).is_err());
        assert!(Cli::try_parse_from(["ccp-agent", "--ipc", "netlink"]).is_err());
    }

    #[test]
    fn sampling() {
        let lines: Vec<u64> = (1..=1000).filter(|&n| sampled(n)).collect();
        assert_eq!(lines[..7], [1, 2, 3, 4, 5, 100, 200]);
        assert_eq!(lines.len(), 5 + 10);
    }
}
