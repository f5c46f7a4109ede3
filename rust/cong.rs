// SPDX-License-Identifier: GPL-2.0

//! TCP congestion control algorithms in safe Rust.
//!
//! C header: [`include/net/tcp.h`](srctree/include/net/tcp.h)
//!
//! An [`Algorithm`] is a `#[vtable]` trait mirroring `struct
//! tcp_congestion_ops`; [`Registration`] registers it with the kernel and
//! unregisters it on drop. Every callback receives a [`Sock`], a view of the
//! socket valid for the callback's duration, through which the algorithm
//! reads the TCP state and reaches its per-socket [`Algorithm::Data`].
//!
//! # Per-socket data
//!
//! `Data` lives in `icsk_ca_priv` (104 bytes, 8-byte aligned; checked at
//! build time), behind a marker word. The kernel zeroes that area when it
//! assigns an algorithm, and the `init` trampoline writes `Data::default()`
//! and sets the marker. Some callbacks run *before* `init`: `set_state` on a
//! freshly cloned passive child, `ssthresh` and `set_state` when a SYN times
//! out, `release` on listeners and failed connects. There the marker is
//! clear and [`Sock::data`] returns `None`. The `release` trampoline drops
//! `Data` and clears the marker after the algorithm's own `release`.
//!
//! # Module lifetime
//!
//! The shim sets the ops' owner to this module, so every socket using the
//! algorithm (and a namespace default naming it) holds a module reference:
//! `rmmod` fails with `EBUSY` while any exists, instead of pulling the
//! callbacks from under live connections.

use super::ffi;
use core::marker::PhantomData;
use core::mem::{align_of, size_of, MaybeUninit};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};
pub(crate) use ffi::{AugSample, CcpSample};
use kernel::bindings::sock;
use kernel::error::{from_err_ptr, VTABLE_DEFAULT_ERROR};
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;

/// `icsk_ca_state` values (`enum tcp_ca_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum CaState {
    /// Nothing bad has been observed.
    Open = 0,
    /// Duplicate ACKs or SACKs seen.
    Disorder = 1,
    /// Window reduced after ECN or local congestion.
    Cwr = 2,
    /// Fast retransmit.
    Recovery = 3,
    /// Retransmission timeout.
    Loss = 4,
}

impl TryFrom<u8> for CaState {
    type Error = u8;

    fn try_from(v: u8) -> core::result::Result<Self, u8> {
        Ok(match v {
            0 => Self::Open,
            1 => Self::Disorder,
            2 => Self::Cwr,
            3 => Self::Recovery,
            4 => Self::Loss,
            _ => return Err(v),
        })
    }
}

/// Congestion-control events (`enum tcp_ca_event`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum CaEvent {
    /// The first transmission when nothing is in flight.
    TxStart = 0,
    /// The window is restarted after idle.
    CwndRestart = 1,
    /// The end of a window reduction (CWR).
    CompleteCwr = 2,
    /// A retransmission timeout.
    Loss = 3,
    /// ECN: an ACK without CE.
    EcnNoCe = 4,
    /// ECN: an ACK with CE.
    EcnIsCe = 5,
}

impl TryFrom<u32> for CaEvent {
    type Error = u32;

    fn try_from(v: u32) -> core::result::Result<Self, u32> {
        Ok(match v {
            0 => Self::TxStart,
            1 => Self::CwndRestart,
            2 => Self::CompleteCwr,
            3 => Self::Loss,
            4 => Self::EcnNoCe,
            5 => Self::EcnIsCe,
            _ => return Err(v),
        })
    }
}

/// Where a connection is in its life, as far as path changes care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// `TCP_SYN_RECV`: a passive open being established.
    SynRecv,
    /// `TCP_ESTABLISHED`.
    Established,
    /// A FIN was sent or received, or the socket is closed.
    Closing,
    /// Any other state (`SYN_SENT`, `LISTEN`, ...).
    Other,
}

impl Phase {
    fn from_raw(state: u8) -> Self {
        // enum tcp_state values (include/net/tcp_states.h).
        match state {
            1 => Self::Established,
            3 => Self::SynRecv,
            4 | 5 | 6 | 7 | 8 | 9 | 11 => Self::Closing,
            _ => Self::Other,
        }
    }
}

/// Addresses and ports of an IPv6 connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Addrs {
    /// Local address.
    pub(crate) saddr: [u8; 16],
    /// Remote address.
    pub(crate) daddr: [u8; 16],
    /// Local port.
    pub(crate) sport: u16,
    /// Remote port.
    pub(crate) dport: u16,
}

impl From<&ffi::SkAddrs> for Addrs {
    fn from(a: &ffi::SkAddrs) -> Self {
        Self {
            saddr: a.saddr,
            daddr: a.daddr,
            sport: a.sport,
            dport: a.dport,
        }
    }
}

/// A congestion control algorithm.
///
/// `ssthresh`, `cong_avoid` and `undo_cwnd` are required by the kernel; the
/// others are installed only when implemented (except that the `init` and
/// `release` trampolines always run, to manage [`Algorithm::Data`]).
/// Callbacks run with the socket lock held, often in softirq: they must not
/// sleep and may only allocate with `GFP_ATOMIC`.
#[vtable]
pub(crate) trait Algorithm: Sized + 'static {
    /// Name shown in `tcp_available_congestion_control` (at most 15 bytes).
    const NAME: &'static CStr;

    /// `TCP_CONG_*` flags.
    const FLAGS: u32 = 0;

    /// Per-socket state kept in `icsk_ca_priv`.
    type Data: Default + Send;

    /// The algorithm takes charge of a connection (`Data` is fresh).
    fn init(_sk: &mut Sock<'_, Self>) {
        kernel::build_error(VTABLE_DEFAULT_ERROR)
    }

    /// The connection is done with the algorithm (`Data` is dropped next).
    fn release(_sk: &mut Sock<'_, Self>) {
        kernel::build_error(VTABLE_DEFAULT_ERROR)
    }

    /// Slow-start threshold after a loss.
    fn ssthresh(sk: &mut Sock<'_, Self>) -> u32;

    /// Window growth on an ACK.
    fn cong_avoid(sk: &mut Sock<'_, Self>, ack: u32, acked: u32);

    /// Window to restore after a spurious loss.
    fn undo_cwnd(sk: &mut Sock<'_, Self>) -> u32;

    /// The congestion state is about to change to `state`.
    fn set_state(_sk: &mut Sock<'_, Self>, _state: CaState) {
        kernel::build_error(VTABLE_DEFAULT_ERROR)
    }

    /// An ACK acknowledged `pkts` packets; `rtt_us` is its RTT sample, if
    /// it gave one.
    fn pkts_acked(_sk: &mut Sock<'_, Self>, _pkts: u32, _rtt_us: Option<u32>) {
        kernel::build_error(VTABLE_DEFAULT_ERROR)
    }

    /// TCP input dropped a data segment as old or out of window (and has
    /// already answered it with a duplicate ACK); `old_data` when it was
    /// the retransmission of the last acknowledged segment (`end_seq ==
    /// rcv_wup`, an ACK is scheduled rather than sent). Implementing it
    /// makes [`Registration`] register a probe on the `kfree_skb`
    /// tracepoint.
    fn dup_data(_sk: &mut Sock<'_, Self>, _old_data: bool) {
        kernel::build_error(VTABLE_DEFAULT_ERROR)
    }

    /// A congestion-control event (`cwnd_event`): `TxStart` runs while a
    /// data segment is transmitted with nothing in flight (the
    /// connection's first, and the first of every later flight), so a
    /// window set then already governs the rest of that flight.
    fn cwnd_event(_sk: &mut Sock<'_, Self>, _ev: CaEvent) {
        kernel::build_error(VTABLE_DEFAULT_ERROR)
    }

    /// Replaces the kernel's window logic on every ACK (`cong_control`):
    /// then `cong_avoid` is never called and the kernel does no PRR and no
    /// pacing-rate update for the socket. `s` holds the ACK's rate sample
    /// and the socket's counters.
    fn cong_control(_sk: &mut Sock<'_, Self>, _ack: u32, _flag: i32, _s: &CcpSample) {
        kernel::build_error(VTABLE_DEFAULT_ERROR)
    }

    /// A listener using the algorithm is about to send a SYN-ACK (normal,
    /// retransmitted or SYN cookie) for the connection `a` (local ->
    /// remote) in the network namespace whose cookie is `net`; `synack`
    /// can give it a routing header. No socket lock is held (the listener
    /// is shared); softirq or process context. Implementing it makes
    /// [`Registration`] register an IPv6 netfilter hook in every namespace.
    fn synack(_net: u64, _a: &Addrs, _synack: &mut SynAck<'_>) {
        kernel::build_error(VTABLE_DEFAULT_ERROR)
    }
}

/// A SYN-ACK about to leave, seen from [`Algorithm::synack`].
///
/// # Invariants
///
/// `s` is the shim's handle of a SYN-ACK in its netfilter hook, valid for
/// `'a`; its IPv6 header is directly followed by TCP until `inserted`.
pub(crate) struct SynAck<'a> {
    s: NonNull<ffi::SynAck>,
    inserted: bool,
    _p: PhantomData<&'a mut ffi::SynAck>,
}

impl SynAck<'_> {
    /// Inserts the SRH `rthdr` after the IPv6 header with `IPV6_RTHDR`
    /// semantics (the packet goes to `segments[segments_left]`, the final
    /// destination is kept in `segments[0]`) and re-routes the packet.
    /// Once per SYN-ACK (`EBUSY` after). The caller validates the SRH's
    /// content, the shim its framing (`EINVAL`); `ENOMEM` or a routing
    /// error leave the SYN-ACK on its old route (possibly with the SRH).
    pub(crate) fn insert_rthdr(&mut self, rthdr: &[u8]) -> Result {
        if self.inserted {
            return Err(EBUSY);
        }
        if rthdr.len() > ffi::RTHDR_MAX {
            return Err(EINVAL);
        }
        self.inserted = true;
        // SAFETY: `s` is valid (type invariant) and has no header yet;
        // `rthdr` is valid for `len` bytes, which the shim only reads.
        kernel::error::to_result(unsafe {
            ffi::tpc_shim_synack_insert(self.s.as_ptr(), rthdr.as_ptr().cast(), rthdr.len() as u32)
        })
    }
}

/// Marker stored in front of `Data` once it is initialised ("tpc_data").
const MAGIC: u64 = 0x7470_635f_6461_7461;

/// Layout of `icsk_ca_priv` for an algorithm whose data is `D`.
#[repr(C)]
struct Slot<D> {
    magic: u64,
    data: MaybeUninit<D>,
}

/// A TCP socket seen from a callback of algorithm `T`.
///
/// # Invariants
///
/// For `'a`: `sk` is a full TCP socket whose lock is held by the caller,
/// whose `icsk_ca_ops` were registered by [`Registration<T>`], and no other
/// reference to its `icsk_ca_priv` exists. When the slot's marker equals
/// [`MAGIC`], the slot holds a valid `T::Data`.
pub(crate) struct Sock<'a, T: Algorithm> {
    sk: NonNull<sock>,
    _sock: PhantomData<&'a mut sock>,
    _alg: PhantomData<fn() -> T>,
}

impl<'a, T: Algorithm> Sock<'a, T> {
    /// Creates the view.
    ///
    /// # Safety
    ///
    /// - `sk` is a full TCP socket using the ops registered by
    ///   [`Registration<T>`];
    /// - the socket lock is held for `'a`, and nothing else accesses its
    ///   `icsk_ca_priv` meanwhile (true for congestion-control callbacks,
    ///   which the socket lock serialises, and under `lock_sock()`);
    /// - the area's marker is either clear or guards a valid `T::Data`.
    unsafe fn from_raw(sk: *mut sock) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            // SAFETY: Callers pass the non-NULL socket of a callback.
            sk: unsafe { NonNull::new_unchecked(sk) },
            _sock: PhantomData,
            _alg: PhantomData,
        }
    }

    fn slot(&mut self) -> &mut Slot<T::Data> {
        let () = Registration::<T>::LAYOUT_OK;
        // SAFETY: By the type invariant `sk` is a full TCP socket, so the
        // shim returns its `icsk_ca_priv`: `CA_PRIV_SIZE` bytes, 8-byte
        // aligned, large enough for `Slot` (checked by `LAYOUT_OK`); any
        // bit pattern is a valid `Slot` (`data` is `MaybeUninit`), and the
        // invariant makes this the only reference.
        unsafe { &mut *ffi::tpc_shim_ca_priv(self.sk.as_ptr()).cast::<Slot<T::Data>>() }
    }

    /// The algorithm's per-socket data, or `None` before `init` (see the
    /// module documentation).
    pub(crate) fn data(&mut self) -> Option<&mut T::Data> {
        let slot = self.slot();
        if slot.magic == MAGIC {
            // SAFETY: By the type invariant the marker guards a valid value.
            Some(unsafe { slot.data.assume_init_mut() })
        } else {
            None
        }
    }

    fn init_data(&mut self) {
        self.drop_data();
        let slot = self.slot();
        slot.data.write(T::Data::default());
        // INVARIANT: The data was written just before the marker.
        slot.magic = MAGIC;
    }

    fn drop_data(&mut self) {
        let slot = self.slot();
        if slot.magic == MAGIC {
            // INVARIANT: The marker is cleared before the value is dropped.
            slot.magic = 0;
            // SAFETY: The marker guarded a valid value, now no longer
            // reachable through the marker.
            unsafe { slot.data.assume_init_drop() };
        }
    }

    /// Congestion window, in packets.
    pub(crate) fn snd_cwnd(&self) -> u32 {
        // SAFETY: By the type invariant `sk` is a locked full TCP socket.
        unsafe { ffi::tpc_shim_tcp_snd_cwnd(self.sk.as_ptr()) }
    }

    /// Slow-start threshold, in packets.
    pub(crate) fn snd_ssthresh(&self) -> u32 {
        // SAFETY: As in `snd_cwnd`.
        unsafe { ffi::tpc_shim_tcp_snd_ssthresh(self.sk.as_ptr()) }
    }

    /// Smoothed RTT in microseconds (0 before the first sample).
    pub(crate) fn srtt_us(&self) -> u32 {
        // SAFETY: As in `snd_cwnd`.
        unsafe { ffi::tpc_shim_tcp_srtt_us(self.sk.as_ptr()) }
    }

    /// Raw congestion-avoidance state (`TCP_CA_*`).
    pub(crate) fn ca_state(&self) -> u8 {
        // SAFETY: As in `snd_cwnd`.
        unsafe { ffi::tpc_shim_ca_state(self.sk.as_ptr()) }
    }

    /// First unacknowledged sequence number.
    pub(crate) fn snd_una(&self) -> u32 {
        // SAFETY: As in `snd_cwnd`.
        unsafe { ffi::tpc_shim_tcp_snd_una(self.sk.as_ptr()) }
    }

    /// Next sequence number to send.
    pub(crate) fn snd_nxt(&self) -> u32 {
        // SAFETY: As in `snd_cwnd`.
        unsafe { ffi::tpc_shim_tcp_snd_nxt(self.sk.as_ptr()) }
    }

    /// Next sequence number expected from the peer.
    pub(crate) fn rcv_nxt(&self) -> u32 {
        // SAFETY: As in `snd_cwnd`.
        unsafe { ffi::tpc_shim_tcp_rcv_nxt(self.sk.as_ptr()) }
    }

    /// The connection's phase (from `sk_state`).
    pub(crate) fn phase(&self) -> Phase {
        // SAFETY: As in `snd_cwnd`.
        Phase::from_raw(unsafe { ffi::tpc_shim_sk_state(self.sk.as_ptr()) })
    }

    /// In `set_state(Loss)`: whether the cause is a retransmission timeout
    /// of an established connection (not a zero-window probe, a Fast Open
    /// SYN-ACK timeout or a PMTU event).
    pub(crate) fn is_rto(&self) -> bool {
        // SAFETY: As in `snd_cwnd`.
        unsafe { ffi::tpc_shim_tcp_is_rto(self.sk.as_ptr()) }
    }

    /// Addresses of an IPv6 connection (`None` for IPv4 and v4-mapped).
    pub(crate) fn addrs(&self) -> Option<Addrs> {
        let mut a = ffi::SkAddrs::default();
        // SAFETY: As in `snd_cwnd`; `a` is valid for writes.
        if !unsafe { ffi::tpc_shim_sk_addrs(self.sk.as_ptr(), &mut a) } {
            return None;
        }
        Some(Addrs::from(&a))
    }

    /// The socket's counters, without a rate sample (as in
    /// [`Algorithm::cong_control`] outside an ACK).
    pub(crate) fn ccp_sample(&self) -> CcpSample {
        let mut s = CcpSample::default();
        // SAFETY: As in `snd_cwnd`; a NULL rate sample is allowed and `s`
        // is valid for writes.
        unsafe { ffi::tpc_shim_ccp_sample(self.sk.as_ptr(), core::ptr::null(), &mut s) };
        s
    }

    /// What Augmenter reads from the socket.
    pub(crate) fn aug_sample(&self) -> AugSample {
        let mut s = AugSample::default();
        // SAFETY: As in `snd_cwnd`; `s` is valid for writes.
        unsafe { ffi::tpc_shim_aug_sample(self.sk.as_ptr(), &mut s) };
        s
    }

    /// Whether the window limits sending (`tcp_is_cwnd_limited`).
    pub(crate) fn is_cwnd_limited(&self) -> bool {
        // SAFETY: As in `snd_cwnd`.
        unsafe { ffi::tpc_shim_tcp_is_cwnd_limited(self.sk.as_ptr()) }
    }

    /// Slow start by `acked` packets up to `ssthresh` (`tcp_slow_start`);
    /// returns the packets left for congestion avoidance.
    pub(crate) fn slow_start(&mut self, acked: u32) -> u32 {
        // SAFETY: `sk` is a locked full TCP socket (type invariant).
        unsafe { ffi::tpc_shim_tcp_slow_start(self.sk.as_ptr(), acked) }
    }

    /// Additive increase: one packet per `w` acknowledged
    /// (`tcp_cong_avoid_ai`).
    pub(crate) fn cong_avoid_ai(&mut self, w: u32, acked: u32) {
        // SAFETY: `sk` is a locked full TCP socket (type invariant).
        unsafe { ffi::tpc_shim_tcp_cong_avoid_ai(self.sk.as_ptr(), w, acked) }
    }

    /// Proportional Rate Reduction in CWR and Recovery
    /// (`tcp_cwnd_reduction`), for `cong_control`'s `flag`.
    pub(crate) fn cwnd_reduction(&mut self, acked_sacked: u32, lost: u32, flag: i32) {
        // SAFETY: `sk` is a locked full TCP socket (type invariant).
        unsafe { ffi::tpc_shim_tcp_cwnd_reduction(self.sk.as_ptr(), acked_sacked, lost, flag) }
    }

    /// Sets `snd_cwnd` to `pkts`, clamped to `[1, snd_cwnd_clamp]`.
    pub(crate) fn set_cwnd(&mut self, pkts: u32) {
        // SAFETY: `sk` is a locked full TCP socket (type invariant).
        unsafe { ffi::tpc_shim_tcp_set_cwnd(self.sk.as_ptr(), pkts) }
    }

    /// Sets the pacing rate (bytes/s), capped by `SO_MAX_PACING_RATE`.
    pub(crate) fn set_pacing_rate(&mut self, rate: u64) {
        // SAFETY: As in `set_cwnd`.
        unsafe { ffi::tpc_shim_set_pacing_rate(self.sk.as_ptr(), rate) }
    }

    /// Asks for pacing (by TCP itself unless `fq` paces the socket);
    /// `true` if this call turned TCP's internal pacing on.
    pub(crate) fn pacing_init(&mut self) -> bool {
        // SAFETY: As in `set_cwnd`.
        unsafe { ffi::tpc_shim_pacing_init(self.sk.as_ptr()) }
    }

    /// The locked cwnd metric of the socket's route (`ip route ... cwnd
    /// lock N`; `u32::MAX`: none). Routes the socket first if a routing
    /// header change left it without a route.
    pub(crate) fn route_cwnd_lock(&mut self) -> u32 {
        // SAFETY: As in `set_cwnd`.
        unsafe { ffi::tpc_shim_route_cwnd_lock(self.sk.as_ptr()) }
    }

    /// Turns TCP's internal pacing off again (after [`Sock::pacing_init`]
    /// returned `true`; nothing if `fq` paces the socket or the
    /// application capped the rate with `SO_MAX_PACING_RATE`).
    pub(crate) fn pacing_stop(&mut self) {
        // SAFETY: As in `set_cwnd`.
        unsafe { ffi::tpc_shim_pacing_stop(self.sk.as_ptr()) }
    }

    /// The 4-tuple as CCP's CREATE carries it: IPv4 addresses or the last
    /// 4 bytes of IPv6 ones, and ports, all as stored (network order):
    /// `(saddr, sport, daddr, dport)`.
    pub(crate) fn raw_tuple(&self) -> (u32, u32, u32, u32) {
        let (mut sa, mut sp, mut da, mut dp) = (0, 0, 0, 0);
        // SAFETY: As in `snd_cwnd`; the outputs are valid for writes.
        unsafe { ffi::tpc_shim_sk_raw_tuple(self.sk.as_ptr(), &mut sa, &mut sp, &mut da, &mut dp) };
        (sa, sp, da, dp)
    }

    /// Cookie of the socket's network namespace (unique while the system
    /// runs; the same as [`Algorithm::synack`] gets).
    pub(crate) fn net_cookie(&self) -> u64 {
        // SAFETY: As in `snd_cwnd`.
        unsafe { ffi::tpc_shim_sk_net_cookie(self.sk.as_ptr()) }
    }

    /// Replaces the socket's IPv6 routing header with `rthdr` (empty:
    /// removes it), like `setsockopt(IPV6_RTHDR)` but without sleeping.
    /// The caller validates the header's content; the shim checks its
    /// framing. Fails with `ENOBUFS` when option memory is exhausted (the
    /// old header stays).
    pub(crate) fn set_rthdr(&mut self, rthdr: &[u8]) -> Result {
        if rthdr.len() > ffi::RTHDR_MAX {
            return Err(EINVAL);
        }
        // SAFETY: `sk` is a locked full TCP socket (type invariant), which
        // is the shim's requirement; `rthdr` is valid for `len` bytes. The
        // shim does not touch `icsk_ca_priv`.
        kernel::error::to_result(unsafe {
            ffi::tpc_shim_set_rthdr(self.sk.as_ptr(), rthdr.as_ptr().cast(), rthdr.len() as u32)
        })
    }

    /// `TCP_PATH_CHANGED`: the retransmission timeout goes back to the
    /// RTT-based value (`halve`d when the RTO handler doubles it next) and
    /// the backoff counter to 0.
    pub(crate) fn path_changed(&mut self, halve: bool) {
        // SAFETY: As in `set_rthdr`.
        unsafe { ffi::tpc_shim_tcp_path_changed(self.sk.as_ptr(), halve) }
    }

    /// Sends an ACK now (on the socket's current path).
    pub(crate) fn send_ack(&mut self) {
        // SAFETY: As in `set_rthdr`; sending an ACK under the socket lock
        // is what TCP input itself does.
        unsafe { ffi::tpc_shim_tcp_send_ack(self.sk.as_ptr()) }
    }

    /// Reno's window growth (`tcp_reno_cong_avoid`).
    pub(crate) fn reno_cong_avoid(&mut self, ack: u32, acked: u32) {
        // SAFETY: `sk` is a locked full TCP socket (type invariant), the
        // context of a `cong_avoid` callback; Reno's helpers never touch
        // `icsk_ca_priv`, so the exclusive view of it is not disturbed.
        unsafe { ffi::tcp_reno_cong_avoid(self.sk.as_ptr(), ack, acked) }
    }

    /// Reno's slow-start threshold (`tcp_reno_ssthresh`).
    pub(crate) fn reno_ssthresh(&mut self) -> u32 {
        // SAFETY: As in `reno_cong_avoid`.
        unsafe { ffi::tcp_reno_ssthresh(self.sk.as_ptr()) }
    }

    /// Reno's undo (`tcp_reno_undo_cwnd`).
    pub(crate) fn reno_undo_cwnd(&mut self) -> u32 {
        // SAFETY: As in `reno_cong_avoid`.
        unsafe { ffi::tcp_reno_undo_cwnd(self.sk.as_ptr()) }
    }
}

/// Where a [`Registration<T>`] publishes its ops, so that code outside the
/// callbacks (socket options) can recognise sockets that use `T`.
pub(crate) struct OpsSlot<T> {
    ops: AtomicPtr<ffi::TcpCongestionOps>,
    _p: PhantomData<fn() -> T>,
}

impl<T: Algorithm> OpsSlot<T> {
    /// An empty slot, for a `static`.
    pub(crate) const fn new() -> Self {
        Self {
            ops: AtomicPtr::new(core::ptr::null_mut()),
            _p: PhantomData,
        }
    }
}

/// A registered congestion control algorithm, with its duplicate-data
/// probe if it has one; unregistered on drop (the probe first).
///
/// # Invariants
///
/// `ops` was returned by `tpc_shim_ca_register` for `T`'s trampolines and
/// is registered; `slot` holds `ops` until drop. If `probe`, the shim's
/// `kfree_skb` probe is registered for `ops`; if `synack`, its SYN-ACK
/// hook.
pub(crate) struct Registration<T: Algorithm> {
    ops: NonNull<ffi::TcpCongestionOps>,
    slot: &'static OpsSlot<T>,
    probe: bool,
    synack: bool,
}

// SAFETY: The registration is only a handle; unregistering works from any
// thread in process context.
unsafe impl<T: Algorithm> Send for Registration<T> {}
// SAFETY: `&Registration` offers no operation.
unsafe impl<T: Algorithm> Sync for Registration<T> {}

impl<T: Algorithm> Registration<T> {
    /// Fails the build if `T::Data` does not fit `icsk_ca_priv`.
    const LAYOUT_OK: () = assert!(
        size_of::<Slot<T::Data>>() <= ffi::CA_PRIV_SIZE && align_of::<Slot<T::Data>>() <= 8,
        "Algorithm::Data does not fit in icsk_ca_priv"
    );

    /// Registers `T` and publishes it in `slot`.
    pub(crate) fn register(slot: &'static OpsSlot<T>) -> Result<Self> {
        let () = Self::LAYOUT_OK;
        // SAFETY: No preconditions.
        if unsafe { ffi::tpc_shim_ca_priv_size() } != ffi::CA_PRIV_SIZE {
            pr_err!("icsk_ca_priv size differs from the one this module was written for\n");
            return Err(EINVAL);
        }
        let desc = ffi::CaDesc {
            name: T::NAME.as_char_ptr(),
            flags: T::FLAGS,
            init: Some(init_cb::<T>),
            release: Some(release_cb::<T>),
            ssthresh: Some(ssthresh_cb::<T>),
            cong_avoid: Some(cong_avoid_cb::<T>),
            set_state: if T::HAS_SET_STATE {
                Some(set_state_cb::<T>)
            } else {
                None
            },
            undo_cwnd: Some(undo_cwnd_cb::<T>),
            pkts_acked: if T::HAS_PKTS_ACKED {
                Some(pkts_acked_cb::<T>)
            } else {
                None
            },
            cong_control: if T::HAS_CONG_CONTROL {
                Some(cong_control_cb::<T>)
            } else {
                None
            },
            cwnd_event: if T::HAS_CWND_EVENT {
                Some(cwnd_event_cb::<T>)
            } else {
                None
            },
        };
        // SAFETY: `desc` is valid for the call; the shim copies the name
        // and function pointers, which point to functions of this module
        // that outlive the registration (the ops keep a module reference
        // for every user).
        let ops = from_err_ptr(unsafe { ffi::tpc_shim_ca_register(&desc) })?;
        let ops = NonNull::new(ops).ok_or(ENOMEM)?;
        slot.ops.store(ops.as_ptr(), Ordering::Release);
        // Nothing may fail from here on: sockets can use the ops already,
        // and a failed module init would free the code under them.
        let probe = T::HAS_DUP_DATA && {
            // SAFETY: `ops` is registered and stays so until after the
            // probe is unregistered (`drop`); the probe only compares
            // socket ops against it and calls `dup_cb::<T>` for sockets
            // using it, with their lock held.
            let r = unsafe { ffi::tpc_shim_dup_probe_register(ops.as_ptr(), dup_cb::<T>) };
            if r != 0 {
                pr_warn!(
                    "kfree_skb probe unavailable (error {}): no duplicate-data signal\n",
                    r
                );
            }
            r == 0
        };
        let synack = T::HAS_SYNACK && {
            // SAFETY: As for the probe: `ops` stays registered until after
            // the hook is unregistered (`drop`); the hook only compares a
            // listener's ops against it and calls `synack_cb::<T>`.
            let r = unsafe { ffi::tpc_shim_synack_register(ops.as_ptr(), synack_cb::<T>) };
            if r != 0 {
                pr_warn!(
                    "SYN-ACK hook unavailable (error {}): SYN-ACKs follow the routing table\n",
                    r
                );
            }
            r == 0
        };
        // INVARIANT: Registered and published just above; `probe` and
        // `synack` say whether the probe and the hook are.
        Ok(Self {
            ops,
            slot,
            probe,
            synack,
        })
    }

    /// Whether the duplicate-data probe is active.
    pub(crate) fn has_probe(&self) -> bool {
        self.probe
    }

    /// Whether the SYN-ACK hook is active.
    pub(crate) fn has_synack_hook(&self) -> bool {
        self.synack
    }
}

impl<T: Algorithm> Drop for Registration<T> {
    fn drop(&mut self) {
        if self.synack {
            // SAFETY: Registered (type invariant); this waits for running
            // hooks, before the ops go away below.
            unsafe { ffi::tpc_shim_synack_unregister() }
        }
        if self.probe {
            // SAFETY: Registered (type invariant); this waits for running
            // probes, before the ops go away below.
            unsafe { ffi::tpc_shim_dup_probe_unregister() }
        }
        self.slot
            .ops
            .store(core::ptr::null_mut(), Ordering::Release);
        // SAFETY: By the type invariant `ops` is registered and owned by us.
        unsafe { ffi::tpc_shim_ca_unregister(self.ops.as_ptr()) };
    }
}

/// A socket locked by its owner (`lock_sock()`), in process context.
///
/// # Invariants
///
/// `sk` is a valid socket whose owner lock is held for `'a`.
pub(crate) struct LockedSock<'a> {
    sk: NonNull<sock>,
    _p: PhantomData<&'a mut sock>,
}

impl LockedSock<'_> {
    /// Creates the view.
    ///
    /// # Safety
    ///
    /// `sk` is a valid socket and the caller holds `lock_sock(sk)` for the
    /// lifetime of the returned object.
    pub(crate) unsafe fn from_raw(sk: *mut sock) -> Option<Self> {
        // INVARIANT: Guaranteed by the caller.
        Some(Self {
            sk: NonNull::new(sk)?,
            _p: PhantomData,
        })
    }

    /// Whether this is a full TCP socket (IPv4 or IPv6).
    pub(crate) fn is_tcp(&self) -> bool {
        // SAFETY: By the type invariant `sk` is a valid, locked socket.
        unsafe { ffi::tpc_shim_sk_is_tcp(self.sk.as_ptr()) }
    }

    /// The socket as seen by algorithm `T`, if it is a TCP socket using `T`.
    pub(crate) fn congestion<T: Algorithm>(&mut self, slot: &OpsSlot<T>) -> Option<Sock<'_, T>> {
        if !self.is_tcp() {
            return None;
        }
        let ours = slot.ops.load(Ordering::Acquire);
        // SAFETY: `sk` is a locked full TCP socket.
        let theirs = unsafe { ffi::tpc_shim_ca_ops(self.sk.as_ptr()) };
        if ours.is_null() || !core::ptr::eq(ours.cast_const(), theirs) {
            return None;
        }
        // SAFETY: The socket is a full TCP socket using `T`'s registered
        // ops; `lock_sock()` is held (type invariant) and `&mut self` is
        // borrowed for the view's lifetime, and the owner lock excludes the
        // congestion callbacks, so nothing else touches `icsk_ca_priv`; the
        // marker is managed only by `T`'s trampolines.
        Some(unsafe { Sock::from_raw(self.sk.as_ptr()) })
    }
}

/// # Safety
///
/// Only called by the kernel as the `init` callback of `T`'s ops: `sk` is a
/// full TCP socket using them, with its lock held.
unsafe extern "C" fn init_cb<T: Algorithm>(sk: *mut sock) {
    // SAFETY: The kernel calls this with a locked full TCP socket using our
    // ops; callbacks of one socket are serialised by its lock; the marker
    // was zeroed by the kernel or set by `init_data`.
    let mut s = unsafe { Sock::<T>::from_raw(sk) };
    s.init_data();
    if T::HAS_INIT {
        T::init(&mut s);
    }
}

/// # Safety
///
/// Only called by the kernel as the `release` callback of `T`'s ops (see
/// [`init_cb`]).
unsafe extern "C" fn release_cb<T: Algorithm>(sk: *mut sock) {
    // SAFETY: As in `init_cb`.
    let mut s = unsafe { Sock::<T>::from_raw(sk) };
    if T::HAS_RELEASE {
        T::release(&mut s);
    }
    s.drop_data();
}

/// # Safety
///
/// Only called by the kernel as the `ssthresh` callback of `T`'s ops (see
/// [`init_cb`]).
unsafe extern "C" fn ssthresh_cb<T: Algorithm>(sk: *mut sock) -> u32 {
    // SAFETY: As in `init_cb`.
    T::ssthresh(&mut unsafe { Sock::<T>::from_raw(sk) })
}

/// # Safety
///
/// Only called by the kernel as the `cong_avoid` callback of `T`'s ops (see
/// [`init_cb`]).
unsafe extern "C" fn cong_avoid_cb<T: Algorithm>(sk: *mut sock, ack: u32, acked: u32) {
    // SAFETY: As in `init_cb`.
    T::cong_avoid(&mut unsafe { Sock::<T>::from_raw(sk) }, ack, acked)
}

/// # Safety
///
/// Only called by the kernel as the `undo_cwnd` callback of `T`'s ops (see
/// [`init_cb`]).
unsafe extern "C" fn undo_cwnd_cb<T: Algorithm>(sk: *mut sock) -> u32 {
    // SAFETY: As in `init_cb`.
    T::undo_cwnd(&mut unsafe { Sock::<T>::from_raw(sk) })
}

/// # Safety
///
/// Only called by the kernel as the `set_state` callback of `T`'s ops (see
/// [`init_cb`]).
unsafe extern "C" fn set_state_cb<T: Algorithm>(sk: *mut sock, state: u8) {
    let Ok(state) = CaState::try_from(state) else {
        if super::ratelimit() {
            pr_warn!("unknown TCP congestion state {}, callback skipped\n", state);
        }
        return;
    };
    // SAFETY: As in `init_cb`.
    T::set_state(&mut unsafe { Sock::<T>::from_raw(sk) }, state)
}

/// # Safety
///
/// Only called by the kernel as the `pkts_acked` callback of `T`'s ops (see
/// [`init_cb`]); `sample` is valid for the call.
unsafe extern "C" fn pkts_acked_cb<T: Algorithm>(sk: *mut sock, sample: *const ffi::AckSample) {
    // SAFETY: The kernel passes a valid sample.
    let (pkts, rtt) = unsafe { ((*sample).pkts_acked, (*sample).rtt_us) };
    let rtt = u32::try_from(rtt).ok().filter(|&r| r > 0);
    // SAFETY: As in `init_cb`.
    T::pkts_acked(&mut unsafe { Sock::<T>::from_raw(sk) }, pkts, rtt)
}

/// # Safety
///
/// Only called by the kernel as the `cwnd_event` callback of `T`'s ops (see
/// [`init_cb`]).
unsafe extern "C" fn cwnd_event_cb<T: Algorithm>(sk: *mut sock, ev: u32) {
    // Events a newer kernel may add are not ours to interpret.
    let Ok(ev) = CaEvent::try_from(ev) else {
        return;
    };
    // SAFETY: As in `init_cb`.
    T::cwnd_event(&mut unsafe { Sock::<T>::from_raw(sk) }, ev)
}

/// # Safety
///
/// Only called by the shim's `kfree_skb` probe for a full TCP socket whose
/// ops are `T`'s, with the socket lock held (TCP input).
unsafe extern "C" fn dup_cb<T: Algorithm>(sk: *mut sock, old_data: bool) {
    if T::HAS_DUP_DATA {
        // SAFETY: A locked full TCP socket using `T`'s ops; the socket lock
        // serialises this with the congestion callbacks.
        T::dup_data(&mut unsafe { Sock::<T>::from_raw(sk) }, old_data)
    }
}

/// # Safety
///
/// Only called by the kernel as the `cong_control` callback of `T`'s ops:
/// `sk` is a full TCP socket using them, with its lock held, and `rs` its
/// ACK's rate sample.
unsafe extern "C" fn cong_control_cb<T: Algorithm>(
    sk: *mut sock,
    ack: u32,
    flag: c_int,
    rs: *const c_void,
) {
    if !T::HAS_CONG_CONTROL {
        return;
    }
    let mut s = CcpSample::default();
    // SAFETY: `sk` is a locked full TCP socket and `rs` the kernel's rate
    // sample for the call; `s` is valid for writes.
    unsafe { ffi::tpc_shim_ccp_sample(sk, rs, &mut s) };
    // SAFETY: As in `init_cb`.
    T::cong_control(&mut unsafe { Sock::<T>::from_raw(sk) }, ack, flag, &s)
}

/// # Safety
///
/// Only called by the shim's SYN-ACK hook, registered for `T`: `a` is
/// valid for reads and `s` for the call.
unsafe extern "C" fn synack_cb<T: Algorithm>(
    net: u64,
    a: *const ffi::SkAddrs,
    s: *mut ffi::SynAck,
) {
    if !T::HAS_SYNACK {
        return;
    }
    // SAFETY: The shim passes a valid `tpc_sk_addrs` for the call.
    let a = Addrs::from(unsafe { &*a });
    let Some(s) = NonNull::new(s) else { return };
    // INVARIANT: The shim's handle, valid for the call, header not yet
    // inserted.
    let mut synack = SynAck {
        s,
        inserted: false,
        _p: PhantomData,
    };
    T::synack(net, &a, &mut synack);
}
