// SPDX-License-Identifier: GPL-2.0

//! TCP Path Changer (TPC): path-aware TCP over IPv6 Segment Routing.
//!
//! This is the module's crate root and its policy code. It registers:
//!
//! - the congestion control `tpc`, which for now behaves exactly like Reno
//!   (through the kernel's exported Reno helpers) while keeping per-socket
//!   state in `icsk_ca_priv`;
//! - the sysctls `net.tpc.*` (failover parameters N, M and T);
//! - the private socket options `TPC_SO_*` (`getsockopt(TPC_SO_INFO)`
//!   returns a connection's TPC state);
//! - the control device `/dev/tpc`, speaking the versioned message protocol
//!   of `tpc/proto.rs` (hello/version exchange, counters and knobs queries).
//!
//! There is no `unsafe` here: kernel interfaces are reached through the safe
//! wrappers of `rust/` (module `sys`), and the protocol, queue, knob and
//! counter logic lives in the pure files under `tpc/`, which the host test
//! crate compiles too. See `Documentation/admin-guide.rst` for the ABI.

use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::{new_mutex, Mutex};
use kernel::time::Ktime;
use kernel::uaccess::{UserSliceReader, UserSliceWriter};

#[path = "tpc/counters.rs"]
mod counters;
#[path = "tpc/knobs.rs"]
mod knobs;
#[path = "tpc/proto.rs"]
mod proto;
#[path = "tpc/ring.rs"]
mod ring;
#[path = "rust/mod.rs"]
mod sys;

use counters::{Counter, Counters};
use knobs::Knobs;
use proto::{ProtoError, Request};
use ring::MsgRing;
use sys::bh_lock::BhSpinLock;
use sys::cong::{self, CaState, LockedSock, OpsSlot, Sock};
use sys::miscdev::{self, Readiness, Waker};
use sys::{err, sockopt, sysctl};

module! {
    type: TcpPathChanger,
    name: "tcp_pathchanger",
    author: "tcp-pathchanger developers",
    description: "TCP Path Changer: per-connection SRv6 paths for TCP",
    license: "GPL",
}

/// Event counters reported by `/dev/tpc`.
static COUNTERS: Counters = Counters::new();
/// Current values of the `net.tpc.*` sysctls.
static KNOBS: Knobs = Knobs::new();
/// The registered `tpc` ops, for recognising sockets that use them.
static TPC_OPS: OpsSlot<Tpc> = OpsSlot::new();

/// Prints a warning unless the networking log rate limit is exceeded.
macro_rules! warn_rl {
    ($($arg:tt)*) => {
        if sys::ratelimit() {
            pr_warn!($($arg)*);
        }
    };
}

fn now_ns() -> i64 {
    Ktime::ktime_get().to_ns()
}

// ---- Congestion control ------------------------------------------------

/// The `tpc` congestion control.
struct Tpc;

/// Per-connection state of `tpc` (lives in `icsk_ca_priv`).
#[derive(Default)]
struct TpcSock {
    /// When `tpc` took charge of the connection (`ktime_get`, ns).
    init_ns: i64,
    /// Entries into `TCP_CA_Loss`.
    loss_events: u32,
    /// ACKs that reached congestion avoidance.
    cong_avoid_calls: u32,
}

#[vtable]
impl cong::Algorithm for Tpc {
    const NAME: &'static CStr = c_str!("tpc");
    type Data = TpcSock;

    fn init(sk: &mut Sock<'_, Self>) {
        if let Some(d) = sk.data() {
            d.init_ns = now_ns();
        }
        COUNTERS.inc(Counter::ConnsInitialized);
    }

    fn release(sk: &mut Sock<'_, Self>) {
        // Sockets released without `init` (listeners, failed connects)
        // were never counted.
        if sk.data().is_some() {
            COUNTERS.inc(Counter::ConnsReleased);
        }
    }

    fn ssthresh(sk: &mut Sock<'_, Self>) -> u32 {
        sk.reno_ssthresh()
    }

    fn cong_avoid(sk: &mut Sock<'_, Self>, ack: u32, acked: u32) {
        if let Some(d) = sk.data() {
            d.cong_avoid_calls = d.cong_avoid_calls.wrapping_add(1);
        }
        sk.reno_cong_avoid(ack, acked);
    }

    fn undo_cwnd(sk: &mut Sock<'_, Self>) -> u32 {
        sk.reno_undo_cwnd()
    }

    fn set_state(sk: &mut Sock<'_, Self>, state: CaState) {
        if state != CaState::Loss {
            return;
        }
        COUNTERS.inc(Counter::LossEvents);
        if let Some(d) = sk.data() {
            d.loss_events = d.loss_events.wrapping_add(1);
        }
    }
}

// ---- Socket options ------------------------------------------------------

/// Handlers of the `TPC_SO_*` range.
struct TpcSockopts;

/// A refused socket option call: the error and why, for the log.
type SockoptError = (Error, &'static str);

fn conn_info(sk: &mut LockedSock<'_>, out: &mut [u8]) -> Result<usize, SockoptError> {
    if out.len() < 8 {
        return Err((EINVAL, "buffer shorter than 8 bytes"));
    }
    if !sk.is_tcp() {
        return Err((err::eopnotsupp(), "not a TCP socket"));
    }
    let mut s = sk
        .congestion(&TPC_OPS)
        .ok_or((ENOENT, "socket does not use tpc"))?;
    let mut info = proto::ConnInfo {
        ca_state: u32::from(s.ca_state()),
        snd_cwnd: s.snd_cwnd(),
        snd_ssthresh: s.snd_ssthresh(),
        srtt_us: s.srtt_us(),
        ..Default::default()
    };
    if let Some(d) = s.data() {
        info.flags |= proto::CONN_F_INITIALIZED;
        info.loss_events = d.loss_events;
        info.cong_avoid_calls = d.cong_avoid_calls;
        info.age_ns = now_ns().saturating_sub(d.init_ns).max(0) as u64;
    }
    let mut buf = [0u8; proto::CONN_INFO_LEN];
    info.encode(&mut buf);
    let n = out.len().min(buf.len());
    out[..n].copy_from_slice(&buf[..n]);
    Ok(n)
}

impl sockopt::Handler for TpcSockopts {
    const BASE: i32 = proto::SOCKOPT_BASE;
    const COUNT: i32 = proto::SOCKOPT_COUNT;

    fn get(sk: &mut LockedSock<'_>, optname: i32, out: &mut [u8]) -> Result<usize> {
        let len = out.len();
        let r = match optname {
            proto::SO_INFO => conn_info(sk, out),
            _ => Err((err::enoprotoopt(), "no such option")),
        };
        match r {
            Ok(n) => {
                COUNTERS.inc(Counter::SockoptGets);
                Ok(n)
            }
            Err((e, why)) => {
                COUNTERS.inc(Counter::SockoptRejected);
                // Asking a non-tpc socket is a normal question, not an error.
                if e != ENOENT {
                    warn_rl!(
                        "getsockopt({:#x}, len {}) rejected: {}\n",
                        optname,
                        len,
                        why
                    );
                }
                Err(e)
            }
        }
    }

    fn set(_sk: &mut LockedSock<'_>, optname: i32, input: &[u8]) -> Result {
        COUNTERS.inc(Counter::SockoptRejected);
        warn_rl!(
            "setsockopt({:#x}, len {}) rejected: no such option\n",
            optname,
            input.len()
        );
        Err(err::enoprotoopt())
    }
}

// ---- Control device --------------------------------------------------------

/// Capacity of each open file's reply queue, in bytes.
const QUEUE_BYTES: usize = 16 * 1024;
/// Most files open on `/dev/tpc` at once.
const MAX_OPENERS: u32 = 16;
/// Files currently open on `/dev/tpc`.
static OPENERS: AtomicU32 = AtomicU32::new(0);
/// Set when module init has completed. Until then `/dev/tpc` refuses
/// opens, so that a failing init can remove the device with no file open.
static READY: AtomicBool = AtomicBool::new(false);

/// Byte storage of a reply queue.
struct QueueBuf(KVec<u8>);

impl AsRef<[u8]> for QueueBuf {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl AsMut<[u8]> for QueueBuf {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

/// Buffers for one request and one reply.
struct Scratch {
    rx: KVec<u8>,
    tx: KVec<u8>,
}

/// An open file of `/dev/tpc`.
#[pin_data(PinnedDrop)]
struct CtlFile {
    /// Replies waiting to be read. BH-safe: events from TCP callbacks will
    /// be queued here too.
    queue: BhSpinLock<MsgRing<QueueBuf>>,
    /// Serialises readers and writers of this file and owns their buffers.
    #[pin]
    io: Mutex<Scratch>,
}

#[pinned_drop]
impl PinnedDrop for CtlFile {
    fn drop(self: Pin<&mut Self>) {
        OPENERS.fetch_sub(1, Ordering::Relaxed);
    }
}

fn proto_errno(e: ProtoError) -> Error {
    match e {
        ProtoError::Truncated | ProtoError::LengthMismatch | ProtoError::BadFlags => EINVAL,
        ProtoError::TooLong => err::emsgsize(),
        ProtoError::BadVersion => err::eproto(),
        ProtoError::NoCommonVersion => err::eprotonosupport(),
        ProtoError::UnknownType(_) => err::eopnotsupp(),
        ProtoError::BadBody => err::ebadmsg(),
        ProtoError::NoSpace => ENOSPC,
    }
}

fn reject(len: usize, e: ProtoError) -> Error {
    COUNTERS.inc(Counter::DevMsgsRejected);
    warn_rl!("/dev/tpc: rejected {}-byte message: {}\n", len, e);
    proto_errno(e)
}

/// Encodes the reply to `req` into `out`.
fn answer(req: Request, seq: u32, out: &mut [u8]) -> Result<usize, ProtoError> {
    match req {
        Request::Hello { .. } => proto::encode_hello_reply(
            out,
            seq,
            &proto::HelloInfo {
                version: u32::from(proto::PROTO_VERSION),
                max_msg: proto::MSG_MAX as u32,
                queue_bytes: QUEUE_BYTES as u32,
                module_version: proto::MODULE_VERSION.as_bytes(),
            },
        ),
        Request::GetCounters => proto::encode_counters(out, seq, COUNTERS.snapshot().into_iter()),
        Request::GetKnobs => proto::encode_knobs(
            out,
            seq,
            knobs::ALL.iter().map(|&k| {
                let d = k.def();
                proto::KnobView {
                    name: d.name.to_bytes(),
                    value: KNOBS.get(k),
                    min: d.min,
                    max: d.max,
                }
            }),
        ),
    }
}

impl miscdev::FileOps for CtlFile {
    fn open() -> Result<Pin<KBox<Self>>> {
        if !READY.load(Ordering::Acquire) {
            return Err(ENODEV);
        }
        if !sys::capable_net_admin() {
            COUNTERS.inc(Counter::DevOpenDenied);
            warn_rl!("/dev/tpc: open denied: CAP_NET_ADMIN required\n");
            return Err(EPERM);
        }
        if OPENERS.fetch_add(1, Ordering::Relaxed) >= MAX_OPENERS {
            OPENERS.fetch_sub(1, Ordering::Relaxed);
            COUNTERS.inc(Counter::DevOpenDenied);
            warn_rl!(
                "/dev/tpc: open denied: {} files already open\n",
                MAX_OPENERS
            );
            return Err(EBUSY);
        }
        let init = || -> Result<Pin<KBox<Self>>> {
            let queue = BhSpinLock::new(MsgRing::new(QueueBuf(KVec::from_elem(
                0u8,
                QUEUE_BYTES,
                GFP_KERNEL,
            )?)))?;
            let scratch = Scratch {
                rx: KVec::from_elem(0u8, proto::MSG_MAX, GFP_KERNEL)?,
                tx: KVec::from_elem(0u8, proto::MSG_MAX, GFP_KERNEL)?,
            };
            KBox::pin_init(
                pin_init!(CtlFile {
                    queue,
                    io <- new_mutex!(scratch, "tpc_ctl_io"),
                }),
                GFP_KERNEL,
            )
        };
        // From here on, the object's drop gives the opener slot back.
        let file = init().inspect_err(|_| {
            OPENERS.fetch_sub(1, Ordering::Relaxed);
        })?;
        COUNTERS.inc(Counter::DevOpens);
        Ok(file)
    }

    fn read(this: Pin<&Self>, waker: &Waker, out: &mut UserSliceWriter) -> Result<usize> {
        let mut io = this.io.lock();
        let n = {
            let q = this.queue.lock();
            match q.front_len() {
                None => return Err(EAGAIN),
                Some(n) if n > out.len() => return Err(err::emsgsize()),
                Some(_) => q.peek(&mut io.tx).ok_or(EINVAL)?,
            }
        };
        // A failed copy leaves the message queued: nothing is lost.
        out.write_slice(&io.tx[..n])?;
        // Readers are serialised by `io`, so the front is still ours.
        this.queue.lock().pop();
        COUNTERS.inc(Counter::DevMsgsTx);
        // Room was made: wake writers waiting in poll for EPOLLOUT.
        waker.wake();
        Ok(n)
    }

    fn write(this: Pin<&Self>, waker: &Waker, mut input: UserSliceReader) -> Result<usize> {
        let len = input.len();
        if len > proto::MSG_MAX {
            return Err(reject(len, ProtoError::TooLong));
        }
        let mut guard = this.io.lock();
        let io = &mut *guard;
        input.read_slice(&mut io.rx[..len]).inspect_err(|_| {
            COUNTERS.inc(Counter::DevMsgsRejected);
            warn_rl!("/dev/tpc: rejected {}-byte message: bad user buffer\n", len);
        })?;
        let (hdr, req) = proto::decode_request(&io.rx[..len]).map_err(|e| reject(len, e))?;
        // Make sure the reply will fit before acting on the request.
        if !this.queue.lock().fits(proto::MSG_MAX) {
            COUNTERS.inc(Counter::DevQueueFull);
            warn_rl!("/dev/tpc: reply queue full, read pending replies first\n");
            return Err(EAGAIN);
        }
        let n = answer(req, hdr.seq, &mut io.tx).map_err(|e| reject(len, e))?;
        // Cannot fail: space was checked and only this (serialised) writer
        // adds to the queue.
        this.queue.lock().push(&io.tx[..n]).map_err(|_| EAGAIN)?;
        COUNTERS.inc(Counter::DevMsgsRx);
        waker.wake();
        Ok(len)
    }

    fn poll(this: Pin<&Self>) -> Readiness {
        let q = this.queue.lock();
        Readiness {
            readable: !q.is_empty(),
            writable: q.fits(proto::MSG_MAX),
        }
    }
}

// ---- Module ------------------------------------------------------------------

/// The loaded module: its registrations, undone in reverse order on unload
/// (fields drop in declaration order).
struct TcpPathChanger {
    _cong: cong::Registration<Tpc>,
    _dev: miscdev::Registration<CtlFile>,
    _sockopt: sockopt::Registration<TpcSockopts>,
    _sysctl: sysctl::Registration,
}

impl kernel::Module for TcpPathChanger {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // Registrations are ordered so that a failure leaves nothing in use:
        // sysctl handlers and socket options are waited for when removed,
        // the device refuses opens until `READY`, and the congestion
        // control, which sockets would keep using, is registered last.
        let mut knob_table = KVec::with_capacity(knobs::KNOB_COUNT, GFP_KERNEL)?;
        for k in knobs::ALL {
            let d = k.def();
            knob_table.push(
                sysctl::IntKnob {
                    name: d.name,
                    value: KNOBS.cell(k),
                    min: &d.min,
                    max: &d.max,
                },
                GFP_KERNEL,
            )?;
        }
        let sysctl = sysctl::Registration::register(c_str!("net/tpc"), &knob_table)?;
        let sockopt = sockopt::Registration::register()?;
        let dev = miscdev::Registration::register(c_str!("tpc"), 0o600)?;
        let cong = cong::Registration::register(&TPC_OPS)?;
        READY.store(true, Ordering::Release);
        pr_info!(
            "version {} loaded: congestion control \"tpc\", /dev/tpc, net.tpc.*, sockopts {:#x}..{:#x}\n",
            proto::MODULE_VERSION,
            proto::SOCKOPT_BASE,
            proto::SOCKOPT_BASE + proto::SOCKOPT_COUNT - 1
        );
        Ok(Self {
            _cong: cong,
            _dev: dev,
            _sockopt: sockopt,
            _sysctl: sysctl,
        })
    }
}

impl Drop for TcpPathChanger {
    fn drop(&mut self) {
        READY.store(false, Ordering::Release);
        pr_info!("unloading\n");
    }
}
