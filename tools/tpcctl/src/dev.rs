// SPDX-License-Identifier: GPL-2.0

//! The control device: one request per `write(2)`, one reply per `read(2)`.
//!
//! A request the module refuses makes `write(2)` fail with an errno; the
//! helpers here turn that into one clear line with a hint.

use crate::events::{Delivery, UpdateEvent};
use crate::exp3::{Preset, Sample};
use crate::parse::{fmt_prefix, srhs_of, Exp3Set, Failover, PathSpec};
use crate::paths::{PathStats, Prefix, Strategy, REASONS};
use crate::proto::{self, Exp3PathView, MsgType, ProtoError, Reply};
use crate::{Failure, EXIT_DENIED, EXIT_ERROR, EXIT_NO_MODULE};
use std::fs::OpenOptions;
use std::io::{self, Read, Write};

/// Hints for errnos of one request, tried before the generic ones.
pub(crate) type Hints<'a> = &'a [(i32, &'a str)];

/// Why a request failed.
pub(crate) enum CallError {
    /// The module refused the request: `write(2)` failed with this error.
    Refused(io::Error),
    /// Anything else (reading the reply, a malformed or unexpected reply).
    Failed(Failure),
}

impl CallError {
    /// The errno of a refusal.
    pub(crate) fn errno(&self) -> Option<i32> {
        match self {
            Self::Refused(e) => e.raw_os_error(),
            Self::Failed(_) => None,
        }
    }

    /// Turns the error into a failure of `what` (e.g. `path add fd00::/64`).
    pub(crate) fn into_failure(self, what: &str, hints: Hints<'_>) -> Failure {
        match self {
            Self::Refused(e) => refused(what, &e, hints),
            Self::Failed(f) => f,
        }
    }
}

impl From<Failure> for CallError {
    fn from(f: Failure) -> Self {
        Self::Failed(f)
    }
}

/// Symbolic name of an errno, for messages.
pub(crate) fn errno_name(e: i32) -> Option<&'static str> {
    Some(match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::ENXIO => "ENXIO",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::ERANGE => "ERANGE",
        libc::EPROTO => "EPROTO",
        libc::EBADMSG => "EBADMSG",
        libc::EMSGSIZE => "EMSGSIZE",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::ENOBUFS => "ENOBUFS",
        _ => return None,
    })
}

/// `strerror` text of an I/O error, without std's "(os error N)" suffix,
/// followed by the errno's name: `Invalid argument (EINVAL)`.
pub(crate) fn describe_os_error(e: &io::Error) -> String {
    let text = e.to_string();
    let Some(n) = e.raw_os_error() else {
        return text;
    };
    let suffix = format!(" (os error {n})");
    let text = text.strip_suffix(&suffix).unwrap_or(&text);
    match errno_name(n) {
        Some(name) => format!("{text} ({name})"),
        None => format!("{text} (errno {n})"),
    }
}

/// Hints that hold for every request.
fn generic_hint(e: i32) -> Option<&'static str> {
    Some(match e {
        libc::EPERM | libc::EACCES => "needs root or CAP_NET_ADMIN",
        libc::EINVAL => "request refused; see dmesg",
        libc::EAGAIN => "reply queue of this file full; see dmesg",
        libc::EBADMSG | libc::EMSGSIZE => {
            "malformed request; tpcctl and the module disagree on the protocol (see dmesg)"
        }
        libc::EPROTO | libc::EPROTONOSUPPORT | libc::EOPNOTSUPP => {
            "the module speaks another protocol version; use the tpcctl built with it"
        }
        libc::ENODEV | libc::ENXIO => "is the tcp_pathchanger module loaded?",
        _ => return None,
    })
}

/// The failure for a request refused with `e`.
pub(crate) fn refused(what: &str, e: &io::Error, hints: Hints<'_>) -> Failure {
    let n = e.raw_os_error().unwrap_or(0);
    let hint = hints
        .iter()
        .find(|(h, _)| *h == n)
        .map(|(_, s)| *s)
        .or_else(|| generic_hint(n));
    let code = if n == libc::EPERM || n == libc::EACCES {
        EXIT_DENIED
    } else {
        EXIT_ERROR
    };
    let mut msg = format!("{what}: {}", describe_os_error(e));
    if let Some(h) = hint {
        msg.push_str(": ");
        msg.push_str(h);
    }
    Failure::new(code, msg)
}

/// A reply that is not what the request expects.
pub(crate) fn bad_reply(e: impl std::fmt::Display) -> Failure {
    Failure::new(EXIT_ERROR, format!("malformed reply from the module: {e}"))
}

/// One path of a table entry, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PathInfo {
    /// SRH bytes; empty for the direct path.
    pub(crate) srh: Vec<u8>,
    /// Its counters.
    pub(crate) stats: PathStats,
}

/// One table entry as read with `PATH_GET`, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EntryInfo {
    /// The prefix.
    pub(crate) prefix: Prefix,
    /// Its strategy override; `None` follows the global settings.
    pub(crate) strategy: Option<Strategy>,
    /// Bumped whenever the paths are replaced.
    pub(crate) generation: u32,
    /// Path changes by reason value (index 0 unused).
    pub(crate) moves: [u64; REASONS],
    /// Failed path changes.
    pub(crate) apply_failed: u64,
    /// The paths, in order.
    pub(crate) paths: Vec<PathInfo>,
}

impl EntryInfo {
    fn from_view(v: &proto::PathEntryView<'_>) -> Self {
        Self {
            prefix: v.prefix,
            strategy: v.strategy,
            generation: v.generation,
            moves: v.moves,
            apply_failed: v.apply_failed,
            paths: v
                .paths()
                .map(|(srh, stats)| PathInfo {
                    srh: srh.to_vec(),
                    stats,
                })
                .collect(),
        }
    }
}

/// One EXP3 state as read with `EXP3_GET`, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Exp3Info {
    /// Destinations the state covers.
    pub(crate) key: Prefix,
    /// The path-table entry its paths belong to.
    pub(crate) entry: Prefix,
    /// Generation of the entry's paths.
    pub(crate) generation: u32,
    /// Paths left out of draws (bit i: path i).
    pub(crate) failed_mask: u8,
    /// Settings in force: on.
    pub(crate) on: bool,
    /// Settings in force: reward rule.
    pub(crate) preset: Preset,
    /// Settings in force: Γ in millionths.
    pub(crate) gamma_ppm: u32,
    /// Settings in force: hook rate in bytes.
    pub(crate) hook_bytes: u32,
    /// Settings in force: key length.
    pub(crate) keylen: u8,
    /// Reward normalisation range (µs).
    pub(crate) rtt_min_us: u32,
    /// See `rtt_min_us`.
    pub(crate) rtt_max_us: u32,
    /// Weight updates.
    pub(crate) updates: u64,
    /// Times a path was marked failed.
    pub(crate) failures: u64,
    /// The module's clock when it answered (ns).
    pub(crate) now_ns: u64,
    /// The paths, in order.
    pub(crate) paths: Vec<Exp3PathView>,
    /// The recent rewards, oldest first.
    pub(crate) history: Vec<Sample>,
}

impl Exp3Info {
    fn from_view(v: &proto::Exp3StateView<'_>) -> Self {
        Self {
            key: v.key,
            entry: v.entry,
            generation: v.generation,
            failed_mask: v.failed_mask,
            on: v.on,
            preset: v.preset,
            gamma_ppm: v.gamma_ppm,
            hook_bytes: v.hook_bytes,
            keylen: v.keylen,
            rtt_min_us: v.rtt_min_us,
            rtt_max_us: v.rtt_max_us,
            updates: v.updates,
            failures: v.failures,
            now_ns: v.now_ns,
            paths: v.paths().collect(),
            history: v.history().collect(),
        }
    }

    /// Whether path `i` is left out of draws.
    pub(crate) fn failed(&self, i: usize) -> bool {
        i < 8 && self.failed_mask & (1 << i) != 0
    }

    /// Whether `tpcctl exp3 show PREFIX` shows this state: its key is
    /// inside `p`, or its table entry is `p`.
    pub(crate) fn under(&self, p: &Prefix) -> bool {
        (self.key.len >= p.len && p.contains(&self.key.addr)) || self.entry == *p
    }
}

/// What a subscribed file delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Notice {
    /// A path change.
    Path(Delivery),
    /// An EXP3 weight update.
    Exp3(Delivery<UpdateEvent>),
}

/// What a device is read and written through (a file; a fake in tests).
trait Chan: Read + Write {}

impl<T: Read + Write> Chan for T {}

/// An open control device.
pub(crate) struct Device {
    file: Box<dyn Chan>,
    path: String,
    seq: u32,
    buf: Vec<u8>,
}

impl Device {
    pub(crate) fn open(path: &str) -> Result<Self, Failure> {
        match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => Ok(Self::with_chan(Box::new(file), path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Failure::new(
                EXIT_NO_MODULE,
                format!("{path} does not exist: is the tcp_pathchanger module loaded?"),
            )),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Err(Failure::new(
                EXIT_DENIED,
                format!("{path}: permission denied (needs root or CAP_NET_ADMIN)"),
            )),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENODEV | libc::ENXIO)) => {
                Err(Failure::new(
                    EXIT_NO_MODULE,
                    format!(
                        "{path}: {}: is the tcp_pathchanger module loaded?",
                        describe_os_error(&e)
                    ),
                ))
            }
            Err(e) => Err(Failure::new(
                EXIT_ERROR,
                format!("{path}: {}", describe_os_error(&e)),
            )),
        }
    }

    fn with_chan(file: Box<dyn Chan>, path: &str) -> Self {
        Self {
            file,
            path: path.to_string(),
            seq: 0,
            buf: vec![0u8; proto::MSG_MAX],
        }
    }

    /// Reads one whole message (blocking); returns its length in `self.buf`.
    fn read_msg(&mut self) -> Result<usize, Failure> {
        loop {
            match self.file.read(&mut self.buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Failure::new(
                        EXIT_ERROR,
                        format!("{}: read: {}", self.path, describe_os_error(&e)),
                    ))
                }
            }
        }
    }

    /// Sends one request, reads its reply and hands it to `take`, which
    /// returns `None` if the reply is not of the expected kind (`expected`
    /// names it in the error). Checks the reply's sequence number.
    pub(crate) fn call<T>(
        &mut self,
        encode: impl FnOnce(&mut [u8], u32) -> Result<usize, ProtoError>,
        expected: &str,
        take: impl FnOnce(Reply<'_>) -> Option<T>,
    ) -> Result<T, CallError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut req = vec![0u8; proto::MSG_MAX];
        let n = encode(&mut req, seq)
            .map_err(|e| Failure::new(EXIT_ERROR, format!("encoding the request: {e}")))?;
        match self.file.write(&req[..n]) {
            Ok(w) if w == n => {}
            Ok(_) => {
                return Err(Failure::new(EXIT_ERROR, format!("{}: short write", self.path)).into())
            }
            Err(e) => return Err(CallError::Refused(e)),
        }
        let r = self.read_msg()?;
        let (hdr, reply) = proto::decode_reply(&self.buf[..r]).map_err(bad_reply)?;
        if hdr.seq != seq {
            return Err(bad_reply("sequence number mismatch").into());
        }
        take(reply).ok_or_else(|| bad_reply(format!("expected {expected}")).into())
    }

    /// Sends a request whose success reply is an ack.
    pub(crate) fn ack(
        &mut self,
        what: &str,
        hints: Hints<'_>,
        encode: impl FnOnce(&mut [u8], u32) -> Result<usize, ProtoError>,
    ) -> Result<(), Failure> {
        self.call(encode, "an ack", |r| matches!(r, Reply::Ack).then_some(()))
            .map_err(|e| e.into_failure(what, hints))
    }

    /// The module's counters, as `(name, value)`.
    pub(crate) fn counters(&mut self) -> Result<Vec<(String, u64)>, Failure> {
        self.call(
            |b, s| proto::encode_empty(b, MsgType::GetCounters, s),
            "a counters reply",
            |r| match r {
                Reply::Counters(e) => Some(
                    e.counters()
                        .map(|(n, v)| (String::from_utf8_lossy(n).into_owned(), v))
                        .collect(),
                ),
                _ => None,
            },
        )
        .map_err(|e| e.into_failure("counters", &[]))
    }

    /// The CCP datapath's state and statistics, as `(name, value)`.
    pub(crate) fn ccp_status(&mut self) -> Result<Vec<(String, u64)>, Failure> {
        self.call(
            |b, s| proto::encode_empty(b, MsgType::CcpGet, s),
            "a CCP status reply",
            |r| match r {
                Reply::CcpStatus(e) => Some(
                    e.counters()
                        .map(|(n, v)| (String::from_utf8_lossy(n).into_owned(), v))
                        .collect(),
                ),
                _ => None,
            },
        )
        .map_err(|e| e.into_failure("ccp status", &[]))
    }

    /// Every item of an indexed listing (path entries, EXP3 states): asks
    /// for index 0, 1, ... until the reply's count or `ENOENT`. `get`
    /// encodes the request for an index; `pick` takes the item and the
    /// count out of the reply.
    fn list<T>(
        &mut self,
        what: &'static str,
        cmd: &'static str,
        get: impl Fn(&mut [u8], u32, u32) -> Result<usize, proto::ProtoError>,
        pick: impl Fn(Reply<'_>) -> Option<(T, u32)>,
    ) -> Result<Vec<T>, Failure> {
        let mut out = Vec::new();
        // Tables hold at most 128 items; the bound only guards against a
        // module that never says "no more".
        let mut index: u32 = 0;
        while index < 4096 {
            match self.call(|b, s| get(b, s, index), what, &pick) {
                Ok((e, count)) => {
                    out.push(e);
                    index += 1;
                    if index >= count {
                        break;
                    }
                }
                Err(e) if e.errno() == Some(libc::ENOENT) => break,
                Err(e) => return Err(e.into_failure(cmd, &[])),
            }
        }
        Ok(out)
    }

    /// The whole path table, in the module's order.
    pub(crate) fn entries(&mut self) -> Result<Vec<EntryInfo>, Failure> {
        self.list(
            "a path entry",
            "path show",
            proto::encode_path_get,
            |r| match r {
                Reply::PathEntry(v) => Some((EntryInfo::from_view(&v), v.count)),
                _ => None,
            },
        )
    }

    /// Every EXP3 state, in the module's order.
    pub(crate) fn exp3_states(&mut self) -> Result<Vec<Exp3Info>, Failure> {
        self.list(
            "an EXP3 state",
            "exp3 show",
            proto::encode_exp3_get,
            |r| match r {
                Reply::Exp3State(v) => Some((Exp3Info::from_view(&v), v.count)),
                _ => None,
            },
        )
    }

    /// Sends an EXP3 setting.
    pub(crate) fn set_exp3(&mut self, x: &Exp3Set, what: &str) -> Result<(), Failure> {
        let req = x.request();
        self.ack(
            what,
            &[
                (
                    libc::EINVAL,
                    "value out of range (see the net.tpc.exp3* sysctls) or bad prefix; see dmesg",
                ),
                (libc::ENOENT, "no paths for this prefix; add them first"),
            ],
            |b, s| proto::encode_set_exp3(b, s, &req),
        )
    }

    /// Sends an Augmenter policy.
    pub(crate) fn set_augment(&mut self, r: &proto::AugReq, what: &str) -> Result<(), Failure> {
        self.ack(
            what,
            &[
                (
                    libc::EINVAL,
                    "bad policy, window, or a ceiling below the floor (with the net.tpc.augment_* sysctls); see dmesg",
                ),
                (
                    libc::ENOENT,
                    "no path-table entry for exactly this prefix (add paths first, or give it as 'tpcctl path show' does)",
                ),
            ],
            |b, s| proto::encode_aug_set(b, s, r),
        )
    }

    /// Reads the Augmenter state of `prefix`, windows for `mss` (0: the
    /// module's default).
    pub(crate) fn augment_state(
        &mut self,
        prefix: &Prefix,
        mss: u32,
    ) -> Result<proto::AugStateView, Failure> {
        self.call(
            |b, s| proto::encode_aug_get(b, s, prefix, mss),
            "an augment state",
            |r| match r {
                Reply::AugState(v) => Some(v),
                _ => None,
            },
        )
        .map_err(|e| {
            e.into_failure(
                &format!("augment show {}", fmt_prefix(prefix)),
                &[(
                    libc::ENOENT,
                    "no path-table entry for this prefix (give it exactly as 'tpcctl path show' does)",
                )],
            )
        })
    }

    /// Installs (`excl`: only creates) the paths of `prefix`. `why`, if
    /// given, explains an `EINVAL` (what a local check found wrong).
    pub(crate) fn path_set(
        &mut self,
        prefix: &Prefix,
        paths: &[PathSpec],
        excl: bool,
        what: &str,
        why: Option<&str>,
    ) -> Result<(), Failure> {
        let srhs = srhs_of(paths).map_err(|e| Failure::new(EXIT_ERROR, format!("{what}: {e}")))?;
        let srhs: Vec<&[u8]> = srhs.iter().map(Vec::as_slice).collect();
        self.ack(
            what,
            &[
                (
                    libc::EINVAL,
                    why.unwrap_or("invalid prefix or SRH; see dmesg"),
                ),
                (libc::EEXIST, "prefix exists; use 'path replace'"),
                (libc::ENOSPC, "path table full (64 prefixes)"),
            ],
            |b, s| proto::encode_path_set(b, s, prefix, &srhs, excl),
        )
    }

    /// Deletes the paths of `prefix`.
    pub(crate) fn path_del(&mut self, prefix: &Prefix, what: &str) -> Result<(), Failure> {
        self.ack(
            what,
            &[
                (libc::ENOENT, "no entry for this prefix"),
                (libc::EINVAL, "invalid prefix; see dmesg"),
            ],
            |b, s| proto::encode_path_del(b, s, prefix),
        )
    }

    /// Sends a failover setting.
    pub(crate) fn set_failover(&mut self, f: &Failover, what: &str) -> Result<(), Failure> {
        let req = f.request();
        self.ack(
            what,
            &[
                (
                    libc::EINVAL,
                    "value out of range (see the net.tpc sysctls) or bad prefix; see dmesg",
                ),
                (libc::ENOENT, "no paths for this prefix; add them first"),
            ],
            |b, s| proto::encode_set_failover(b, s, &req),
        )
    }

    /// Starts receiving events on this file.
    pub(crate) fn subscribe(&mut self) -> Result<(), Failure> {
        self.ack("monitor: subscribe", &[], |b, s| {
            proto::encode_empty(b, MsgType::Subscribe, s)
        })
    }

    /// Blocks until the next path change or EXP3 update (after
    /// [`Device::subscribe`]).
    pub(crate) fn next_event(&mut self) -> Result<Notice, Failure> {
        let n = self.read_msg()?;
        match proto::decode_reply(&self.buf[..n]).map_err(bad_reply)? {
            (_, Reply::Event(d)) => Ok(Notice::Path(d)),
            (_, Reply::Update(d)) => Ok(Notice::Exp3(d)),
            _ => Err(bad_reply("expected an event")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::augment;
    use crate::events::Event;
    use crate::exp3::{self, Settings, State};
    use crate::fpu_helpers::Sf;
    use crate::parse::{parse_exp3, parse_path_tokens, parse_prefix, FailoverKind};
    use crate::paths::{Entry, PathError, PathTable, Reason, StrategyKind, MAX_PREFIXES};
    use crate::proto::Request;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// The fake module's `augment_*` sysctls.
    const AUG_SETTINGS: augment::Settings = augment::Settings {
        floor: 10,
        ceiling: 512,
        half_life_ms: 1000,
        stale_ms: 10_000,
    };
    use std::rc::Rc;

    /// The module's side of the device, built from the same pure-logic
    /// files (the strategy knobs reduced to a tuple).
    struct FakeState {
        table: PathTable<[Option<Entry>; MAX_PREFIXES]>,
        replies: VecDeque<Vec<u8>>,
        events: VecDeque<Notice>,
        subscribed: bool,
        global: (u8, u32, u32, u32),
        exp3: Settings,
        states: Vec<State>,
    }

    #[derive(Clone)]
    struct Fake(Rc<RefCell<FakeState>>);

    fn os(e: i32) -> io::Error {
        io::Error::from_raw_os_error(e)
    }

    fn path_errno(e: PathError) -> io::Error {
        os(match e {
            PathError::TableFull => libc::ENOSPC,
            PathError::NotFound => libc::ENOENT,
            PathError::Exists => libc::EEXIST,
            _ => libc::EINVAL,
        })
    }

    impl Fake {
        fn new() -> Self {
            Self(Rc::new(RefCell::new(FakeState {
                table: PathTable::new([None; MAX_PREFIXES]),
                replies: VecDeque::new(),
                events: VecDeque::new(),
                subscribed: false,
                global: (1, 3, 2, 700),
                exp3: Settings {
                    on: false,
                    preset: Preset::Textbook,
                    gamma_ppm: 100_000,
                    hook_bytes: 1 << 20,
                    keylen: 64,
                    ref_ms: 23,
                    fail_timeout_ms: 10_000,
                },
                states: Vec::new(),
            })))
        }

        fn device(&self) -> Device {
            Device::with_chan(Box::new(self.clone()), "fake")
        }
    }

    impl Write for Fake {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut st = self.0.borrow_mut();
            let (hdr, req) = proto::decode_request(buf).map_err(|_| os(libc::EBADMSG))?;
            let mut out = vec![0u8; proto::MSG_MAX];
            let seq = hdr.seq;
            let n = match req {
                Request::PathSet {
                    prefix,
                    paths,
                    excl,
                } => {
                    st.table
                        .set(prefix, paths.iter(), excl)
                        .map_err(path_errno)?;
                    proto::encode_ack(&mut out, seq)
                }
                Request::PathDel { prefix } => {
                    st.table.del(prefix).map_err(path_errno)?;
                    proto::encode_ack(&mut out, seq)
                }
                Request::PathGet { index } => {
                    let e = *st.table.nth(index as usize).ok_or(os(libc::ENOENT))?;
                    let count = st.table.len() as u32;
                    proto::encode_path_entry(&mut out, seq, index, count, &e)
                }
                Request::SetFailover(r) => {
                    if r.plen == proto::SCOPE_GLOBAL {
                        if r.kind == proto::KIND_INHERIT {
                            return Err(os(libc::EINVAL));
                        }
                        let g = st.global;
                        let keep = |v: u32, old: u32| if v == 0 { old } else { v };
                        st.global = (r.kind, keep(r.n, g.1), keep(r.m, g.2), keep(r.t_ms, g.3));
                    } else {
                        let p = Prefix::new(r.addr, r.plen).map_err(|_| os(libc::EINVAL))?;
                        let g = st.global;
                        let pick = |v: u32, d: u32| if v == 0 { d } else { v };
                        let s = if r.kind == proto::KIND_INHERIT {
                            None
                        } else {
                            Some(Strategy {
                                kind: StrategyKind::from_raw(u32::from(r.kind))
                                    .ok_or(os(libc::EINVAL))?,
                                n: pick(r.n, g.1),
                                m: pick(r.m, g.2),
                                t_ms: pick(r.t_ms, g.3),
                            })
                        };
                        st.table.set_strategy(p, s).map_err(path_errno)?;
                    }
                    proto::encode_ack(&mut out, seq)
                }
                Request::SetExp3(r) => {
                    r.ov.validate().map_err(|_| os(libc::EINVAL))?;
                    if r.plen == proto::SCOPE_GLOBAL {
                        if r.ov.mode == exp3::INHERIT_U8 {
                            return Err(os(libc::EINVAL));
                        }
                        st.exp3 = r.ov.resolve(&st.exp3);
                    } else {
                        let p = Prefix::new(r.addr, r.plen).map_err(|_| os(libc::EINVAL))?;
                        st.table.set_exp3(p, r.ov).map_err(path_errno)?;
                    }
                    proto::encode_ack(&mut out, seq)
                }
                Request::Exp3Get { index } => {
                    let state = *st.states.get(index as usize).ok_or(os(libc::ENOENT))?;
                    let g = st.exp3;
                    let s = st
                        .table
                        .get_mut(state.entry)
                        .map_or(g, |e| e.exp3.resolve(&g));
                    let count = st.states.len() as u32;
                    proto::encode_exp3_state(&mut out, seq, index, count, &state, &s, 5_000_000)
                }
                Request::Subscribe => {
                    st.subscribed = true;
                    proto::encode_ack(&mut out, seq)
                }
                Request::GetCounters => {
                    proto::encode_counters(&mut out, seq, [("conns_active", 2u64)].into_iter())
                }
                Request::CcpGet => proto::encode_ccp_status(
                    &mut out,
                    seq,
                    [("agent_attached", 1u64), ("flows", 3)].into_iter(),
                ),
                Request::AugSet(r) => {
                    let c = augment::Config::from_wire(
                        r.kind,
                        r.fixed,
                        r.floor,
                        r.ceiling,
                        &AUG_SETTINGS,
                    )
                    .map_err(|_| os(libc::EINVAL))?;
                    let p =
                        Prefix::new(r.prefix.addr, r.prefix.len).map_err(|_| os(libc::EINVAL))?;
                    st.table.set_augment(p, c).map_err(path_errno)?;
                    proto::encode_ack(&mut out, seq)
                }
                Request::AugGet { prefix, mss } => {
                    let e = st.table.get_mut(prefix).ok_or(os(libc::ENOENT))?;
                    let v = proto::AugStateView::of(e, mss, 5_000_000, &AUG_SETTINGS);
                    proto::encode_aug_state(&mut out, seq, &v)
                }
                Request::Hello { .. } | Request::GetKnobs => return Err(os(libc::EOPNOTSUPP)),
            };
            let n = n.map_err(|_| os(libc::EINVAL))?;
            st.replies.push_back(out[..n].to_vec());
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Read for Fake {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let mut st = self.0.borrow_mut();
            if let Some(r) = st.replies.pop_front() {
                buf[..r.len()].copy_from_slice(&r);
                return Ok(r.len());
            }
            let n = match st.events.pop_front() {
                Some(Notice::Path(d)) if st.subscribed => proto::encode_event(buf, 0, &d),
                Some(Notice::Exp3(d)) if st.subscribed => proto::encode_update(buf, 0, &d),
                _ => return Err(os(libc::EAGAIN)),
            };
            n.map_err(|_| os(libc::EMSGSIZE))
        }
    }

    fn pfx(s: &str) -> Prefix {
        parse_prefix(s).unwrap()
    }

    fn paths(s: &str) -> Vec<PathSpec> {
        let t: Vec<String> = s.split_whitespace().map(String::from).collect();
        parse_path_tokens(&t).unwrap()
    }

    #[test]
    fn path_table_round_trip() {
        let fake = Fake::new();
        let mut dev = fake.device();
        assert!(dev.entries().unwrap().is_empty());
        let b = pfx("fd00:b::/64");
        dev.path_set(&b, &paths("direct via fc00::31"), true, "add b", None)
            .unwrap();
        dev.path_set(
            &pfx("2001:db8:2::/48"),
            &paths("via fc00:1::1,fc00:3::1 via fc00:2::1"),
            true,
            "add c",
            None,
        )
        .unwrap();

        let Err(f) = dev.path_set(&b, &paths("direct"), true, "path add fd00:b::/64", None) else {
            panic!("added twice");
        };
        assert_eq!(
            f.msg,
            "path add fd00:b::/64: File exists (EEXIST): prefix exists; use 'path replace'"
        );
        let Err(f) = dev.path_set(
            &b,
            &paths("raw 0011"),
            false,
            "path replace fd00:b::/64",
            None,
        ) else {
            panic!("bad SRH accepted");
        };
        assert!(
            f.msg
                .ends_with("(EINVAL): invalid prefix or SRH; see dmesg"),
            "{}",
            f.msg
        );
        dev.path_set(
            &b,
            &paths("direct via fc00::31 via fc00::41"),
            false,
            "replace",
            None,
        )
        .unwrap();
        let nine = paths(
            &(1..=9)
                .map(|i| format!("via fc00::{i} "))
                .collect::<String>(),
        );
        let why = crate::parse::check_paths(&nine).unwrap_err();
        let Err(f) = dev.path_set(&b, &nine, false, "path replace fd00:b::/64", Some(&why)) else {
            panic!("9 paths accepted");
        };
        assert_eq!(
            f.msg,
            "path replace fd00:b::/64: Invalid argument (EINVAL): 9 paths, at most 8 allowed"
        );
        fake.0
            .borrow_mut()
            .table
            .get_mut(b)
            .unwrap()
            .record_move(None, 0, Reason::Init);

        let e = dev.entries().unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].prefix, b);
        assert_eq!(e[0].paths.len(), 3);
        assert!(e[0].paths[0].srh.is_empty());
        assert_eq!(e[0].paths[0].stats.starts, 1);
        assert_eq!(e[0].moves[Reason::Init as usize], 1);
        let text = crate::output::entries_text(&e);
        assert_eq!(text[0], "fd00:b::/64 strategy inherit generation 3");
        assert!(text[3].starts_with("  path 2 via fc00::41 "), "{}", text[3]);
        assert!(text[6].contains("via fc00:1::1,fc00:3::1"), "{}", text[6]);

        dev.set_failover(
            &Failover {
                kind: FailoverKind::Strategy(StrategyKind::Timeout),
                n: 0,
                m: 5,
                t_ms: 0,
                prefix: Some(b),
            },
            "set failover fd00:b::/64",
        )
        .unwrap();
        let s = dev.entries().unwrap()[0].strategy.unwrap();
        assert_eq!(
            (s.kind, s.n, s.m, s.t_ms),
            (StrategyKind::Timeout, 3, 5, 700)
        );
        let mut inherit = Failover::new(FailoverKind::Inherit);
        inherit.prefix = Some(b);
        dev.set_failover(&inherit, "x").unwrap();
        assert_eq!(dev.entries().unwrap()[0].strategy, None);
        inherit.prefix = Some(pfx("fd00:9::/64"));
        let Err(f) = dev.set_failover(&inherit, "set failover fd00:9::/64") else {
            panic!("override of a prefix without paths");
        };
        assert!(f
            .msg
            .ends_with("(ENOENT): no paths for this prefix; add them first"));

        dev.path_del(&b, "del").unwrap();
        let Err(f) = dev.path_del(&b, "path del fd00:b::/64") else {
            panic!("deleted twice");
        };
        assert_eq!(
            f.msg,
            "path del fd00:b::/64: No such file or directory (ENOENT): no entry for this prefix"
        );
        assert_eq!(dev.entries().unwrap().len(), 1);
        assert_eq!(
            dev.counters().unwrap(),
            vec![("conns_active".to_string(), 2)]
        );
    }

    #[test]
    fn ccp_status_round_trip() {
        let fake = Fake::new();
        let mut dev = fake.device();
        assert_eq!(
            dev.ccp_status().unwrap(),
            vec![("agent_attached".to_string(), 1), ("flows".to_string(), 3)]
        );
    }

    #[test]
    fn events_after_subscribe() {
        let fake = Fake::new();
        let mut dev = fake.device();
        dev.subscribe().unwrap();
        let ev = Delivery {
            seq: 4,
            lost: 2,
            event: Event {
                reason: Reason::DupData,
                ..Event::EMPTY
            },
        };
        fake.0.borrow_mut().events.push_back(Notice::Path(ev));
        let up = Delivery {
            seq: 9,
            lost: 1,
            event: UpdateEvent {
                path: 2,
                npaths: 3,
                reward_ppm: -5,
                ..UpdateEvent::EMPTY
            },
        };
        fake.0.borrow_mut().events.push_back(Notice::Exp3(up));
        assert_eq!(dev.next_event().unwrap(), Notice::Path(ev));
        assert_eq!(dev.next_event().unwrap(), Notice::Exp3(up));
    }

    fn exp3_set(s: &str) -> Exp3Set {
        let t: Vec<String> = s.split_whitespace().map(String::from).collect();
        parse_exp3(&t[0], &t[1..]).unwrap()
    }

    #[test]
    fn augment_set_and_show() {
        let fake = Fake::new();
        let mut dev = fake.device();
        let p = pfx("fd00:9::2/128");
        let set = |dev: &mut Device, args: &str| {
            let r = crate::parse::parse_augment(p, &toks(args)).unwrap();
            dev.set_augment(&r, "augment set")
        };
        let e = set(&mut dev, "learned").unwrap_err();
        assert!(
            e.msg
                .contains("no path-table entry for exactly this prefix"),
            "{}",
            e.msg
        );
        assert!(dev
            .augment_state(&p, 0)
            .unwrap_err()
            .msg
            .contains("no path-table entry"));
        dev.path_set(&p, &paths("direct"), true, "path add", None)
            .unwrap();
        set(&mut dev, "fixed 40").unwrap();
        let v = dev.augment_state(&p, 0).unwrap();
        assert_eq!(
            (v.policy, v.fixed, v.mss),
            (augment::POLICY_FIXED, 40, 1428)
        );
        // The module's check against its sysctls (floor 10).
        let e = set(&mut dev, "learned ceiling 5").unwrap_err();
        assert!(e.msg.contains("ceiling below the floor"), "{}", e.msg);
        set(&mut dev, "learned floor 20 ceiling 30").unwrap();
        let v = dev.augment_state(&p, 1000).unwrap();
        assert_eq!((v.eff_floor, v.eff_ceiling, v.mss), (20, 30, 1000));
        let text = crate::output::augment_text(&v).join("\n");
        assert!(
            text.contains("policy learned, floor 20, ceiling 30"),
            "{text}"
        );
        assert!(
            text.contains("no fresh data") && text.contains("empty"),
            "{text}"
        );
        let j = crate::output::augment_json(&v);
        assert_eq!(j["policy"], "learned");
        assert_eq!(j["learned"], serde_json::Value::Null);
        assert_eq!(j["bounds_crossed"], false);
        // 0 follows the sysctl again.
        set(&mut dev, "learned floor 0 ceiling 0").unwrap();
        let v = dev.augment_state(&p, 0).unwrap();
        assert_eq!(
            (v.floor, v.ceiling, v.eff_floor, v.eff_ceiling),
            (0, 0, 10, 512)
        );
    }

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn exp3_settings_and_states() {
        let fake = Fake::new();
        let mut dev = fake.device();
        assert!(dev.exp3_states().unwrap().is_empty());
        let b = pfx("fd00:b::/64");
        dev.path_set(&b, &paths("direct via fc00::31"), true, "add b", None)
            .unwrap();
        // Global: the sysctls.
        dev.set_exp3(&exp3_set("on gamma 0.2 hook 64KiB"), "set exp3 global")
            .unwrap();
        let g = fake.0.borrow().exp3;
        assert!(g.on);
        assert_eq!((g.gamma_ppm, g.hook_bytes, g.keylen), (200_000, 65536, 64));
        // A prefix without paths.
        let Err(f) = dev.set_exp3(&exp3_set("off prefix fd00:9::/64"), "set exp3 fd00:9::/64")
        else {
            panic!("override of a prefix without paths");
        };
        assert_eq!(
            f.msg,
            "set exp3 fd00:9::/64: No such file or directory (ENOENT): no paths for this prefix; add them first"
        );
        // Refused by the module (a raw request the parser would not make).
        let mut bad = exp3_set("on");
        bad.gamma_ppm = Some(2_000_000);
        let Err(f) = dev.set_exp3(&bad, "set exp3 global") else {
            panic!("gamma 2 accepted");
        };
        assert!(f.msg.contains("(EINVAL): value out of range"), "{}", f.msg);
        dev.set_exp3(
            &exp3_set("inherit preset as-coded keylen 80 prefix fd00:b::/64"),
            "set exp3 fd00:b::/64",
        )
        .unwrap();

        // Two states: one under fd00:b::/64, one under another entry.
        let mut st = State::new(pfx("fd00:b::/80"), b, 1, 2, 1_000_000);
        let p = Sf::from_ratio(1, 2);
        let s = fake.0.borrow().exp3;
        st.draw(s.gamma_ppm, 7, 2_000_000);
        st.reward(&s, 0, p, 2, 10_000, 3_000_000).unwrap();
        st.mark_failed(1, 0);
        let other = State::new(pfx("fd00:c::/64"), pfx("fd00:c::/48"), 1, 3, 0);
        fake.0.borrow_mut().states = vec![st, other];

        let got = dev.exp3_states().unwrap();
        assert_eq!(got.len(), 2);
        let x = &got[0];
        assert_eq!((x.key, x.entry), (pfx("fd00:b::/80"), b));
        // The prefix's overrides on top of the sysctls.
        assert!(x.on);
        assert_eq!(x.preset, Preset::AsCoded);
        assert_eq!((x.keylen, x.gamma_ppm, x.hook_bytes), (80, 200_000, 65536));
        assert_eq!(x.paths.len(), 2);
        assert_eq!(x.history.len(), 1);
        assert_eq!(x.history[0].srtt_us, 10_000);
        assert!(!x.failed(0) && x.failed(1) && !x.failed(9));
        assert_eq!(x.paths[1].prob_ppm, 0);
        assert_eq!(x.paths[0].prob_ppm, 1_000_000);
        assert_eq!(x.now_ns, 5_000_000);
        assert_eq!(got[1].paths.len(), 3);
        assert_eq!(got[1].preset, Preset::Textbook);
        // Filters.
        assert!(x.under(&b));
        assert!(x.under(&pfx("fd00::/16")));
        assert!(x.under(&pfx("fd00:b::/80")));
        assert!(!x.under(&pfx("fd00:b::/96")));
        assert!(!x.under(&pfx("fd00:c::/64")));
        assert!(got[1].under(&pfx("fd00:c::/48")));
        assert!(got[1].under(&pfx("fd00:c::/64")));
        assert!(got[1].under(&pfx("fd00:c::/60")));
        assert!(!got[1].under(&pfx("fd00:c:0:1::/64")));
    }

    #[test]
    fn refusals_name_the_errno_and_hint() {
        let e = io::Error::from_raw_os_error(libc::EINVAL);
        let f = refused(
            "path add fd00:b::/64",
            &e,
            &[(libc::EINVAL, "invalid prefix or SRH; see dmesg")],
        );
        assert_eq!(
            f.msg,
            "path add fd00:b::/64: Invalid argument (EINVAL): invalid prefix or SRH; see dmesg"
        );
        assert_eq!(f.code, EXIT_ERROR);
        let f = refused("x", &io::Error::from_raw_os_error(libc::EPERM), &[]);
        assert_eq!(f.code, EXIT_DENIED);
        assert!(f.msg.contains("(EPERM): needs root"), "{}", f.msg);
        let f = refused("x", &io::Error::from_raw_os_error(libc::ENOENT), &[]);
        assert_eq!(f.msg, "x: No such file or directory (ENOENT)");
    }
}
