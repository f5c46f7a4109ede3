// SPDX-License-Identifier: GPL-2.0

//! `tpcctl`: controller for the tcp_pathchanger kernel module.
//!
//! Talks to the module's control device (`/dev/tpc`) with the message
//! protocol of `tpc/proto.rs`, the same file the module is built from.

use clap::{Parser, Subcommand};
use serde_json::{json, Map, Value};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::process::ExitCode;

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

use proto::{MsgType, Reply};

/// Exit status: the module (its device) is not there.
const EXIT_NO_MODULE: u8 = 2;
/// Exit status: permission denied.
const EXIT_DENIED: u8 = 3;
/// Exit status: any other error.
const EXIT_ERROR: u8 = 1;

#[derive(Parser)]
#[command(
    name = "tpcctl",
    version,
    about = "Control the tcp_pathchanger kernel module (TCP Path Changer)",
    after_help = "Exit status: 0 success, 1 error, 2 module not loaded (no device), \
                  3 permission denied (needs CAP_NET_ADMIN)."
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

#[derive(Subcommand)]
enum Cmd {
    /// Show the module version, protocol, tunables (net.tpc.*) and counters.
    Status,
}

/// A failure with its exit status; printed as one line.
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
}

/// An open control device.
struct Device {
    file: File,
    path: String,
    seq: u32,
}

impl Device {
    fn open(path: &str) -> Result<Self, Failure> {
        match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => Ok(Self {
                file,
                path: path.to_string(),
                seq: 0,
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Failure::new(
                EXIT_NO_MODULE,
                format!("{path} does not exist: is the tcp_pathchanger module loaded?"),
            )),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Err(Failure::new(
                EXIT_DENIED,
                format!("{path}: permission denied (needs root or CAP_NET_ADMIN)"),
            )),
            Err(e) => Err(Failure::new(EXIT_ERROR, format!("{path}: {e}"))),
        }
    }

    /// Sends one request and returns the raw reply.
    fn request(
        &mut self,
        encode: impl FnOnce(&mut [u8], u32) -> Result<usize, proto::ProtoError>,
    ) -> Result<Vec<u8>, Failure> {
        self.seq = self.seq.wrapping_add(1);
        let mut buf = vec![0u8; proto::MSG_MAX];
        let n = encode(&mut buf, self.seq)
            .map_err(|e| Failure::new(EXIT_ERROR, format!("encoding request: {e}")))?;
        let w = self
            .file
            .write(&buf[..n])
            .map_err(|e| Failure::new(EXIT_ERROR, format!("{}: write: {e}", self.path)))?;
        if w != n {
            return Err(Failure::new(
                EXIT_ERROR,
                format!("{}: short write", self.path),
            ));
        }
        let r = self
            .file
            .read(&mut buf)
            .map_err(|e| Failure::new(EXIT_ERROR, format!("{}: read: {e}", self.path)))?;
        buf.truncate(r);
        Ok(buf)
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

fn bad_reply(e: impl std::fmt::Display) -> Failure {
    Failure::new(EXIT_ERROR, format!("malformed reply from the module: {e}"))
}

fn status(dev: &mut Device) -> Result<Status, Failure> {
    let v = u32::from(proto::PROTO_VERSION);
    let raw = dev.request(|b, s| proto::encode_hello(b, s, v, v))?;
    let (h, r) = proto::decode_reply(&raw).map_err(bad_reply)?;
    let Reply::Hello(hello) = r else {
        return Err(bad_reply("expected a hello reply"));
    };
    if h.seq != dev.seq {
        return Err(bad_reply("sequence number mismatch"));
    }
    let mut st = Status {
        version: String::from_utf8_lossy(hello.module_version).into_owned(),
        protocol: hello.version,
        max_msg: hello.max_msg,
        queue_bytes: hello.queue_bytes,
        knobs: Vec::new(),
        counters: Vec::new(),
    };

    let raw = dev.request(|b, s| proto::encode_empty(b, MsgType::GetKnobs, s))?;
    let Reply::Knobs(e) = proto::decode_reply(&raw).map_err(bad_reply)?.1 else {
        return Err(bad_reply("expected a knobs reply"));
    };
    st.knobs = e
        .knobs()
        .map(|k| {
            (
                String::from_utf8_lossy(k.name).into_owned(),
                k.value,
                k.min,
                k.max,
            )
        })
        .collect();

    let raw = dev.request(|b, s| proto::encode_empty(b, MsgType::GetCounters, s))?;
    let Reply::Counters(e) = proto::decode_reply(&raw).map_err(bad_reply)?.1 else {
        return Err(bad_reply("expected a counters reply"));
    };
    st.counters = e
        .counters()
        .map(|(n, v)| (String::from_utf8_lossy(n).into_owned(), v))
        .collect();
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
        println!("{}", status_json(st, device));
        return;
    }
    println!(
        "tcp_pathchanger {} (protocol {}, {})",
        st.version, st.protocol, device
    );
    println!("tunables:");
    for (n, v, lo, hi) in &st.knobs {
        println!("  net.tpc.{n:<24} {v:>8}   [{lo}, {hi}]");
    }
    println!("counters:");
    for (n, v) in &st.counters {
        println!("  {n:<32} {v:>12}");
    }
}

fn run(cli: &Cli) -> Result<(), Failure> {
    match cli.cmd {
        Cmd::Status => {
            let mut dev = Device::open(&cli.device)?;
            let st = status(&mut dev)?;
            print_status(&st, &cli.device, cli.json);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
