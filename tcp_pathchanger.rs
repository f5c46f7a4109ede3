// SPDX-License-Identifier: GPL-2.0

//! TCP Path Changer (TPC): path-aware TCP over IPv6 Segment Routing.
//!
//! This is the module's crate root and its policy code. It registers:
//!
//! - the congestion control `tpc`: Reno (through the kernel's exported Reno
//!   helpers) plus the TCP Path Changer. A connection whose destination has
//!   paths in the path table starts on path 0 and, when it stops making
//!   progress, moves to the next path (NRTOChanger or TimeoutChanger on the
//!   sender, duplicate data on the receiver): a new SRv6 routing header on
//!   the socket plus TCP_PATH_CHANGED;
//! - a probe on the `kfree_skb` tracepoint, which sees the duplicate data
//!   segments TCP input drops (the receiver-side signal, without a kernel
//!   patch);
//! - the sysctls `net.tpc.*` (strategy, N, M, T, parity);
//! - the private socket options `TPC_SO_*` (connection state, pin to a
//!   path, move now);
//! - the control device `/dev/tpc`, speaking the versioned message protocol
//!   of `tpc/proto.rs` (path table, strategies, events, counters).
//!
//! There is no `unsafe` here: kernel interfaces are reached through the safe
//! wrappers of `rust/` (module `sys`), and the protocol, queue, knob and
//! counter logic lives in the pure files under `tpc/`, which the host test
//! crate compiles too. See `Documentation/admin-guide.rst` for the ABI.

use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::{new_mutex, Mutex};
use kernel::time::Ktime;
use kernel::uaccess::{UserSliceReader, UserSliceWriter};

#[path = "tpc/augment.rs"]
mod augment;
#[path = "ccp/cubic.rs"]
mod ccp_cubic;
#[path = "ccp_datapath.rs"]
mod ccp_datapath;
#[path = "ccp/vm.rs"]
mod ccp_vm;
#[path = "ccp/wire.rs"]
mod ccp_wire;
#[path = "tpc/counters.rs"]
mod counters;
#[path = "tpc/events.rs"]
mod events;
#[path = "tpc/exp3.rs"]
mod exp3;
#[path = "tpc/failover.rs"]
mod failover;
#[path = "fpu_helpers.rs"]
mod fpu_helpers;
#[path = "tpc/knobs.rs"]
mod knobs;
#[path = "tpc/paths.rs"]
mod paths;
#[path = "tpc/proto.rs"]
mod proto;
#[path = "tpc/ring.rs"]
mod ring;
#[path = "tpc/srh.rs"]
mod srh;
#[path = "tpc/synack.rs"]
mod synack;
#[path = "rust/mod.rs"]
mod sys;

use augment::FlowTrack;
use counters::{Counter, Counters};
use events::{Event, EventLog, UpdateEvent};
use exp3::{Draw, FlowExp3};
use failover::{Flow, Verdict};
use knobs::{Knob, Knobs};
use paths::{
    AddrFmt, Entry, PathError, PathTable, Prefix, Reason, Srh, Strategy, StrategyKind, MAX_PREFIXES,
};
use proto::{AugReq, Exp3Req, FailoverReq, ProtoError, Request};
use ring::MsgRing;
use synack::{ConnKey, Pending, SynCache};
use sys::bh_lock::{BhSpinLock, StaticBhLock, StaticLockId};
use sys::cong::{
    self, Addrs, AugSample, CaEvent, CaState, LockedSock, OpsSlot, Phase, Sock, SynAck,
};
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
pub(crate) static KNOBS: Knobs = Knobs::new();
/// The registered `tpc` ops, for recognising sockets that use them.
static TPC_OPS: OpsSlot<Tpc> = OpsSlot::new();
/// The path table: written by the controller, read by TCP callbacks.
static PATHS: StaticBhLock<PathTable<[Option<Entry>; MAX_PREFIXES]>> = StaticBhLock::new(
    StaticLockId::Paths,
    PathTable::from_empty([None; MAX_PREFIXES]),
);
/// The EXP3 states. Lock order: `PATHS`, then `EXP3`.
static EXP3: StaticBhLock<exp3::Table<[Option<exp3::State>; exp3::MAX_STATES]>> = StaticBhLock::new(
    StaticLockId::Exp3,
    exp3::Table::from_empty([None; exp3::MAX_STATES]),
);
/// EXP3 draws of SYN-ACKs, until their connection exists. Taken alone or
/// after `PATHS` (never with `EXP3` held).
static SYNACKS: StaticBhLock<SynCache<{ synack::SLOTS }>> =
    StaticBhLock::new(StaticLockId::Synack, SynCache::new());
/// Path-change events kept for subscribed readers of `/dev/tpc`.
const EVENT_LOG_LEN: usize = 1024;
/// EXP3 updates kept for subscribed readers of `/dev/tpc`.
const UPDATE_LOG_LEN: usize = 1024;

/// The event logs, under one lock.
struct Logs {
    /// Path changes.
    moves: EventLog<[Event; EVENT_LOG_LEN]>,
    /// EXP3 weight updates.
    updates: EventLog<[UpdateEvent; UPDATE_LOG_LEN], UpdateEvent>,
}

/// The event logs.
static EVENTS: StaticBhLock<Logs> = StaticBhLock::new(
    StaticLockId::Events,
    Logs {
        moves: EventLog::new([Event::EMPTY; EVENT_LOG_LEN]),
        updates: EventLog::new([UpdateEvent::EMPTY; UPDATE_LOG_LEN]),
    },
);

/// Prints a warning unless the networking log rate limit is exceeded.
macro_rules! warn_rl {
    ($($arg:tt)*) => {
        if sys::ratelimit() {
            pr_warn!($($arg)*);
        }
    };
}

pub(crate) fn now_ns() -> i64 {
    Ktime::ktime_get().to_ns()
}

/// `ns` in milliseconds, modulo 2^32 (for ages below 49 days).
pub(crate) fn ms32(ns: i64) -> u32 {
    (ns / 1_000_000) as u32
}

// ---- Congestion control and path changes ------------------------------

/// The `tpc` congestion control.
struct Tpc;

/// Per-connection state of `tpc` (lives in `icsk_ca_priv`).
#[derive(Default, Clone, Copy)]
struct TpcSock {
    /// When `tpc` took charge of the connection (`ktime_get`, ms, modulo
    /// 2^32).
    init_ms: u32,
    /// Entries into `TCP_CA_Loss`.
    loss_events: u32,
    /// ACKs that reached congestion avoidance.
    cong_avoid_calls: u32,
    /// Failover state.
    flow: Flow,
    /// The destination had paths: failover and EXP3 manage the connection
    /// (with the strategy its entry has at each signal).
    managed: bool,
    /// Current path index.
    path: u8,
    /// Generation of the table entry whose path `path` was applied; 0
    /// until a path was applied (generations start at 1). When the entry
    /// is replaced, `path` may no longer name the routing header the socket
    /// carries.
    applied_gen: u32,
    /// Pinned by the application: strategies leave it alone.
    pinned: bool,
    /// A FIN was seen: no more path changes.
    closing: bool,
    /// Path changes (the first path not counted).
    moves: u32,
    /// EXP3 state of the connection.
    exp3: FlowExp3,
    /// Augmenter's bookkeeping.
    aug: FlowTrack,
}

impl Tracked for TpcSock {
    fn track(&mut self) -> &mut FlowTrack {
        &mut self.aug
    }
}

/// The failover signals.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Signal {
    /// A retransmission timeout (sender).
    Rto,
    /// A duplicate data segment (receiver).
    Dup,
}

/// A path change to make: from `old` to `new`, whose SRH is `srh`.
struct Move {
    old: usize,
    new: usize,
    srh: Srh,
    reason: Reason,
    /// Generation of the table entry `new` indexes.
    generation: u32,
}

/// The strategy of prefixes without an override (the sysctls).
fn global_strategy() -> Strategy {
    Strategy {
        kind: StrategyKind::from_raw(KNOBS.get(Knob::Strategy) as u32).unwrap_or(StrategyKind::Off),
        n: KNOBS.get(Knob::Rtos) as u32,
        m: KNOBS.get(Knob::Dups) as u32,
        t_ms: KNOBS.get(Knob::TimeoutMs) as u32,
    }
}

fn effective_strategy(e: &Entry) -> Strategy {
    e.strategy.unwrap_or_else(global_strategy)
}

/// The EXP3 settings of prefixes without overrides (the sysctls).
fn global_exp3() -> exp3::Settings {
    let k = |k: Knob| KNOBS.get(k).max(0) as u32;
    exp3::Settings {
        on: KNOBS.get(Knob::Exp3) != 0,
        preset: exp3::Preset::from_raw(k(Knob::Exp3Preset)).unwrap_or(exp3::Preset::Textbook),
        gamma_ppm: k(Knob::Exp3GammaPpm),
        hook_bytes: k(Knob::Exp3HookBytes),
        // Range 1..=128 (sysctl).
        keylen: k(Knob::Exp3Keylen).min(128) as u8,
        ref_ms: k(Knob::Exp3RefMs),
        fail_timeout_ms: k(Knob::Exp3FailTimeoutMs),
    }
}

fn exp3_settings(e: &Entry) -> exp3::Settings {
    e.exp3.resolve(&global_exp3())
}

/// The byte mark of the EXP3 hook rate: acknowledged plus received bytes
/// (modulo 2^32).
fn byte_mark(snd_una: u32, rcv_nxt: u32) -> u32 {
    snd_una.wrapping_add(rcv_nxt)
}

/// Runs `f` on the EXP3 state of destination `daddr` under entry `e`
/// (created if missing), under the `EXP3` lock; `f` also gets the state's
/// key. The caller holds `PATHS` (lock order).
fn with_exp3_state<R>(
    e: &Entry,
    x: &exp3::Settings,
    daddr: &srh::Addr,
    now: i64,
    f: impl FnOnce(&mut exp3::State, Prefix) -> R,
) -> R {
    let key = exp3::key_of(daddr, &e.prefix, x.keylen);
    let mut ex = EXP3.lock();
    f(
        ex.get_or_insert(key, e.prefix, e.generation, e.len(), now),
        key,
    )
}

/// Draws a path for a connection to `daddr` under entry `e`.
fn exp3_draw(e: &Entry, x: &exp3::Settings, daddr: &srh::Addr, now: i64) -> Draw {
    let d = with_exp3_state(e, x, daddr, now, |st, _| {
        st.draw(x.gamma_ppm, sys::random_u32(), now)
    });
    COUNTERS.inc(Counter::Exp3Draws);
    d
}

/// Leaves `path` out of EXP3 draws for `daddr` (failover moved a
/// connection away from it).
fn exp3_mark_failed(e: &Entry, daddr: &srh::Addr, path: usize, now: i64) {
    let x = exp3_settings(e);
    if !x.on {
        return;
    }
    let until = match x.fail_timeout_ms {
        0 => 0,
        ms => now.saturating_add(i64::from(ms) * 1_000_000),
    };
    with_exp3_state(e, &x, daddr, now, |st, _| st.mark_failed(path as u8, until));
    COUNTERS.inc(Counter::Exp3PathsFailed);
}

/// Appends an event and wakes `/dev/tpc` readers. Any context.
fn emit(a: &Addrs, reason: Reason, old: usize, new: usize, now: i64) {
    EVENTS.lock().moves.push(Event {
        ktime_ns: now as u64,
        reason,
        // Path indices are below MAX_PATHS.
        old: old as u8,
        new: new as u8,
        saddr: a.saddr,
        daddr: a.daddr,
        sport: a.sport,
        dport: a.dport,
    });
    COUNTERS.inc(Counter::Events);
    miscdev::wake_all();
}

fn move_counter(r: Reason) -> Counter {
    match r {
        Reason::Init => Counter::PathStarts,
        Reason::Rto => Counter::MovesRto,
        Reason::DupData => Counter::MovesDupData,
        Reason::Timeout => Counter::MovesTimeout,
        Reason::Pin => Counter::MovesPin,
        Reason::Request => Counter::MovesRequest,
        Reason::Exp3 => Counter::MovesExp3,
    }
}

/// How a path change for `why` applies TCP_PATH_CHANGED: `Some(true)`
/// halved (the RTO handler doubles it next), `Some(false)` as is, `None`
/// not at all. Always after an RTO; after duplicate data and at a passive
/// start only with `net.tpc.parity`, halved like the original (there is no
/// doubling after, so the RTO stays half the RTT-based value until the next
/// RTT sample); never at an active start (the original applied it before
/// the SYN, where it only cleared the backoff). Application requests reset
/// the RTO to the RTT-based value itself.
fn path_changed_mode(sk: &Sock<'_, Tpc>, why: Reason) -> Option<bool> {
    let parity = KNOBS.get(Knob::Parity) != 0;
    match why {
        Reason::Rto | Reason::Timeout => Some(true),
        Reason::Init => (parity && sk.phase() == Phase::SynRecv).then_some(true),
        Reason::DupData => parity.then_some(true),
        Reason::Pin | Reason::Request => Some(false),
        // Both paths work: nothing to reset (the original did not either).
        Reason::Exp3 => None,
    }
}

/// Applies `m` to the connection: the new routing header, then
/// TCP_PATH_CHANGED (always after an RTO; elsewhere if `net.tpc.parity`),
/// then, for a receiver-side move, an immediate ACK on the new path (the
/// duplicate ACK TCP sent before our probe ran left on the old one).
/// Runs with the socket lock held, in whatever context the signal came
/// from; the header is swapped directly (no deferral), so the next segment
/// the socket sends takes the new path. A connection that starts on a
/// direct path 0 keeps whatever routing header the application set.
fn apply_move(sk: &mut Sock<'_, Tpc>, a: &Addrs, m: &Move, now: i64) -> Result {
    let swap = !(m.reason == Reason::Init && m.srh.is_direct());
    if let Err(e) = if swap {
        sk.set_rthdr(m.srh.as_bytes())
    } else {
        Ok(())
    } {
        COUNTERS.inc(Counter::MovesFailed);
        if let Some(entry) = PATHS.lock().lookup(&a.daddr) {
            entry.stats.apply_failed += 1;
        }
        warn_rl!(
            "{}: path {} -> {} ({}) failed ({:?}); keeping path {}\n",
            ConnFmt(a),
            m.old,
            m.new,
            m.reason.name(),
            e,
            m.old
        );
        return Err(e);
    }
    if let Some(halve) = path_changed_mode(sk, m.reason) {
        sk.path_changed(halve);
    }
    if m.reason == Reason::DupData {
        sk.send_ack();
    }
    let snd_nxt = sk.snd_nxt();
    if let Some(d) = sk.data() {
        // Only RTTs of data sent from now on measure the new path.
        d.exp3.path_changed(snd_nxt);
        if m.reason != Reason::Init {
            d.flow.moved(now);
            d.moves = d.moves.saturating_add(1);
            if m.reason != Reason::Exp3 {
                // The draw no longer describes the path in use.
                d.exp3.pending = false;
            }
        }
        d.path = m.new as u8;
        d.applied_gen = m.generation;
        if m.reason == Reason::Pin {
            d.pinned = true;
        }
    }
    if let Some(entry) = PATHS.lock().lookup(&a.daddr) {
        let old = (m.reason != Reason::Init).then_some(m.old);
        entry.record_move(old, m.new, m.reason);
    }
    COUNTERS.inc(move_counter(m.reason));
    if swap {
        let spent = (now_ns() - now).max(0) as u64;
        COUNTERS.add(Counter::MoveApplyNs, spent);
        COUNTERS.max(Counter::MoveApplyMaxNs, spent);
    }
    emit(a, m.reason, m.old, m.new, now);
    Ok(())
}

/// Puts a connection that starts under `tpc` on a path of its destination,
/// if the destination has paths and failover or EXP3 is on: the path EXP3
/// draws, or path 0.
fn start_path(sk: &mut Sock<'_, Tpc>, now: i64) {
    // Also reached by setsockopt(TCP_CONGESTION) on a live socket: only
    // connections being established or established get a path.
    let phase = sk.phase();
    if !matches!(phase, Phase::SynRecv | Phase::Established) {
        return;
    }
    let Some(a) = sk.addrs() else { return };
    let net = sk.net_cookie();
    let found = {
        let mut t = PATHS.lock();
        t.lookup(&a.daddr).and_then(|e| {
            let s = effective_strategy(e);
            let x = exp3_settings(e);
            if s.kind == StrategyKind::Off && !x.on {
                return None;
            }
            let draw = x.on.then(|| {
                // A passive open starts where its SYN-ACK went.
                let sent = (phase == Phase::SynRecv)
                    .then(|| SYNACKS.lock().take(&conn_key(net, &a), now))
                    .flatten()
                    .filter(|p| p.generation == e.generation);
                let d = sent.map_or_else(|| exp3_draw(e, &x, &a.daddr, now), |p| p.draw);
                (d, x.hook_bytes)
            });
            let new = draw.map_or(0, |(d, _)| usize::from(d.path));
            Some((e.paths()[new].srh, e.generation, new, draw))
        })
    };
    let Some((srh, generation, new, draw)) = found else {
        return;
    };
    let mark = byte_mark(sk.snd_una(), sk.rcv_nxt());
    if let Some(d) = sk.data() {
        d.managed = true;
        d.flow = Flow::new(now);
        if let Some((dr, hook)) = draw {
            d.exp3.drawn(&dr, mark, hook);
        }
    }
    let m = Move {
        old: new,
        new,
        srh,
        reason: Reason::Init,
        generation,
    };
    // On failure the connection stays on the routing table's path;
    // failover may still move it later. No reward for a path not taken.
    if apply_move(sk, &a, &m, now).is_err() {
        if let Some(d) = sk.data() {
            d.exp3.pending = false;
        }
    }
}

/// A connection for log lines: `[saddr]:sport -> [daddr]:dport`.
struct ConnFmt<'a>(&'a Addrs);

impl core::fmt::Display for ConnFmt<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let a = self.0;
        write!(
            f,
            "[{}]:{} -> [{}]:{}",
            AddrFmt(&a.saddr),
            a.sport,
            AddrFmt(&a.daddr),
            a.dport
        )
    }
}

fn conn_key(net: u64, a: &Addrs) -> ConnKey {
    ConnKey {
        net,
        saddr: a.saddr,
        daddr: a.daddr,
        sport: a.sport,
        dport: a.dport,
    }
}

/// The path the connection of a SYN-ACK will start on, and its routing
/// header: the one EXP3 draws (remembered in `SYNACKS` for retransmissions
/// and for the connection), or path 0 under failover alone. `None` when
/// the destination has no paths or neither is on.
fn synack_path(net: u64, a: &Addrs, now: i64) -> Option<(usize, Srh)> {
    let mut t = PATHS.lock();
    let e = t.lookup(&a.daddr)?;
    let x = exp3_settings(e);
    let path = if x.on {
        let key = conn_key(net, a);
        let sent = SYNACKS.lock().get(&key, now);
        match sent.filter(|p| p.generation == e.generation) {
            Some(p) => usize::from(p.draw.path),
            None => {
                let draw = exp3_draw(e, &x, &a.daddr, now);
                let generation = e.generation;
                SYNACKS
                    .lock()
                    .insert(key, Pending { draw, generation }, now);
                usize::from(draw.path)
            }
        }
    } else if effective_strategy(e).kind != StrategyKind::Off {
        0
    } else {
        return None;
    };
    Some((path, e.paths()[path].srh))
}

/// Feeds a failover signal to the connection's strategy; moves it to the
/// next path when the strategy says so.
fn on_signal(sk: &mut Sock<'_, Tpc>, sig: Signal) {
    let phase = sk.phase();
    let Some(mut st) = sk.data().map(|d| *d) else {
        return;
    };
    if !st.managed || st.closing || st.pinned {
        return;
    }
    if phase == Phase::Closing {
        // Parity with the original, which dropped a flow's state on FIN.
        if let Some(d) = sk.data() {
            d.closing = true;
        }
        return;
    }
    if phase != Phase::Established {
        return;
    }
    let Some(a) = sk.addrs() else { return };
    let now = now_ns();
    let (snd_una, rcv_nxt) = (sk.snd_una(), sk.rcv_nxt());
    COUNTERS.inc(match sig {
        Signal::Rto => Counter::RtoSignals,
        Signal::Dup => Counter::DupSignals,
    });
    let decision = {
        let mut t = PATHS.lock();
        match t.lookup(&a.daddr) {
            // The paths were deleted: nothing to move to (the connection
            // stays managed, in case they come back).
            None => None,
            Some(e) => {
                let s = effective_strategy(e);
                let v = match sig {
                    Signal::Rto => st.flow.on_rto(&s, snd_una, now),
                    Signal::Dup => st.flow.on_dup(&s, rcv_nxt),
                };
                let old = usize::from(st.path);
                let new = e.next_after(old);
                let moving = v == Verdict::Move && new != old;
                if moving {
                    exp3_mark_failed(e, &a.daddr, old, now);
                }
                moving.then(|| Move {
                    old,
                    new,
                    srh: e.paths()[new].srh,
                    reason: match (sig, s.kind) {
                        (Signal::Dup, _) => Reason::DupData,
                        (Signal::Rto, StrategyKind::Timeout) => Reason::Timeout,
                        (Signal::Rto, _) => Reason::Rto,
                    },
                    generation: e.generation,
                })
            }
        }
    };
    if let Some(d) = sk.data() {
        *d = st;
    }
    if let Some(m) = decision {
        let _ = apply_move(sk, &a, &m, now);
    }
}

/// When an EXP3 connection reports the RTT of its path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Report {
    /// The hook rate's bytes went by: reward, then draw again.
    Hook,
    /// The connection is going away: reward only.
    Close,
}

/// Rewards the path an EXP3 connection drew with the RTT measured on it
/// and, at a hook, draws again (moving the connection if the draw says so).
fn exp3_report(sk: &mut Sock<'_, Tpc>, when: Report) {
    let phase = sk.phase();
    let Some(st) = sk.data().map(|d| *d) else {
        return;
    };
    // A connection that did not draw its path (failover, pin) still
    // probes it at close: RTTs measured on a path rehabilitate it.
    let probe = when == Report::Close && st.exp3.srtt_us != 0;
    if !st.exp3.pending && !probe {
        return;
    }
    let Some(a) = sk.addrs() else { return };
    let now = now_ns();
    let mark = byte_mark(sk.snd_una(), sk.rcv_nxt());
    let redraw = st.exp3.pending
        && when == Report::Hook
        && !st.pinned
        && !st.closing
        && phase == Phase::Established;
    let path = usize::from(st.path);
    let mut update = None;
    let decision = {
        let mut t = PATHS.lock();
        t.lookup(&a.daddr).and_then(|e| {
            let x = exp3_settings(e);
            if !st.exp3.pending && !x.on {
                return None;
            }
            // Rewards only while the path index still names the same path.
            let same = st.applied_gen == e.generation && path < e.len();
            let t0 = now_ns();
            let draw = with_exp3_state(e, &x, &a.daddr, now, |state, key| {
                if same && st.exp3.srtt_us != 0 {
                    if state.probe_ok(st.path) {
                        COUNTERS.inc(Counter::Exp3PathsProbed);
                    }
                    if st.exp3.pending {
                        update = state
                            .reward(&x, st.path, st.exp3.p(), st.exp3.k, st.exp3.srtt_us, now)
                            .map(|u| u.event(key));
                    }
                }
                (redraw && x.on).then(|| state.draw(x.gamma_ppm, sys::random_u32(), now))
            });
            let spent = (now_ns() - t0).max(0) as u64;
            COUNTERS.add(Counter::Exp3UpdateNs, spent);
            COUNTERS.max(Counter::Exp3UpdateMaxNs, spent);
            draw.map(|d| {
                COUNTERS.inc(Counter::Exp3Draws);
                let new = usize::from(d.path);
                (
                    d,
                    x.hook_bytes,
                    Move {
                        old: path,
                        new,
                        srh: e.paths()[new].srh,
                        reason: Reason::Exp3,
                        generation: e.generation,
                    },
                )
            })
        })
    };
    if let Some(ev) = update {
        COUNTERS.inc(Counter::Exp3Updates);
        EVENTS.lock().updates.push(ev);
        miscdev::wake_all();
    }
    if let Some(d) = sk.data() {
        d.exp3.pending = false;
        if let Some((dr, hook, _)) = &decision {
            d.exp3.drawn(dr, mark, *hook);
        }
    }
    if let Some((_, _, m)) = decision {
        if m.new != m.old || st.applied_gen != m.generation {
            let _ = apply_move(sk, &a, &m, now);
        }
    }
}

// ---- Augmenter ---------------------------------------------------------

/// Per-socket data that carries Augmenter's bookkeeping.
pub(crate) trait Tracked {
    /// The bookkeeping.
    fn track(&mut self) -> &mut FlowTrack;
}

/// The `augment_*` sysctls.
fn aug_settings() -> augment::Settings {
    let g = |k| KNOBS.get(k).max(0) as u32;
    augment::Settings {
        floor: g(Knob::AugFloor),
        ceiling: g(Knob::AugCeiling),
        half_life_ms: g(Knob::AugHalfLifeMs),
        stale_ms: g(Knob::AugStaleMs),
    }
}

fn aug_counters(s: &AugSample) -> augment::FlowCounters {
    augment::FlowCounters {
        bytes_acked: s.bytes_acked,
        lost: s.lost,
        min_rtt_us: s.min_rtt_us,
        mss: s.mss,
    }
}

/// At congestion-control `init`: tracks the connection if its destination
/// has a path-table entry, and sets its initial window by the entry's
/// policy. The window is only set before any data was sent and unless the
/// handshake needed more than one retransmission (the kernel then starts
/// at 1 on purpose). It is capped by the peer's receive window, the
/// socket's `snd_cwnd_clamp` and the route's locked cwnd metric. `pace`:
/// the algorithm leaves pacing to the kernel, so a raised window may be
/// paced (`augment_pacing`) for its first flight.
pub(crate) fn augment_init<T: cong::Algorithm>(sk: &mut Sock<'_, T>, pace: bool)
where
    T::Data: Tracked,
{
    if !matches!(sk.phase(), Phase::SynRecv | Phase::Established) {
        return;
    }
    let Some(a) = sk.addrs() else { return };
    let s = sk.aug_sample();
    let now = now_ns();
    let fresh_start = s.data_segs_out == 0 && s.total_retrans <= 1;
    let (est, plen) = {
        let mut t = PATHS.lock();
        let Some(e) = t.lookup(&a.daddr) else { return };
        let est = fresh_start
            .then(|| e.agg.window(&e.augment, now, s.mss, &aug_settings()))
            .flatten();
        if fresh_start && est.is_none() && e.augment.policy == augment::Policy::Learned {
            COUNTERS.inc(Counter::AugNoData);
        }
        // After the estimate: a connection is not its own competitor.
        e.agg.open_flow(now);
        (est, e.prefix.len)
    };
    COUNTERS.inc(Counter::AugFlows);
    let mut t = FlowTrack::default();
    let c = aug_counters(&s);
    t.start(&c, ms32(now), plen);
    if let Some(est) = est {
        let rwnd = s.snd_wnd / s.mss.max(1);
        let clamp = s.snd_cwnd_clamp.min(sk.route_cwnd_lock());
        let w = augment::conn_window(est.window, s.snd_cwnd, rwnd, clamp);
        if w < est.window {
            COUNTERS.inc(Counter::AugCapped);
        }
        sk.set_cwnd(w);
        COUNTERS.inc(Counter::AugWindows);
        let mut paced = false;
        if pace && w > s.snd_cwnd && KNOBS.get(Knob::AugPacing) != 0 {
            // The kernel's slow-start pacing (twice cwnd per RTT) spreads
            // the first flight; it updates the rate on every ACK, and
            // `augment_ack` turns it off after that flight.
            paced = sk.pacing_init();
            if s.srtt_us > 0 {
                let bytes = 2 * u64::from(w) * u64::from(s.mss);
                sk.set_pacing_rate(bytes * 1_000_000 / u64::from(s.srtt_us));
            }
        }
        t.set_initial(w, paced);
    }
    if let Some(d) = sk.data() {
        *d.track() = t;
    }
}

/// On an ACK at `now`: folds what the connection delivered into its
/// prefix's aggregate, at most every [`augment::REPORT_MS`]. `last`: the
/// connection is being released (report what is left, then stop).
pub(crate) fn augment_ack<T: cong::Algorithm>(sk: &mut Sock<'_, T>, now: i64, last: bool)
where
    T::Data: Tracked,
{
    let now_ms = ms32(now);
    let Some(mut t) = sk.data().map(|d| *d.track()) else {
        return;
    };
    // Read only when needed (per ACK while the first flight is paced).
    let mut sample = None;
    if t.paced() {
        let recovering = CaState::try_from(sk.ca_state()).is_ok_and(reduces);
        let s = sample.insert(sk.aug_sample());
        let drained = s.data_segs_out > 0 && s.packets_out == 0;
        if last || t.pacing_over(s.bytes_acked, s.mss, drained, recovering) {
            augment_pacing_end(sk);
            t.end_pacing();
        }
    }
    if !t.tracked() || !(last || t.due(now_ms)) {
        return;
    }
    let c = aug_counters(&sample.unwrap_or_else(|| sk.aug_sample()));
    let Some(a) = sk.addrs() else { return };
    let report = t.take(&c, now_ms);
    if last {
        t.untrack();
    }
    if report.is_some() || last {
        let mut table = PATHS.lock();
        if let Some(r) = &report {
            if let Some(e) = table.lookup(&a.daddr) {
                e.agg.report(&mut t, r, now, &aug_settings());
            }
        }
        // The entry that counted the flow open, even if a longer prefix
        // has been added since.
        if last {
            if let Some(e) = table.lookup_len(&a.daddr, t.plen) {
                e.agg.close_flow();
            }
        }
    }
    if report.is_some() {
        COUNTERS.inc(Counter::AugReports);
    }
    if let Some(d) = sk.data() {
        *d.track() = t;
    }
}

/// Whether `state` is a window reduction (CWR, fast recovery, RTO
/// recovery), which runs without Augmenter's pacing.
fn reduces(state: CaState) -> bool {
    matches!(state, CaState::Cwr | CaState::Recovery | CaState::Loss)
}

/// Ends the pacing Augmenter turned on for the connection's first flight.
fn augment_pacing_end<T: cong::Algorithm>(sk: &mut Sock<'_, T>)
where
    T::Data: Tracked,
{
    let Some(d) = sk.data() else { return };
    if d.track().end_pacing() {
        sk.pacing_stop();
    }
}

/// When the connection's first data segment is being sent
/// (`CA_EVENT_TX_START`): if the application waited longer than an RTO
/// after the handshake, TCP's restart after idle has just cut the
/// Augmenter window back towards the kernel's. The first flight gets the
/// policy's window as of now (the aggregate may have moved, gone stale or
/// the policy changed meanwhile), at most the one set at `init` (which had
/// the receive-window and route caps applied); the rest of the flight is
/// sent under it. Later idle restarts are the kernel's business.
pub(crate) fn augment_tx_start<T: cong::Algorithm>(sk: &mut Sock<'_, T>)
where
    T::Data: Tracked,
{
    let Some(d) = sk.data() else { return };
    let Some(iw) = d.track().first_segment() else {
        return;
    };
    let s = sk.aug_sample();
    if s.data_segs_out != 0 || s.snd_cwnd >= iw {
        return;
    }
    let Some(a) = sk.addrs() else { return };
    let now = now_ns();
    let est = PATHS
        .lock()
        .lookup(&a.daddr)
        .and_then(|e| e.agg.window(&e.augment, now, s.mss, &aug_settings()));
    let Some(est) = est else { return };
    let w = est.window.min(iw);
    if w > s.snd_cwnd {
        sk.set_cwnd(w);
        COUNTERS.inc(Counter::AugRestored);
    }
}

/// Applies an Augmenter policy change; see `struct tpc_augment_set` in the
/// uapi header.
fn set_augment(r: &AugReq) -> Result<augment::Config, (Error, &'static str)> {
    let prefix = Prefix::new(r.prefix.addr, r.prefix.len).map_err(|e| (EINVAL, e.as_str()))?;
    let c = augment::Config::from_wire(r.kind, r.fixed, r.floor, r.ceiling, &aug_settings())
        .map_err(|e| (EINVAL, e.as_str()))?;
    PATHS
        .lock()
        .set_augment(prefix, c)
        .map_err(|_| (ENOENT, "no path-table entry for the prefix"))?;
    Ok(c)
}

/// The Augmenter state of `prefix`, windows computed for `mss`.
fn augment_state(prefix: Prefix, mss: u32) -> Result<proto::AugStateView, (Error, &'static str)> {
    let prefix = Prefix::new(prefix.addr, prefix.len).map_err(|e| (EINVAL, e.as_str()))?;
    if mss != 0 && !augment::QUERY_MSS.contains(&mss) {
        return Err((EINVAL, "mss must be 0 (the default) or 88..65535"));
    }
    let x = aug_settings();
    let now = now_ns();
    let mut t = PATHS.lock();
    let e = t
        .get_mut(prefix)
        .ok_or((ENOENT, "no path-table entry for the prefix"))?;
    Ok(proto::AugStateView::of(e, mss, now, &x))
}

#[vtable]
impl cong::Algorithm for Tpc {
    const NAME: &'static CStr = c_str!("tpc");
    type Data = TpcSock;

    fn init(sk: &mut Sock<'_, Self>) {
        let now = now_ns();
        if let Some(d) = sk.data() {
            d.init_ms = ms32(now);
        }
        COUNTERS.inc(Counter::ConnsInitialized);
        start_path(sk, now);
        // After the path: its routing header sets the MSS.
        augment_init(sk, true);
    }

    fn release(sk: &mut Sock<'_, Self>) {
        // Sockets released without `init` (listeners, failed connects)
        // were never counted.
        if sk.data().is_some() {
            COUNTERS.inc(Counter::ConnsReleased);
            exp3_report(sk, Report::Close);
            augment_ack(sk, now_ns(), true);
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

    fn cwnd_event(sk: &mut Sock<'_, Self>, ev: CaEvent) {
        if ev == CaEvent::TxStart {
            augment_tx_start(sk);
        }
    }

    fn set_state(sk: &mut Sock<'_, Self>, state: CaState) {
        if reduces(state) {
            // Loss recovery runs as without Augmenter.
            augment_pacing_end(sk);
        }
        if state != CaState::Loss {
            return;
        }
        COUNTERS.inc(Counter::LossEvents);
        if let Some(d) = sk.data() {
            d.loss_events = d.loss_events.wrapping_add(1);
        }
        // Runs before the retransmission and before the backoff doubles,
        // as TCP_PATH_CHANGED expects.
        if sk.is_rto() {
            on_signal(sk, Signal::Rto);
        }
    }

    fn pkts_acked(sk: &mut Sock<'_, Self>, _pkts: u32, rtt_us: Option<u32>) {
        augment_ack(sk, now_ns(), false);
        let Some(rtt) = rtt_us else {
            return;
        };
        let snd_una = sk.snd_una();
        let mark = byte_mark(snd_una, sk.rcv_nxt());
        let due = match sk.data() {
            // Kept whatever the strategy: it may become TimeoutChanger.
            Some(d) if d.managed => {
                d.flow.on_rtt_sample(now_ns());
                d.exp3.on_rtt(rtt, snd_una);
                d.exp3.due(mark)
            }
            _ => false,
        };
        if due {
            exp3_report(sk, Report::Hook);
        }
    }

    fn dup_data(sk: &mut Sock<'_, Self>, old_data: bool) {
        if !old_data || KNOBS.get(Knob::CountOldData) != 0 {
            on_signal(sk, Signal::Dup);
        }
    }

    /// The SYN-ACK takes the path the connection will start on.
    fn synack(net: u64, a: &Addrs, synack: &mut SynAck<'_>) {
        let now = now_ns();
        let Some((path, srh)) = synack_path(net, a, now) else {
            return;
        };
        if srh.is_direct() {
            return;
        }
        match synack.insert_rthdr(srh.as_bytes()) {
            Ok(()) => COUNTERS.inc(Counter::SynackPaths),
            Err(e) => {
                COUNTERS.inc(Counter::SynackFailed);
                warn_rl!(
                    "{}: SYN-ACK on path {} failed ({:?}); it takes the routing table's path\n",
                    ConnFmt(a),
                    path,
                    e
                );
            }
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
        path: proto::PATH_NONE,
        ..Default::default()
    };
    let npaths = s
        .addrs()
        .and_then(|a| PATHS.lock().lookup(&a.daddr).map(|e| e.len() as u32))
        .unwrap_or(0);
    if let Some(d) = s.data() {
        info.flags |= proto::CONN_F_INITIALIZED;
        info.loss_events = d.loss_events;
        info.cong_avoid_calls = d.cong_avoid_calls;
        info.age_ns = u64::from(ms32(now_ns()).wrapping_sub(d.init_ms)) * 1_000_000;
        info.moves = d.moves;
        info.retrans = d.flow.retrans;
        if d.managed {
            info.flags |= proto::CONN_F_MANAGED;
            info.path = u32::from(d.path);
            info.npaths = npaths;
        }
        if d.pinned {
            info.flags |= proto::CONN_F_PINNED;
        }
        if d.closing {
            info.flags |= proto::CONN_F_CLOSING;
        }
    }
    let mut buf = [0u8; proto::CONN_INFO_LEN];
    info.encode(&mut buf);
    let n = out.len().min(buf.len());
    out[..n].copy_from_slice(&buf[..n]);
    Ok(n)
}

/// What an application asks of its connection's path.
#[derive(Clone, Copy)]
enum PathRequest {
    /// Move to this path and stay there.
    Pin(u32),
    /// Remove the pin.
    Unpin,
    /// Move to the next path now.
    Next,
}

/// `TPC_SO_PIN` and `TPC_SO_MOVE`, under `lock_sock()`.
fn path_request(sk: &mut LockedSock<'_>, req: PathRequest) -> Result<(), SockoptError> {
    let mut s = sk
        .congestion(&TPC_OPS)
        .ok_or((ENOENT, "socket does not use tpc"))?;
    if s.phase() != Phase::Established {
        return Err((err::enotconn(), "connection not established"));
    }
    let a = s.addrs().ok_or((ENOENT, "not an IPv6 connection"))?;
    let mut st = s
        .data()
        .map(|d| *d)
        .ok_or((ENOENT, "tpc state not initialised"))?;
    if let PathRequest::Unpin = req {
        st.pinned = false;
        if let Some(d) = s.data() {
            *d = st;
        }
        return Ok(());
    }
    let now = now_ns();
    let m = {
        let mut t = PATHS.lock();
        let e = t
            .lookup(&a.daddr)
            .ok_or((ENOENT, "no paths for this destination"))?;
        let old = usize::from(st.path);
        let (new, reason) = match req {
            PathRequest::Pin(k) => {
                let k = k as usize;
                if k >= e.len() {
                    return Err((ENOENT, "no path with this index"));
                }
                (k, Reason::Pin)
            }
            _ => (e.next_after(old), Reason::Request),
        };
        if !st.managed {
            // Started before its destination had paths: managed from now.
            st.managed = true;
            st.flow = Flow::new(now);
        }
        Move {
            old,
            new,
            srh: e.paths()[new].srh,
            reason,
            generation: e.generation,
        }
    };
    // Nothing to do if the socket already carries that very path.
    let in_place = m.new == m.old && st.applied_gen == m.generation;
    if in_place && m.reason == Reason::Pin {
        st.pinned = true;
    }
    if let Some(d) = s.data() {
        *d = st;
    }
    if in_place {
        return Ok(());
    }
    // Pins only once the path is in place (`apply_move`).
    apply_move(&mut s, &a, &m, now).map_err(|e| (e, "path change failed (option memory)"))
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

    fn set(sk: &mut LockedSock<'_>, optname: i32, input: &[u8]) -> Result {
        let r = match optname {
            proto::SO_PIN => match <[u8; 4]>::try_from(input) {
                Ok(b) if u32::from_ne_bytes(b) == proto::PIN_NONE => {
                    path_request(sk, PathRequest::Unpin)
                }
                Ok(b) => path_request(sk, PathRequest::Pin(u32::from_ne_bytes(b))),
                Err(_) => Err((EINVAL, "TPC_SO_PIN takes a 4-byte path index")),
            },
            proto::SO_MOVE => path_request(sk, PathRequest::Next),
            _ => Err((err::enoprotoopt(), "no such option")),
        };
        r.map_err(|(e, why)| {
            COUNTERS.inc(Counter::SockoptRejected);
            warn_rl!(
                "setsockopt({:#x}, len {}) rejected: {}\n",
                optname,
                input.len(),
                why
            );
            e
        })
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
pub(crate) static READY: AtomicBool = AtomicBool::new(false);

/// Byte storage of a reply queue.
pub(crate) struct QueueBuf(pub(crate) KVec<u8>);

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
    /// The file receives events (after a subscribe request).
    subscribed: AtomicBool,
    /// Sequence number of the next path-change event to deliver.
    cursor: AtomicU64,
    /// Sequence number of the next EXP3 update to deliver.
    ucursor: AtomicU64,
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

/// A refused control request: logs why and returns the errno.
fn refuse(what: &str, e: PathError) -> Error {
    COUNTERS.inc(Counter::DevMsgsRejected);
    warn_rl!("/dev/tpc: {} refused: {}\n", what, e);
    match e {
        PathError::TableFull => ENOSPC,
        PathError::NotFound => ENOENT,
        PathError::Exists => EEXIST,
        _ => EINVAL,
    }
}

/// Applies a strategy change; see `struct tpc_failover` in the uapi header.
fn set_failover(r: &FailoverReq) -> Result<(), (Error, &'static str)> {
    let bad = |why| (EINVAL, why);
    let check = |k: Knob, v: u32| -> Result<Option<i32>, (Error, &'static str)> {
        if v == 0 {
            return Ok(None);
        }
        let d = k.def();
        match i32::try_from(v) {
            Ok(v) if (d.min..=d.max).contains(&v) => Ok(Some(v)),
            _ => Err(bad("n, m or t out of the sysctl's range")),
        }
    };
    let (n, m, t) = (
        check(Knob::Rtos, r.n)?,
        check(Knob::Dups, r.m)?,
        check(Knob::TimeoutMs, r.t_ms)?,
    );
    let kind = if r.kind == proto::KIND_INHERIT {
        None
    } else {
        Some(StrategyKind::from_raw(u32::from(r.kind)).ok_or(bad("unknown strategy"))?)
    };
    if r.plen == proto::SCOPE_GLOBAL {
        let kind = kind.ok_or(bad("'inherit' needs a prefix"))?;
        for (k, v) in [(Knob::Rtos, n), (Knob::Dups, m), (Knob::TimeoutMs, t)] {
            if let Some(v) = v {
                // In range: checked above.
                let _ = KNOBS.set(k, v);
            }
        }
        let _ = KNOBS.set(Knob::Strategy, kind as i32);
        return Ok(());
    }
    let prefix = Prefix::new(r.addr, r.plen).map_err(|e| (EINVAL, e.as_str()))?;
    let g = global_strategy();
    let s = kind.map(|kind| Strategy {
        kind,
        n: n.map_or(g.n, |v| v as u32),
        m: m.map_or(g.m, |v| v as u32),
        t_ms: t.map_or(g.t_ms, |v| v as u32),
    });
    PATHS
        .lock()
        .set_strategy(prefix, s)
        .map_err(|e| (ENOENT, e.as_str()))
}

/// Applies an EXP3 settings change; see `struct tpc_exp3_set` in the uapi
/// header.
fn set_exp3(r: &Exp3Req) -> Result<(), (Error, &'static str)> {
    r.ov.validate().map_err(|e| (EINVAL, e.as_str()))?;
    if r.plen != proto::SCOPE_GLOBAL {
        let prefix = Prefix::new(r.addr, r.plen).map_err(|e| (EINVAL, e.as_str()))?;
        return PATHS
            .lock()
            .set_exp3(prefix, r.ov)
            .map_err(|e| (ENOENT, e.as_str()));
    }
    let o = &r.ov;
    if o.mode == exp3::INHERIT_U8 {
        return Err((EINVAL, "'inherit' needs a prefix"));
    }
    let hook = if o.hook_bytes == exp3::INHERIT_U32 {
        None
    } else {
        let d = Knob::Exp3HookBytes.def();
        match i32::try_from(o.hook_bytes) {
            Ok(v) if (d.min..=d.max).contains(&v) => Some(v),
            _ => return Err((EINVAL, "hook rate above the sysctl's range")),
        }
    };
    // Every value was range-checked above: the sets cannot fail.
    if let Some(v) = hook {
        let _ = KNOBS.set(Knob::Exp3HookBytes, v);
    }
    if o.gamma_ppm != exp3::INHERIT_U32 {
        let _ = KNOBS.set(Knob::Exp3GammaPpm, o.gamma_ppm as i32);
    }
    if o.preset != exp3::INHERIT_U8 {
        let _ = KNOBS.set(Knob::Exp3Preset, i32::from(o.preset));
    }
    if o.keylen != 0 {
        let _ = KNOBS.set(Knob::Exp3Keylen, i32::from(o.keylen));
    }
    let _ = KNOBS.set(Knob::Exp3, i32::from(o.mode));
    Ok(())
}

/// Carries out `req` and encodes its reply into `out`.
fn answer(file: &CtlFile, req: Request<'_>, seq: u32, out: &mut [u8]) -> Result<usize> {
    let len = out.len();
    let proto_err = |e| reject(len, e);
    match req {
        Request::PathSet {
            prefix,
            paths,
            excl,
        } => {
            let n = paths.iter().len();
            PATHS
                .lock()
                .set(prefix, paths.iter(), excl)
                .map_err(|e| refuse("path set", e))?;
            pr_info!("paths of {} set: {} path(s)\n", prefix, n);
            proto::encode_ack(out, seq).map_err(proto_err)
        }
        Request::PathDel { prefix } => {
            PATHS
                .lock()
                .del(prefix)
                .map_err(|e| refuse("path delete", e))?;
            EXP3.lock().forget(prefix);
            pr_info!("paths of {} deleted\n", prefix);
            proto::encode_ack(out, seq).map_err(proto_err)
        }
        Request::PathGet { index } => {
            let (entry, count) = {
                let t = PATHS.lock();
                (t.nth(index as usize).copied(), t.len())
            };
            // Walking past the end is how readers find it: no log line.
            let entry = entry.ok_or(ENOENT)?;
            proto::encode_path_entry(out, seq, index, count as u32, &entry).map_err(proto_err)
        }
        Request::SetFailover(r) => {
            set_failover(&r).map_err(|(e, why)| {
                COUNTERS.inc(Counter::DevMsgsRejected);
                warn_rl!("/dev/tpc: failover setting refused: {}\n", why);
                e
            })?;
            proto::encode_ack(out, seq).map_err(proto_err)
        }
        Request::SetExp3(r) => {
            set_exp3(&r).map_err(|(e, why)| {
                COUNTERS.inc(Counter::DevMsgsRejected);
                warn_rl!("/dev/tpc: EXP3 setting refused: {}\n", why);
                e
            })?;
            proto::encode_ack(out, seq).map_err(proto_err)
        }
        Request::Exp3Get { index } => {
            let now = now_ns();
            let (state, count) = {
                let ex = EXP3.lock();
                (ex.nth(index as usize).copied(), ex.len())
            };
            // Walking past the end is how readers find it: no log line.
            let state = state.ok_or(ENOENT)?;
            let settings = PATHS
                .lock()
                .get_mut(state.entry)
                .map_or_else(global_exp3, |e| exp3_settings(e));
            proto::encode_exp3_state(out, seq, index, count as u32, &state, &settings, now)
                .map_err(proto_err)
        }
        Request::Subscribe => {
            let (moves, updates) = {
                let l = EVENTS.lock();
                (l.moves.head(), l.updates.head())
            };
            file.cursor.store(moves, Ordering::Relaxed);
            file.ucursor.store(updates, Ordering::Relaxed);
            file.subscribed.store(true, Ordering::Release);
            proto::encode_ack(out, seq).map_err(proto_err)
        }
        Request::CcpGet => proto::encode_ccp_status(out, seq, ccp_datapath::status().into_iter())
            .map_err(proto_err),
        Request::AugSet(r) => {
            let c = set_augment(&r).map_err(|(e, why)| {
                COUNTERS.inc(Counter::DevMsgsRejected);
                if why == augment::ConfigError::CeilingBelowFloor.as_str() {
                    // The bounds as they would be in force (0: the sysctl).
                    let (lo, hi) = augment::Config {
                        floor: r.floor,
                        ceiling: r.ceiling,
                        ..Default::default()
                    }
                    .bounds(&aug_settings());
                    warn_rl!(
                        "/dev/tpc: augment setting for {} refused: {} (floor {}, ceiling {} in force)\n",
                        r.prefix,
                        why,
                        lo,
                        hi
                    );
                } else {
                    warn_rl!(
                        "/dev/tpc: augment setting for {} refused: {}\n",
                        r.prefix,
                        why
                    );
                }
                e
            })?;
            pr_info!("augment policy of {}: {}\n", r.prefix, c.policy.name());
            proto::encode_ack(out, seq).map_err(proto_err)
        }
        Request::AugGet { prefix, mss } => {
            let v = augment_state(prefix, mss).map_err(|(e, why)| {
                COUNTERS.inc(Counter::DevMsgsRejected);
                warn_rl!("/dev/tpc: augment query for {} refused: {}\n", prefix, why);
                e
            })?;
            proto::encode_aug_state(out, seq, &v).map_err(proto_err)
        }
        Request::Hello { .. } | Request::GetCounters | Request::GetKnobs => {
            answer_query(req, seq, out).map_err(proto_err)
        }
    }
}

/// Encodes the reply to a read-only query.
fn answer_query(req: Request<'_>, seq: u32, out: &mut [u8]) -> Result<usize, ProtoError> {
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
                let (min, max) = KNOBS.range(k);
                proto::KnobView {
                    name: k.def().name.to_bytes(),
                    value: KNOBS.get(k),
                    min,
                    max,
                }
            }),
        ),
        _ => Err(ProtoError::UnknownType(0)),
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
                    subscribed: AtomicBool::new(false),
                    cursor: AtomicU64::new(0),
                    ucursor: AtomicU64::new(0),
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
                None => None,
                Some(n) if n > out.len() => return Err(err::emsgsize()),
                Some(_) => Some(q.peek(&mut io.tx).ok_or(EINVAL)?),
            }
        };
        // Replies first, then events.
        let Some(n) = n else {
            return read_event(&this, &mut io.tx, out);
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
        let n = answer(&this, req, hdr.seq, &mut io.tx)?;
        // Cannot fail: space was checked and only this (serialised) writer
        // adds to the queue.
        this.queue.lock().push(&io.tx[..n]).map_err(|_| EAGAIN)?;
        COUNTERS.inc(Counter::DevMsgsRx);
        waker.wake();
        Ok(len)
    }

    fn poll(this: Pin<&Self>) -> Readiness {
        let (replies, writable) = {
            let q = this.queue.lock();
            (!q.is_empty(), q.fits(proto::MSG_MAX))
        };
        let events = this.subscribed.load(Ordering::Acquire) && {
            let l = EVENTS.lock();
            l.moves.pending(this.cursor.load(Ordering::Relaxed))
                || l.updates.pending(this.ucursor.load(Ordering::Relaxed))
        };
        Readiness {
            readable: replies || events,
            writable,
        }
    }
}

/// Delivers the next event to a subscribed reader (readers of one file are
/// serialised by its `io` lock). A failed copy leaves the event unread.
fn read_event(file: &CtlFile, tx: &mut [u8], out: &mut UserSliceWriter) -> Result<usize> {
    if !file.subscribed.load(Ordering::Acquire) {
        return Err(EAGAIN);
    }
    // Path changes first, then EXP3 updates.
    let mut cursor = file.cursor.load(Ordering::Relaxed);
    let mut ucursor = file.ucursor.load(Ordering::Relaxed);
    let (n, lost) = {
        let l = EVENTS.lock();
        if let Some(d) = l.moves.read(&mut cursor) {
            drop(l);
            let n = proto::encode_event(tx, 0, &d).map_err(|_| EINVAL)?;
            (n, (Counter::EventsLost, d.lost))
        } else {
            let d = l.updates.read(&mut ucursor).ok_or(EAGAIN)?;
            drop(l);
            let n = proto::encode_update(tx, 0, &d).map_err(|_| EINVAL)?;
            (n, (Counter::UpdatesLost, d.lost))
        }
    };
    if n > out.len() {
        return Err(err::emsgsize());
    }
    out.write_slice(&tx[..n])?;
    file.cursor.store(cursor, Ordering::Relaxed);
    file.ucursor.store(ucursor, Ordering::Relaxed);
    if lost.1 > 0 {
        COUNTERS.add(lost.0, lost.1);
    }
    COUNTERS.inc(Counter::DevMsgsTx);
    Ok(n)
}

// ---- Module ------------------------------------------------------------------

/// The loaded module: its registrations, undone in reverse order on unload
/// (fields drop in declaration order).
struct TcpPathChanger {
    _cong: cong::Registration<Tpc>,
    _ccp: ccp_datapath::Datapath,
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
            let (lo, hi) = k.linked_bounds();
            let bound = |o: Option<Knob>, c: &'static i32| {
                o.map_or(sysctl::Bound::Const(c), |o| {
                    sysctl::Bound::Knob(KNOBS.cell(o))
                })
            };
            knob_table.push(
                sysctl::IntKnob {
                    name: d.name,
                    value: KNOBS.cell(k),
                    min: bound(lo, &d.min),
                    max: bound(hi, &d.max),
                },
                GFP_KERNEL,
            )?;
        }
        let sysctl = sysctl::Registration::register(c_str!("net/tpc"), &knob_table)?;
        let sockopt = sockopt::Registration::register()?;
        let dev = miscdev::Registration::register(c_str!("tpc"), 0o600)?;
        let ccp = ccp_datapath::Datapath::register()?;
        let cong = cong::Registration::register(&TPC_OPS)?;
        READY.store(true, Ordering::Release);
        pr_info!(
            "version {} loaded: congestion control \"tpc\", /dev/tpc, net.tpc.*, sockopts {:#x}..{:#x}, receiver-side failover {}, SYN-ACK paths {}\n",
            proto::MODULE_VERSION,
            proto::SOCKOPT_BASE,
            proto::SOCKOPT_BASE + proto::SOCKOPT_COUNT - 1,
            if cong.has_probe() { "on" } else { "off (no kfree_skb tracepoint)" },
            if cong.has_synack_hook() { "on" } else { "off (no netfilter hook)" }
        );
        Ok(Self {
            _cong: cong,
            _ccp: ccp,
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
