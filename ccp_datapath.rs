// SPDX-License-Identifier: GPL-2.0

//! CCP datapath: congestion control run from user space.
//!
//! Registers the congestion control `ccp` and the device `/dev/ccpkp`
//! (0600, `CAP_NET_ADMIN`, one agent at a time), which speaks the libccp
//! wire protocol (`ccp/wire.rs`) with the unmodified portus agent
//! (`--ipc char`). Per ACK, the flow's datapath program (verified at
//! INSTALL, `ccp/vm.rs`) runs over the ACK's primitives; the window and
//! pacing rate it sets are enforced and its reports go to the agent. A flow
//! without an agent, or without a program yet, runs in-kernel Reno instead
//! of stalling; when an agent attaches (READY on every open), live flows
//! are announced to it again (CREATE) and taken over.
//!
//! Locking: the agent state (queue, programs, flow slots and their staged
//! updates) is one BH-safe static lock, never held while a program runs.
//! A flow's registers live in a box owned by its socket, reached only from
//! its congestion callbacks (socket lock). No allocation in softirq except
//! that box (`GFP_ATOMIC`, at `init`); programs are allocated in `write`.
//! See `Documentation/admin-guide.rst`, "CCP datapath".

use crate::augment::FlowTrack;
use crate::ccp_cubic::Cubic;
use crate::ccp_vm::{self, Abort, Machine, Prims, Program, UpdateEffect, ABORT_KINDS};
use crate::ccp_wire::{self, AgentMsg, Create, UpdateField, WireError};
use crate::knobs::Knob;
use crate::ring::MsgRing;
use crate::sys::bh_lock::{StaticBhLock, StaticLockId};
use crate::sys::cong::{self, CaState, CcpSample, OpsSlot, Sock};
use crate::sys::miscdev::{self, Readiness, Waker};
use crate::sys::{self, err};
use crate::{augment_ack, augment_init, ms32, now_ns, QueueBuf, Tracked, KNOBS};
use core::pin::Pin;
use core::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};
use kernel::uaccess::{UserSliceReader, UserSliceWriter};

/// Flow slots (at most this many flows talk to the agent at once; more run
/// the fallback only).
pub(crate) const MAX_FLOWS: usize = 4095;
/// Bits of a sid that name the slot (slot + 1, never 0).
const SLOT_BITS: u32 = 12;
/// Installed programs.
pub(crate) const MAX_PROGRAMS: usize = 32;
/// Field updates staged per flow until its next ACK.
pub(crate) const MAX_STAGED: usize = 8;
/// Bytes of the queue to the agent.
pub(crate) const QUEUE_BYTES: usize = 64 * 1024;
/// Bytes one `read()` returns at most (several whole messages).
const READ_CHUNK: usize = 4096;
/// Least time between two CREATE attempts of a flow.
const CREATE_RETRY_NS: i64 = 100_000_000;
/// `sk_pacing_rate` of an unpaced socket (`~0UL`).
const UNPACED: u64 = u64::MAX;
/// The algorithm name CREATE asks the agent for (`net.tpc.ccp_alg`).
fn alg_name() -> &'static [u8] {
    match KNOBS.get(Knob::CcpAlg) {
        1 => b"cubic",
        2 => b"",
        _ => b"reno",
    }
}

/// Program storage: the INSTALL's event and instruction records.
type Prog = Program<QueueBuf>;

/// Statistics of the datapath (relaxed atomics, any context).
struct Stats {
    v: [AtomicU64; STAT_COUNT],
}

/// The statistics.
#[derive(Clone, Copy)]
#[repr(usize)]
enum Stat {
    FlowsCreated = 0,
    FlowsUntracked,
    CreatesSent,
    MeasuresSent,
    ClosesSent,
    QueueDrops,
    ReportsSuppressed,
    Installs,
    InstallsRejected,
    ProgramTableFull,
    ChangeProgs,
    ChangeProgsRejected,
    Updates,
    UpdatesIgnored,
    StagedDropped,
    UnknownSid,
    UnknownMsgs,
    Ignored,
    FramingErrors,
    AgentOpens,
    AgentBusy,
    FallbackAcks,
    ProgramAcks,
    SkippedAcks,
    SilentAcks,
    Aborts,
}

const STAT_COUNT: usize = Stat::Aborts as usize + 1 + ABORT_KINDS;

/// Names of the statistics, indexed by [`Stat`], then the aborts by kind.
const STAT_NAMES: [&str; STAT_COUNT] = [
    "flows_created",
    "flows_untracked",
    "creates_sent",
    "measures_sent",
    "closes_sent",
    "queue_drops",
    "reports_suppressed",
    "installs",
    "installs_rejected",
    "program_table_full",
    "change_progs",
    "change_progs_rejected",
    "updates",
    "updates_ignored",
    "staged_dropped",
    "unknown_sid",
    "unknown_msgs",
    "ignored_msgs",
    "framing_errors",
    "agent_opens",
    "agent_busy",
    "fallback_acks",
    "program_acks",
    "skipped_acks",
    "silent_acks",
    "aborts",
    "abort_add_overflow",
    "abort_sub_underflow",
    "abort_mul_overflow",
    "abort_div_zero",
    "abort_ewma_weight",
    "abort_internal",
];

/// Gauges of the datapath's state, before the statistics in a status.
const GAUGES: [&str; 5] = [
    "agent_attached",
    "flows",
    "programs",
    "queued_msgs",
    "queued_bytes",
];

/// The datapath's state and statistics as `(name, value)` (for
/// `/dev/tpc`'s CCP_GET).
pub(crate) fn status() -> [(&'static str, u64); GAUGES.len() + STAT_COUNT] {
    let g = {
        let ag = AGENT.lock();
        let (msgs, bytes) = ag
            .queue
            .as_ref()
            .map_or((0, 0), |q| (q.len(), q.capacity() - q.free()));
        [
            u64::from(ag.attached),
            u64::from(ag.live),
            ag.programs.iter().flatten().count() as u64,
            msgs as u64,
            bytes as u64,
        ]
    };
    let mut out = [("", 0u64); GAUGES.len() + STAT_COUNT];
    for (i, o) in out.iter_mut().enumerate() {
        *o = match i.checked_sub(GAUGES.len()) {
            None => (GAUGES[i], g[i]),
            Some(k) => (STAT_NAMES[k], STATS.v[k].load(Ordering::Relaxed)),
        };
    }
    out
}

#[expect(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);

impl Stats {
    const fn new() -> Self {
        Self {
            v: [ZERO; STAT_COUNT],
        }
    }

    fn inc(&self, s: Stat) {
        self.v[s as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn add(&self, s: Stat, n: u64) {
        self.v[s as usize].fetch_add(n, Ordering::Relaxed);
    }

    fn abort(&self, a: Abort) {
        self.inc(Stat::Aborts);
        self.v[Stat::Aborts as usize + 1 + a.index()].fetch_add(1, Ordering::Relaxed);
    }
}

static STATS: Stats = Stats::new();

/// `ktime_get_ns()` at load: `Ack.now` counts from here.
static LOAD_NS: AtomicI64 = AtomicI64::new(0);

/// One flow known to the agent side.
#[derive(Clone, Copy)]
struct Slot {
    /// 0: free.
    sid: u32,
    /// CHANGE_PROG waiting for the flow's next ACK.
    staged_prog: Option<u32>,
    /// Field updates waiting, in arrival order.
    staged: [UpdateField; MAX_STAGED],
    nstaged: u8,
}

const FREE_SLOT: Slot = Slot {
    sid: 0,
    staged_prog: None,
    staged: [UpdateField {
        reg_type: 0,
        index: 0,
        value: 0,
    }; MAX_STAGED],
    nstaged: 0,
};

/// What a flow takes over at an ACK.
struct Staged {
    prog: Option<Arc<Prog>>,
    updates: [UpdateField; MAX_STAGED],
    n: usize,
}

/// The agent side: one agent, its queue, programs and flows.
struct Agent {
    attached: bool,
    /// Changes at every open and release: a flow whose CREATE went to
    /// another generation announces itself again.
    generation: u32,
    queue: Option<MsgRing<QueueBuf>>,
    programs: [Option<Arc<Prog>>; MAX_PROGRAMS],
    slots: Option<KVVec<Slot>>,
    /// Flows created, for sids.
    seq: u32,
    /// Slots in use.
    live: u32,
    /// When the oldest report the agent has not answered (by any message)
    /// was sent (`ktime_get_ns`; 0: none).
    unanswered_since: i64,
    /// The agent was found silent (for logging the change once).
    silent: bool,
}

/// An empty program slot (array initialiser).
const NO_PROG: Option<Arc<Prog>> = None;

static AGENT: StaticBhLock<Agent> = StaticBhLock::new(
    StaticLockId::Ccp,
    Agent {
        attached: false,
        generation: 1,
        queue: None,
        programs: [NO_PROG; MAX_PROGRAMS],
        slots: None,
        seq: 0,
        live: 0,
        unanswered_since: 0,
        silent: false,
    },
);

impl Agent {
    fn slot_of(&mut self, sid: u32) -> Option<&mut Slot> {
        let i = ((sid & ((1 << SLOT_BITS) - 1)) as usize).checked_sub(1)?;
        self.slots
            .as_mut()?
            .get_mut(i)
            .filter(|s| s.sid == sid && sid != 0)
    }

    /// A new flow's sid and slot (none beyond `net.tpc.ccp_max_flows`).
    fn alloc(&mut self) -> Option<u32> {
        if self.live >= KNOBS.get(Knob::CcpMaxFlows).max(0) as u32 {
            return None;
        }
        let slots = self.slots.as_mut()?;
        let i = slots.iter().position(|s| s.sid == 0)?;
        self.seq = self.seq.wrapping_add(1);
        // i < MAX_FLOWS < 2^SLOT_BITS.
        let sid = (self.seq << SLOT_BITS) | (i as u32 + 1);
        slots[i] = Slot { sid, ..FREE_SLOT };
        self.live += 1;
        Some(sid)
    }

    fn free(&mut self, sid: u32) {
        if let Some(s) = self.slot_of(sid) {
            *s = FREE_SLOT;
            self.live = self.live.saturating_sub(1);
        }
    }

    /// Whether the agent has left a report unanswered for longer than
    /// `net.tpc.ccp_agent_timeout_ms` (0: never).
    fn is_silent(&mut self, now: i64) -> bool {
        let ms = i64::from(KNOBS.get(Knob::CcpAgentTimeoutMs));
        let silent =
            ms > 0 && self.unanswered_since != 0 && now - self.unanswered_since > ms * 1_000_000;
        if silent && !self.silent && sys::ratelimit() {
            pr_warn!(
                "ccp: agent silent for over {} ms; flows run in-kernel {} until it answers\n",
                ms,
                fallback_name()
            );
        }
        self.silent = silent;
        silent
    }

    /// Queues one message for the agent; false (counted) if it does not
    /// fit or no agent is attached.
    fn send(&mut self, msg: &[u8]) -> bool {
        let ok = self.attached && self.queue.as_mut().is_some_and(|q| q.push(msg).is_ok());
        if !ok && self.attached {
            STATS.inc(Stat::QueueDrops);
        }
        ok
    }

    fn program(&self, uid: u32) -> Option<&Arc<Prog>> {
        self.programs.iter().flatten().find(|p| p.uid() == uid)
    }

    /// A new agent, or none: everything the old one set up goes.
    fn reset(&mut self, attached: bool) {
        self.attached = attached;
        self.unanswered_since = 0;
        self.silent = false;
        self.generation = self.generation.wrapping_add(1).max(1);
        if let Some(q) = self.queue.as_mut() {
            while q.pop().is_some() {}
        }
        self.programs = [NO_PROG; MAX_PROGRAMS];
        if let Some(slots) = self.slots.as_mut() {
            for s in slots.iter_mut().filter(|s| s.sid != 0) {
                s.staged_prog = None;
                s.nstaged = 0;
            }
        }
    }
}

/// The CCP congestion control.
pub(crate) struct Ccp;

/// The registered `ccp` ops.
static CCP_OPS: OpsSlot<Ccp> = OpsSlot::new();

/// A flow's registers and the primitives of its last ACK.
struct FlowVm {
    m: Machine,
    last: Prims,
}

/// Per-socket state of `ccp` (in `icsk_ca_priv`).
#[derive(Default)]
pub(crate) struct CcpSock {
    /// 0: not tracked (no slot or no memory): fallback only.
    sid: u32,
    /// Agent generation the flow's CREATE went to (0: none).
    agent_gen: u32,
    last_create_ns: i64,
    vm: Option<KBox<FlowVm>>,
    prog: Option<Arc<Prog>>,
    last_bytes_acked: u64,
    last_sacked: u32,
    last_ce: u32,
    was_timeout: bool,
    /// Augmenter's bookkeeping.
    aug: FlowTrack,
    /// The fallback's Cubic state (`ccp_fallback` = 1).
    cubic: Cubic,
}

impl Tracked for CcpSock {
    fn track(&mut self) -> &mut FlowTrack {
        &mut self.aug
    }
}

/// `now` (`ktime_get_ns`) in µs since load (`Ack.now`, `Micros`).
fn us_since_load(now: i64) -> u64 {
    (now - LOAD_NS.load(Ordering::Relaxed)).max(0) as u64 / 1000
}

/// Bytes to packets: at least 2, at most `u32::MAX` (the shim clamps to
/// `snd_cwnd_clamp`).
fn cwnd_pkts(bytes: u64, mss: u32) -> u32 {
    (bytes / u64::from(mss.max(1))).clamp(2, u64::from(u32::MAX)) as u32
}

/// The primitives of an ACK (`ccp-wire-protocol.md` §8.3), updating the
/// flow's snapshots.
fn primitives(d: &mut CcpSock, s: &CcpSample, now: u64) -> Prims {
    let mss = u64::from(s.mss);
    let bytes_acked = s.bytes_acked.wrapping_sub(d.last_bytes_acked);
    let misordered = s.sacked_out.saturating_sub(d.last_sacked);
    let ce = s.delivered_ce.wrapping_sub(d.last_ce);
    d.last_bytes_acked = s.bytes_acked;
    d.last_sacked = s.sacked_out;
    d.last_ce = s.delivered_ce;
    let rate = |interval: u32| {
        if interval == 0 || s.rs_delivered <= 0 {
            0
        } else {
            (s.rs_delivered as u64)
                .saturating_mul(mss)
                .saturating_mul(1_000_000)
                / u64::from(interval)
        }
    };
    let mut p = Prims::default();
    p.0[0] = bytes_acked;
    p.0[1] = u64::from(misordered) * mss;
    p.0[2] = u64::from(ce) * mss;
    p.0[3] = u64::from(ce);
    p.0[4] = s.rs_losses.max(0) as u64;
    p.0[5] = now;
    p.0[6] = u64::from(s.rs_acked_sacked.saturating_sub(misordered));
    p.0[7] = u64::from(misordered);
    p.0[8] = u64::from(s.in_flight) * mss;
    p.0[9] = u64::from(s.pending);
    p.0[10] = u64::from(s.in_flight);
    p.0[11] = rate(s.rs_rcv_interval_us);
    p.0[12] = rate(s.rs_snd_interval_us);
    p.0[13] = s.rs_rtt_us.max(0) as u64;
    p.0[14] = u64::from(d.was_timeout);
    p
}

/// Announces the flow to the agent (CREATE), at most every 100 ms.
fn try_create(sk: &mut Sock<'_, Ccp>, now: i64) {
    // Checked first: this runs on every ACK of a flow waiting for an agent.
    match sk.data() {
        Some(d) if d.sid != 0 && now - d.last_create_ns >= CREATE_RETRY_NS => {
            d.last_create_ns = now;
        }
        _ => return,
    }
    let s = sk.ccp_sample();
    let (sa, sp, da, dp) = sk.raw_tuple();
    let Some(d) = sk.data() else { return };
    let mut buf = [0u8; ccp_wire::CREATE_LEN];
    let c = Create {
        sid: d.sid,
        init_cwnd: s.snd_cwnd.saturating_mul(s.mss),
        mss: s.mss,
        src_ip: sa,
        src_port: sp,
        dst_ip: da,
        dst_port: dp,
        alg: alg_name(),
    };
    let Ok(n) = ccp_wire::encode_create(&mut buf, &c) else {
        return;
    };
    let sent = {
        let mut ag = AGENT.lock();
        let ok = ag.attached && ag.send(&buf[..n]);
        ok.then_some(ag.generation)
    };
    if let Some(g) = sent {
        d.agent_gen = g;
        d.prog = None;
        STATS.inc(Stat::CreatesSent);
        miscdev::wake_all();
    }
}

/// The fallback's name, for logs.
fn fallback_name() -> &'static str {
    if cubic_fallback() {
        "Cubic"
    } else {
        "Reno"
    }
}

/// Whether the fallback is Cubic (`ccp_fallback` = 1) rather than Reno.
fn cubic_fallback() -> bool {
    KNOBS.get(Knob::CcpFallback) == 1
}

/// In-kernel Reno or Cubic (`ccp_fallback`) for a flow the agent does not
/// drive: their growth in Open, Disorder and Loss; in CWR and Recovery the
/// kernel's Proportional Rate Reduction towards `ssthresh` (Reno's half or
/// Cubic's 0.7), which the kernel itself skips for a `cong_control`
/// algorithm.
fn fallback(sk: &mut Sock<'_, Ccp>, ack: u32, flag: i32, s: &CcpSample, now: i64) {
    STATS.inc(Stat::FallbackAcks);
    // Unpaced: a rate an agent's program set, or the one the previous
    // congestion control left (iperf3 -C switches after connect), would
    // otherwise stay forever (the kernel updates no pacing rate for a
    // `cong_control` algorithm).
    if s.pacing_rate != UNPACED {
        sk.set_pacing_rate(UNPACED);
    }
    match CaState::try_from(s.ca_state) {
        Ok(CaState::Cwr | CaState::Recovery) => {
            sk.cwnd_reduction(s.rs_acked_sacked, s.rs_losses.max(0) as u32, flag)
        }
        _ if cubic_fallback() => cubic_avoid(sk, s, now),
        _ => sk.reno_cong_avoid(ack, s.rs_acked_sacked),
    }
}

/// Cubic's growth (the kernel's `tcp_cubic` without HyStart): slow start
/// below `ssthresh`, then one packet per [`Cubic::cnt`] acknowledged.
fn cubic_avoid(sk: &mut Sock<'_, Ccp>, s: &CcpSample, now: i64) {
    if !sk.is_cwnd_limited() {
        return;
    }
    let mut acked = s.rs_acked_sacked;
    if s.snd_cwnd < s.snd_ssthresh {
        acked = sk.slow_start(acked);
        if acked == 0 {
            return;
        }
    }
    let cwnd = sk.snd_cwnd();
    let min_rtt_ms = if s.min_rtt_us == u32::MAX {
        0
    } else {
        s.min_rtt_us / 1000
    };
    let Some(d) = sk.data() else { return };
    let cnt = d.cubic.cnt(cwnd, acked, ms32(now), min_rtt_ms);
    sk.cong_avoid_ai(cnt, acked);
}

/// Takes the flow's staged program change and updates (under the agent
/// lock); [`Sync`] says why the flow cannot run its program now.
fn take_staged(d: &mut CcpSock, now: i64) -> Result<Staged, Sync> {
    let mut ag = AGENT.lock();
    if !ag.attached || d.agent_gen != ag.generation {
        return Err(Sync::Announce);
    }
    if ag.is_silent(now) {
        return Err(Sync::Silent);
    }
    let sid = d.sid;
    let (uid, updates, n) = {
        let s = ag.slot_of(sid).ok_or(Sync::Announce)?;
        let out = (s.staged_prog.take(), s.staged, usize::from(s.nstaged));
        s.nstaged = 0;
        out
    };
    let prog = uid.and_then(|u| ag.program(u).cloned());
    Ok(Staged { prog, updates, n })
}

/// Whether the agent drives the flow now: it knows the flow (CREATE went
/// to this agent) and is not silent.
fn agent_drives(d: &CcpSock, now: i64) -> bool {
    let mut ag = AGENT.lock();
    d.sid != 0
        && ag.attached
        && d.agent_gen == ag.generation
        && !ag.is_silent(now)
        && ag.slot_of(d.sid).is_some()
}

/// Why a flow cannot run its program at an ACK.
enum Sync {
    /// The agent does not know the flow (yet): CREATE, then fallback.
    Announce,
    /// The agent is attached but silent: fallback, program kept.
    Silent,
}

/// Runs the flow's program for one invocation at `now_ns`; `prims` is
/// `None` for the immediate invocation at a timeout (the last ACK's).
fn invoke(sk: &mut Sock<'_, Ccp>, s: &CcpSample, prims: Option<Prims>, now_ns: i64) {
    let now = us_since_load(now_ns);
    let Some(d) = sk.data() else { return };
    let (Some(vm), Some(prog)) = (d.vm.as_mut(), d.prog.as_ref()) else {
        return;
    };
    if let Some(p) = prims {
        vm.last = p;
    }
    let mut last = vm.last;
    last.0[14] = u64::from(d.was_timeout);
    let seed_rate = if s.pacing_rate == UNPACED {
        0
    } else {
        s.pacing_rate
    };
    vm.m.seed(u64::from(s.snd_cwnd) * u64::from(s.mss), seed_rate);
    let r = vm.m.invoke(prog, &last, now);
    let sid = d.sid;
    let out = match r {
        Ok(o) => o,
        Err(a) => {
            STATS.abort(a);
            if sys::ratelimit() {
                pr_warn!(
                    "ccp: flow {}: program {} aborted ({})\n",
                    sid,
                    prog.uid(),
                    a.name()
                );
            }
            return;
        }
    };
    STATS.inc(Stat::ProgramAcks);
    let mut report = [0u8; ccp_wire::MAX_DP_MSG];
    let n = if out.report {
        let fields = vm.m.report_fields(prog);
        let n = if fields.is_empty() {
            STATS.inc(Stat::ReportsSuppressed);
            None
        } else {
            ccp_wire::encode_measure(&mut report, sid, prog.uid(), fields).ok()
        };
        vm.m.after_report(prog, now);
        n
    } else {
        None
    };
    if let Some(c) = out.cwnd {
        sk.set_cwnd(cwnd_pkts(c, s.mss));
    }
    if let Some(r) = out.rate {
        sk.set_pacing_rate(r);
    }
    if let Some(n) = n {
        let sent = {
            let mut ag = AGENT.lock();
            let ok = ag.send(&report[..n]);
            if ok && ag.unanswered_since == 0 {
                ag.unanswered_since = now_ns.max(1);
            }
            ok
        };
        if sent {
            STATS.inc(Stat::MeasuresSent);
            miscdev::wake_all();
        }
    }
}

#[vtable]
impl cong::Algorithm for Ccp {
    const NAME: &'static CStr = c_str!("ccp");
    type Data = CcpSock;

    fn init(sk: &mut Sock<'_, Self>) {
        // Unpaced until a program sets a rate: a connection that switched
        // to `ccp` keeps the rate its previous algorithm last set, and the
        // kernel updates none for a `cong_control` algorithm.
        sk.pacing_init();
        sk.set_pacing_rate(UNPACED);
        // Before CREATE, so that the agent learns the window the flow
        // starts with.
        augment_init(sk, false);
        let s = sk.ccp_sample();
        let vm = KBox::new(
            FlowVm {
                m: Machine::new(),
                last: Prims::default(),
            },
            GFP_ATOMIC,
        )
        .ok();
        let sid = if vm.is_some() {
            AGENT.lock().alloc()
        } else {
            None
        };
        match sid {
            Some(_) => STATS.inc(Stat::FlowsCreated),
            None => STATS.inc(Stat::FlowsUntracked),
        }
        if let Some(d) = sk.data() {
            d.sid = sid.unwrap_or(0);
            d.vm = vm.filter(|_| sid.is_some());
            d.last_bytes_acked = s.bytes_acked;
            d.last_sacked = s.sacked_out;
            d.last_ce = s.delivered_ce;
            d.last_create_ns = i64::MIN / 2;
        }
        try_create(sk, now_ns());
    }

    fn release(sk: &mut Sock<'_, Self>) {
        augment_ack(sk, now_ns(), true);
        let Some(d) = sk.data() else { return };
        if d.sid == 0 {
            return;
        }
        let mut close = [0u8; ccp_wire::MEASURE_HDR_LEN];
        let sent = {
            let mut ag = AGENT.lock();
            ag.free(d.sid);
            d.agent_gen == ag.generation
                && ccp_wire::encode_close(&mut close, d.sid).is_ok()
                && ag.send(&close)
        };
        if sent {
            STATS.inc(Stat::ClosesSent);
            miscdev::wake_all();
        }
        d.sid = 0;
    }

    fn ssthresh(sk: &mut Sock<'_, Self>) -> u32 {
        if cubic_fallback() {
            let cwnd = sk.snd_cwnd();
            if let Some(d) = sk.data() {
                return d.cubic.ssthresh(cwnd);
            }
        }
        sk.reno_ssthresh()
    }

    fn cong_avoid(sk: &mut Sock<'_, Self>, ack: u32, acked: u32) {
        // Not called: `cong_control` replaces it.
        sk.reno_cong_avoid(ack, acked);
    }

    fn undo_cwnd(sk: &mut Sock<'_, Self>) -> u32 {
        sk.reno_undo_cwnd()
    }

    fn set_state(sk: &mut Sock<'_, Self>, state: CaState) {
        let timeout = state == CaState::Loss;
        let Some(d) = sk.data() else { return };
        d.was_timeout = timeout;
        if timeout {
            d.cubic.reset();
        }
        // One immediate invocation with the last ACK's primitives, only
        // while the agent drives the flow (else the fallback has it).
        if timeout && d.prog.is_some() {
            let now = now_ns();
            if agent_drives(d, now) {
                let s = sk.ccp_sample();
                invoke(sk, &s, None, now);
            }
        }
    }

    fn cong_control(sk: &mut Sock<'_, Self>, ack: u32, flag: i32, s: &CcpSample) {
        let now_ns = now_ns();
        augment_ack(sk, now_ns, false);
        let now = us_since_load(now_ns);
        let Some(d) = sk.data() else { return };
        let prims = primitives(d, s, now);
        if d.sid == 0 {
            d.was_timeout = false;
            fallback(sk, ack, flag, s, now_ns);
            return;
        }
        let staged = match take_staged(d, now_ns) {
            Ok(st) => st,
            Err(e) => {
                // The fallback handles this ACK, the timeout included.
                d.was_timeout = false;
                match e {
                    Sync::Announce => {
                        d.prog = None;
                        try_create(sk, now_ns);
                    }
                    Sync::Silent => STATS.inc(Stat::SilentAcks),
                }
                fallback(sk, ack, flag, s, now_ns);
                return;
            }
        };
        let Some(vm) = d.vm.as_mut() else { return };
        if let Some(p) = staged.prog {
            vm.m.change_program(&p, now);
            d.prog = Some(p);
        }
        let mut effects = [UpdateEffect::Register; MAX_STAGED];
        let n = if d.prog.is_some() {
            vm.m.seed(u64::from(s.snd_cwnd) * u64::from(s.mss), 0);
            let n = staged.n.min(MAX_STAGED);
            for (e, u) in effects.iter_mut().zip(&staged.updates[..n]) {
                *e = vm.m.apply_update(u, now);
            }
            n
        } else {
            0
        };
        // Enforced at once, before the program runs.
        for e in &effects[..n] {
            match *e {
                UpdateEffect::Cwnd(b) => sk.set_cwnd(cwnd_pkts(b, s.mss)),
                UpdateEffect::Rate(r) if r > 0 => sk.set_pacing_rate(r),
                UpdateEffect::Ignored => STATS.inc(Stat::UpdatesIgnored),
                _ => {}
            }
        }
        let Some(d) = sk.data() else { return };
        if d.prog.is_none() {
            fallback(sk, ack, flag, s, now_ns);
            clear_timeout(sk);
            return;
        }
        // The reference datapath's gate: a complete rate sample.
        if s.rs_delivered <= 0 || s.rs_interval_us <= 0 || s.rs_rtt_us <= 0 || s.snd_cwnd == 0 {
            STATS.inc(Stat::SkippedAcks);
            return;
        }
        // An agent's Cwnd update above changed cwnd (clamped): read it again.
        let mut s2 = *s;
        if effects[..n]
            .iter()
            .any(|e| matches!(e, UpdateEffect::Cwnd(_)))
        {
            s2.snd_cwnd = sk.ccp_sample().snd_cwnd;
        }
        invoke(sk, &s2, Some(prims), now_ns);
        clear_timeout(sk);
    }
}

/// `was_timeout` lasts until the program's next per-ACK invocation (an ACK
/// with an incomplete rate sample skips the program and keeps it), or
/// until an ACK the fallback handles.
fn clear_timeout(sk: &mut Sock<'_, Ccp>) {
    if let Some(d) = sk.data() {
        d.was_timeout = false;
    }
}

// ---- /dev/ccpkp ----------------------------------------------------------

/// Buffers of the agent's open file.
struct Io {
    rx: KVec<u8>,
    tx: KVec<u8>,
}

/// The agent's open `/dev/ccpkp`.
#[pin_data]
pub(crate) struct AgentFile {
    #[pin]
    io: Mutex<Io>,
}

impl AgentFile {
    /// Handles one well-framed message.
    fn handle(msg: AgentMsg<'_>) {
        match msg {
            AgentMsg::Install(i) => {
                let p = Program::verify(&i, |ev, ins| {
                    let mut v = KVec::with_capacity(ev.len() + ins.len(), GFP_KERNEL).ok()?;
                    v.extend_from_slice(ev, GFP_KERNEL).ok()?;
                    v.extend_from_slice(ins, GFP_KERNEL).ok()?;
                    Some(QueueBuf(v))
                });
                let p = match p {
                    Ok(Some(p)) => p,
                    Ok(None) => {
                        STATS.inc(Stat::InstallsRejected);
                        if sys::ratelimit() {
                            pr_warn!("ccp: program {}: out of memory\n", i.uid);
                        }
                        return;
                    }
                    Err(e) => {
                        STATS.inc(Stat::InstallsRejected);
                        if sys::ratelimit() {
                            pr_warn!(
                                "ccp: program {} rejected: {} (at {})\n",
                                i.uid,
                                e.as_str(),
                                e.position()
                            );
                        }
                        return;
                    }
                };
                let Ok(p) = Arc::new(p, GFP_KERNEL) else {
                    STATS.inc(Stat::InstallsRejected);
                    return;
                };
                let uid = p.uid();
                let mut ag = AGENT.lock();
                let slot = ag
                    .programs
                    .iter()
                    .position(|q| q.as_ref().is_some_and(|q| q.uid() == uid))
                    .or_else(|| ag.programs.iter().position(|q| q.is_none()));
                match slot {
                    Some(k) => {
                        ag.programs[k] = Some(p);
                        STATS.inc(Stat::Installs);
                    }
                    None => {
                        drop(ag);
                        STATS.inc(Stat::ProgramTableFull);
                        if sys::ratelimit() {
                            pr_warn!(
                                "ccp: program {} rejected: table full ({} programs)\n",
                                uid,
                                MAX_PROGRAMS
                            );
                        }
                    }
                }
            }
            AgentMsg::UpdateFields { sid, updates } => {
                Self::stage(sid, None, updates.iter());
            }
            AgentMsg::ChangeProg { sid, uid, updates } => {
                Self::stage(sid, Some(uid), updates.iter());
            }
            AgentMsg::Echo(b) => {
                if AGENT.lock().send(b) {
                    miscdev::wake_all();
                }
            }
            AgentMsg::Unknown { ty } => {
                STATS.inc(Stat::UnknownMsgs);
                if sys::ratelimit() {
                    pr_info!("ccp: message type {} ignored\n", ty);
                }
            }
        }
    }

    /// Stages a program change and updates for flow `sid`.
    fn stage(sid: u32, uid: Option<u32>, updates: impl Iterator<Item = UpdateField>) {
        let mut ag = AGENT.lock();
        if let Some(u) = uid {
            if ag.program(u).is_none() {
                drop(ag);
                STATS.inc(Stat::ChangeProgsRejected);
                if sys::ratelimit() {
                    pr_warn!("ccp: flow {}: program {} is not installed\n", sid, u);
                }
                return;
            }
        }
        let Some(slot) = ag.slot_of(sid) else {
            drop(ag);
            STATS.inc(Stat::UnknownSid);
            if sys::ratelimit() {
                pr_info!("ccp: message for unknown flow {}\n", sid);
            }
            return;
        };
        if uid.is_some() {
            // The new program's DEFs replace what earlier updates set.
            slot.staged_prog = uid;
            slot.nstaged = 0;
            STATS.inc(Stat::ChangeProgs);
        }
        let mut ignored = 0;
        let mut dropped = 0;
        for u in updates {
            if !ccp_vm::valid_update(&u) {
                ignored += 1;
                continue;
            }
            let n = usize::from(slot.nstaged);
            if n < MAX_STAGED {
                slot.staged[n] = u;
                slot.nstaged += 1;
                STATS.inc(Stat::Updates);
            } else if let Some(k) = slot.staged[..n]
                .iter()
                .position(|s| s.reg_type == u.reg_type && s.index == u.index)
            {
                // Same target again: the newer value wins.
                slot.staged[k] = u;
                STATS.inc(Stat::Updates);
            } else {
                dropped += 1;
            }
        }
        drop(ag);
        STATS.add(Stat::UpdatesIgnored, ignored);
        STATS.add(Stat::StagedDropped, dropped);
        if (ignored > 0 || dropped > 0) && sys::ratelimit() {
            pr_warn!(
                "ccp: flow {}: {} updates of an invalid target ignored, {} dropped (more than {} staged)\n",
                sid,
                ignored,
                dropped,
                MAX_STAGED
            );
        }
    }
}

impl miscdev::FileOps for AgentFile {
    fn open() -> Result<Pin<KBox<Self>>> {
        if !crate::READY.load(Ordering::Acquire) {
            return Err(ENODEV);
        }
        if !sys::capable_net_admin() {
            if sys::ratelimit() {
                pr_warn!("ccp: /dev/ccpkp: open denied: CAP_NET_ADMIN required\n");
            }
            return Err(EPERM);
        }
        let io = Io {
            rx: KVec::from_elem(0u8, ccp_wire::MAX_AGENT_MSG, GFP_KERNEL)?,
            tx: KVec::from_elem(0u8, READ_CHUNK, GFP_KERNEL)?,
        };
        let file = KBox::pin_init(
            pin_init!(AgentFile {
                io <- new_mutex!(io, "ccp_agent_io"),
            }),
            GFP_KERNEL,
        )?;
        let mut ready = [0u8; ccp_wire::READY_LEN];
        ccp_wire::encode_ready(&mut ready, 0).map_err(|_| EINVAL)?;
        {
            let mut ag = AGENT.lock();
            if ag.attached {
                drop(ag);
                STATS.inc(Stat::AgentBusy);
                if sys::ratelimit() {
                    pr_warn!("ccp: /dev/ccpkp: an agent is already attached\n");
                }
                return Err(EBUSY);
            }
            // Clears stale programs; flows fall back and announce
            // themselves again at their next ACK.
            ag.reset(true);
            ag.send(&ready);
        }
        STATS.inc(Stat::AgentOpens);
        pr_info!("ccp: agent attached\n");
        Ok(file)
    }

    fn read(this: Pin<&Self>, _waker: &Waker, out: &mut UserSliceWriter) -> Result<usize> {
        let mut io = this.io.lock();
        let room = out.len().min(READ_CHUNK);
        let mut n = 0;
        {
            let mut ag = AGENT.lock();
            let Some(q) = ag.queue.as_mut() else {
                return Err(EAGAIN);
            };
            match q.front_len() {
                None => return Err(EAGAIN),
                Some(l) if l > out.len() => return Err(EINVAL),
                Some(_) => {}
            }
            // Whole messages only, as many as fit.
            while let Some(l) = q.front_len() {
                if n + l > room {
                    break;
                }
                match q.peek(&mut io.tx[n..]) {
                    Some(k) => {
                        n += k;
                        q.pop();
                    }
                    None => break,
                }
            }
        }
        // A failed copy loses these messages (they left the queue); the
        // agent's next read gets the following ones.
        out.write_slice(&io.tx[..n])?;
        Ok(n)
    }

    fn write(this: Pin<&Self>, _waker: &Waker, mut input: UserSliceReader) -> Result<usize> {
        let len = input.len();
        let framing = |e: WireError| {
            STATS.inc(Stat::FramingErrors);
            if sys::ratelimit() {
                pr_warn!("ccp: rejected {}-byte write: {}\n", len, e.as_str());
            }
        };
        if len > ccp_wire::MAX_AGENT_MSG {
            framing(WireError::TooLong);
            return Err(err::emsgsize());
        }
        let mut io = this.io.lock();
        input.read_slice(&mut io.rx[..len])?;
        match ccp_wire::decode_agent(&io.rx[..len]) {
            Ok(m) => {
                // The agent is alive: it answers.
                AGENT.lock().unanswered_since = 0;
                Self::handle(m)
            }
            Err(e) if e.is_framing() => {
                framing(e);
                return Err(EINVAL);
            }
            Err(e) => {
                STATS.inc(Stat::Ignored);
                if sys::ratelimit() {
                    pr_warn!("ccp: message ignored: {}\n", e.as_str());
                }
            }
        }
        Ok(len)
    }

    fn poll(_this: Pin<&Self>) -> Readiness {
        let ag = AGENT.lock();
        Readiness {
            readable: ag.queue.as_ref().is_some_and(|q| !q.is_empty()),
            writable: true,
        }
    }

    fn release(this: Pin<KBox<Self>>) {
        AGENT.lock().reset(false);
        pr_info!(
            "ccp: agent detached; flows run in-kernel {}\n",
            fallback_name()
        );
        drop(this);
    }
}

/// The datapath's registrations, undone on drop (congestion control last
/// registered, first removed).
pub(crate) struct Datapath {
    dev: Option<miscdev::Registration<AgentFile>>,
    cong: Option<cong::Registration<Ccp>>,
}

impl Datapath {
    /// Allocates the flow table and queue and registers `/dev/ccpkp` and
    /// `ccp`.
    pub(crate) fn register() -> Result<Self> {
        LOAD_NS.store(now_ns(), Ordering::Relaxed);
        let mut slots = KVVec::with_capacity(MAX_FLOWS, GFP_KERNEL)?;
        for _ in 0..MAX_FLOWS {
            slots.push(FREE_SLOT, GFP_KERNEL)?;
        }
        let queue = MsgRing::new(QueueBuf(KVec::from_elem(0u8, QUEUE_BYTES, GFP_KERNEL)?));
        {
            let mut ag = AGENT.lock();
            ag.slots = Some(slots);
            ag.queue = Some(queue);
        }
        let dev = miscdev::Registration::register(c_str!("ccpkp"), 0o600)?;
        let cong = cong::Registration::register(&CCP_OPS)?;
        Ok(Self {
            dev: Some(dev),
            cong: Some(cong),
        })
    }
}

impl Drop for Datapath {
    fn drop(&mut self) {
        self.dev.take();
        // No socket uses `ccp` any more (each holds a module reference),
        // and the ops are gone: nothing reaches the tables now.
        self.cong.take();
        let (slots, queue) = {
            let mut ag = AGENT.lock();
            ag.reset(false);
            (ag.slots.take(), ag.queue.take())
        };
        drop(slots);
        drop(queue);
    }
}
