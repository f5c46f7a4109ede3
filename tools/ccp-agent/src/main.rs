// SPDX-License-Identifier: GPL-2.0

//! `ccp-agent`: a congestion-control agent for the `ccp` datapath of
//! tcp_pathchanger (`/dev/ccpkp`), on the portus 0.9.0 library.
//!
//! ```text
//! ccp-agent [--alg reno|cubic] [--ipc char] [--per-ack | --interval-ms N]
//!           [--init-cwnd-pkts N] [--log-file PATH] [-v]
//! ```
//!
//! Each flow the datapath announces (CREATE) gets the datapath program of
//! the chosen reporting mode: a report on every ACK, or one every N ms
//! (and at once on loss or timeout). Every report feeds the window
//! algorithm (`window.rs`) and the new window goes back to the datapath.
//!
//! Besides portus' own log (stderr), the agent writes one line per event,
//! to stderr or `--log-file`, for tests and operators:
//!
//! ```text
//! create sid=S mss=M init_cwnd=BYTES alg=NAME
//! report sid=S acked=BYTES rtt_us=US loss=PKTS timeout=0|1 cwnd=BYTES
//! close sid=S reports=N
//! ```
//!
//! Report lines are sampled: the first 5 of each flow, then every 100th.

mod window;

use clap::Parser;
use portus::ipc::{kp, BackendBuilder, Blocking};
use portus::lang::Scope;
use portus::{CongAlg, Datapath, DatapathInfo, DatapathTrait, Flow, Report, RunBuilder};
use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use window::{Cubic, Reno, Sample, Window};

/// Command line.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "ccp-agent",
    version,
    about = "CCP agent (Reno, Cubic) for /dev/ccpkp, on portus 0.9.0"
)]
struct Cli {
    /// Window algorithm.
    #[arg(long, default_value = "reno", value_parser = ["reno", "cubic"])]
    alg: String,
    /// IPC to the datapath: "char" is /dev/ccpkp (the only one this agent
    /// speaks).
    #[arg(long, default_value = "char", value_parser = ["char"])]
    ipc: String,
    /// Report on every ACK.
    #[arg(long, conflicts_with = "interval_ms")]
    per_ack: bool,
    /// Report every N ms (and at once on loss or timeout).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60_000))]
    interval_ms: u32,
    /// Initial window in packets (0: the datapath's, from CREATE).
    #[arg(long, default_value_t = 0)]
    init_cwnd_pkts: u32,
    /// Write the event lines here instead of stderr.
    #[arg(long, value_name = "PATH")]
    log_file: Option<String>,
    /// Debug logging of portus.
    #[arg(short, long)]
    verbose: bool,
}

/// The event log (stderr or a file), line-buffered and shared.
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

/// The datapath program reporting on every ACK.
const PER_ACK: &str = "
(def (Report (volatile acked 0) (volatile sacked 0) (volatile loss 0)
             (volatile timeout false) (volatile rtt 0) (volatile inflight 0) (volatile cwnd 0)))
(when true
    (:= Report.acked (+ Report.acked Ack.bytes_acked))
    (:= Report.sacked (+ Report.sacked Ack.packets_misordered))
    (:= Report.loss (+ Report.loss Ack.lost_pkts_sample))
    (:= Report.timeout Flow.was_timeout)
    (:= Report.rtt Flow.rtt_sample_us)
    (:= Report.inflight Flow.packets_in_flight)
    (:= Report.cwnd Cwnd)
    (report))
";

/// The datapath program reporting every `interval` µs, and at once on
/// loss or timeout.
const INTERVAL: &str = "
(def (Report (volatile acked 0) (volatile sacked 0) (volatile loss 0)
             (volatile timeout false) (volatile rtt 0) (volatile inflight 0) (volatile cwnd 0))
     (interval 10000))
(when true
    (:= Report.acked (+ Report.acked Ack.bytes_acked))
    (:= Report.sacked (+ Report.sacked Ack.packets_misordered))
    (:= Report.loss (+ Report.loss Ack.lost_pkts_sample))
    (:= Report.timeout Flow.was_timeout)
    (:= Report.rtt Flow.rtt_sample_us)
    (:= Report.inflight Flow.packets_in_flight)
    (:= Report.cwnd Cwnd)
    (fallthrough))
(when (|| Report.timeout (> Report.loss 0))
    (report)
    (:= Micros 0))
(when (> Micros interval)
    (report)
    (:= Micros 0))
";

/// The algorithm as portus sees it.
struct Agent {
    cli: Cli,
    log: Log,
    start: Instant,
}

/// One flow.
struct AgentFlow {
    dp: Datapath<kp::Socket<Blocking>>,
    sc: Scope,
    w: Box<dyn Window>,
    sid: u32,
    reports: u64,
    log: Log,
    start: Instant,
}

fn field(r: &Report, sc: &Scope, name: &str) -> u64 {
    r.get_field(name, sc).unwrap_or(0)
}

impl Flow for AgentFlow {
    fn on_report(&mut self, _sock_id: u32, r: Report) {
        let s = Sample {
            acked: field(&r, &self.sc, "Report.acked"),
            lost: field(&r, &self.sc, "Report.loss"),
            timeout: field(&r, &self.sc, "Report.timeout") != 0,
            rtt_us: field(&r, &self.sc, "Report.rtt"),
            now_us: self.start.elapsed().as_micros() as u64,
        };
        let cwnd = self.w.on_report(&s);
        self.reports += 1;
        if self.reports <= 5 || self.reports.is_multiple_of(100) {
            self.log.line(&format!(
                "report sid={} acked={} rtt_us={} loss={} timeout={} cwnd={}",
                self.sid,
                s.acked,
                s.rtt_us,
                s.lost,
                u8::from(s.timeout),
                field(&r, &self.sc, "Report.cwnd")
            ));
        }
        let c = u32::try_from(cwnd).unwrap_or(u32::MAX);
        if let Err(e) = self.dp.update_field(&self.sc, &[("Cwnd", c)]) {
            self.log
                .line(&format!("error sid={} update: {e:?}", self.sid));
        }
    }

    fn close(&mut self) {
        self.log
            .line(&format!("close sid={} reports={}", self.sid, self.reports));
    }
}

impl CongAlg<kp::Socket<Blocking>> for Agent {
    type Flow = AgentFlow;

    fn name() -> &'static str {
        "ccp-agent"
    }

    fn datapath_programs(&self) -> HashMap<&'static str, String> {
        HashMap::from([
            ("per_ack", PER_ACK.to_string()),
            ("interval", INTERVAL.to_string()),
        ])
    }

    fn new_flow(&self, mut dp: Datapath<kp::Socket<Blocking>>, info: DatapathInfo) -> AgentFlow {
        let init = if self.cli.init_cwnd_pkts > 0 {
            u64::from(self.cli.init_cwnd_pkts) * u64::from(info.mss)
        } else {
            u64::from(info.init_cwnd)
        };
        let w: Box<dyn Window> = match self.cli.alg.as_str() {
            "cubic" => Box::new(Cubic::new(info.mss, init)),
            _ => Box::new(Reno::new(info.mss, init)),
        };
        let cwnd = u32::try_from(w.cwnd()).unwrap_or(u32::MAX);
        let interval_us = self.cli.interval_ms.saturating_mul(1000);
        let sc = if self.cli.per_ack {
            dp.set_program("per_ack", Some(&[("Cwnd", cwnd)]))
        } else {
            dp.set_program(
                "interval",
                Some(&[("interval", interval_us), ("Cwnd", cwnd)]),
            )
        };
        let sc = match sc {
            Ok(sc) => sc,
            Err(e) => {
                // Cannot happen with the programs above; the flow stays on
                // the datapath's fallback.
                self.log
                    .line(&format!("error sid={} set_program: {e:?}", info.sock_id));
                Scope::new()
            }
        };
        self.log.line(&format!(
            "create sid={} mss={} init_cwnd={} alg={}",
            info.sock_id,
            info.mss,
            info.init_cwnd,
            w.name()
        ));
        AgentFlow {
            dp,
            sc,
            w,
            sid: info.sock_id,
            reports: 0,
            log: self.log.clone(),
            start: self.start,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_max_level(if cli.verbose {
            tracing_subscriber::filter::LevelFilter::DEBUG
        } else {
            tracing_subscriber::filter::LevelFilter::INFO
        })
        .init();
    let out: Box<dyn Write + Send> = match &cli.log_file {
        Some(p) => match OpenOptions::new().create(true).append(true).open(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("ccp-agent: cannot open {p}: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => Box::new(io::stderr()),
    };
    let log = Log(Arc::new(Mutex::new(out)));
    let mode = if cli.per_ack {
        "per-ack".to_string()
    } else {
        format!("interval {} ms", cli.interval_ms)
    };
    eprintln!("ccp-agent: alg={} ipc={} report={}", cli.alg, cli.ipc, mode);
    let sock = match kp::Socket::<Blocking>::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ccp-agent: cannot open /dev/ccpkp: {e:?} (is tcp_pathchanger loaded?)");
            return ExitCode::FAILURE;
        }
    };
    let agent = Agent {
        cli,
        log,
        start: Instant::now(),
    };
    match RunBuilder::new(BackendBuilder { sock })
        .default_alg(agent)
        .run()
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ccp-agent: {e:?}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both programs compile with portus and name the fields the agent
    /// reads.
    #[test]
    fn programs_compile_with_the_fields_read() {
        for (name, src, controls) in [
            ("per_ack", PER_ACK, &[][..]),
            ("interval", INTERVAL, &["interval"][..]),
        ] {
            let (bin, sc) = portus::lang::compile(src.as_bytes(), &[])
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(!bin.instrs.is_empty());
            for f in [
                "Report.acked",
                "Report.loss",
                "Report.timeout",
                "Report.rtt",
                "Report.cwnd",
            ] {
                assert!(
                    matches!(sc.get(f), Some(portus::lang::Reg::Report(..))),
                    "{name}: {f}"
                );
            }
            for c in controls {
                assert!(
                    matches!(sc.get(c), Some(portus::lang::Reg::Control(..))),
                    "{name}: {c}"
                );
            }
        }
    }

    #[test]
    fn cli_defaults_and_conflicts() {
        let c = Cli::try_parse_from(["ccp-agent"]).unwrap();
        assert_eq!(
            (c.alg.as_str(), c.ipc.as_str(), c.per_ack, c.interval_ms),
            ("reno", "char", false, 10)
        );
        assert!(Cli::try_parse_from(["ccp-agent", "--alg", "bbr"]).is_err());
        assert!(Cli::try_parse_from(["ccp-agent", "--per-ack", "--interval-ms", "5"]).is_err());
        assert!(Cli::try_parse_from(["ccp-agent", "--interval-ms", "0"]).is_err());
        assert!(Cli::try_parse_from(["ccp-agent", "--ipc", "unix"]).is_err());
    }
}
