// SPDX-License-Identifier: GPL-2.0

//! Hand-written declarations of the C shim (`rust/tpc_shim.h`) and of the few
//! exported kernel functions the 6.12 bindings lack.
//!
//! Every item here mirrors a C declaration one to one; the layouts of the
//! `#[repr(C)]` structs follow `tpc_shim.h`. Nothing outside `rust/` uses this
//! module.

use kernel::bindings::sock;
use kernel::ffi::{c_char, c_int, c_uint, c_void};

/// Opaque `struct tcp_congestion_ops` (allocated and owned by the shim).
#[repr(C)]
pub(crate) struct TcpCongestionOps {
    _opaque: [u8; 0],
}

/// Opaque `struct tpc_bh_lock`.
#[repr(C)]
pub(crate) struct BhLock {
    _opaque: [u8; 0],
}

/// Opaque `struct tpc_chr_file`.
#[repr(C)]
pub(crate) struct ChrFile {
    _opaque: [u8; 0],
}

/// Opaque `struct tpc_chr_dev`.
#[repr(C)]
pub(crate) struct ChrDev {
    _opaque: [u8; 0],
}

/// Opaque `struct tpc_sysctl`.
#[repr(C)]
pub(crate) struct Sysctl {
    _opaque: [u8; 0],
}

/// `TPC_CA_PRIV_SIZE`.
pub(crate) const CA_PRIV_SIZE: usize = 104;
/// `TPC_CHR_READABLE`.
pub(crate) const CHR_READABLE: u32 = 0x1;
/// `TPC_CHR_WRITABLE`.
pub(crate) const CHR_WRITABLE: u32 = 0x2;
/// `TPC_SOCKOPT_BUF`.
pub(crate) const SOCKOPT_BUF: usize = 256;

/// `struct tpc_ack_sample` (mirror of `struct ack_sample`).
#[repr(C)]
pub(crate) struct AckSample {
    pub(crate) pkts_acked: u32,
    pub(crate) rtt_us: i32,
    pub(crate) in_flight: u32,
}

/// `struct tpc_sk_addrs`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct SkAddrs {
    pub(crate) saddr: [u8; 16],
    pub(crate) daddr: [u8; 16],
    pub(crate) sport: u16,
    pub(crate) dport: u16,
}

/// `struct tpc_synack`: a SYN-ACK in the shim's netfilter hook (opaque).
#[repr(C)]
pub(crate) struct SynAck {
    _p: [u8; 0],
}

/// `TPC_SHIM_RTHDR_MAX`.
pub(crate) const RTHDR_MAX: usize = 2040;

/// `struct tpc_ca_desc`.
#[repr(C)]
pub(crate) struct CaDesc {
    pub(crate) name: *const c_char,
    pub(crate) flags: u32,
    pub(crate) init: Option<unsafe extern "C" fn(*mut sock)>,
    pub(crate) release: Option<unsafe extern "C" fn(*mut sock)>,
    pub(crate) ssthresh: Option<unsafe extern "C" fn(*mut sock) -> u32>,
    pub(crate) cong_avoid: Option<unsafe extern "C" fn(*mut sock, u32, u32)>,
    pub(crate) set_state: Option<unsafe extern "C" fn(*mut sock, u8)>,
    pub(crate) undo_cwnd: Option<unsafe extern "C" fn(*mut sock) -> u32>,
    pub(crate) pkts_acked: Option<unsafe extern "C" fn(*mut sock, *const AckSample)>,
    pub(crate) cong_control: Option<unsafe extern "C" fn(*mut sock, u32, c_int, *const c_void)>,
    pub(crate) cwnd_event: Option<unsafe extern "C" fn(*mut sock, u32)>,
}

/// `struct tpc_ccp_sample` (size pinned to 96 bytes in the shim).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CcpSample {
    /// `rate_sample.interval_us`.
    pub(crate) rs_interval_us: i64,
    /// `rate_sample.rtt_us` (-1: none).
    pub(crate) rs_rtt_us: i64,
    /// `rate_sample.delivered`.
    pub(crate) rs_delivered: i32,
    /// `rate_sample.losses`.
    pub(crate) rs_losses: i32,
    /// `rate_sample.snd_interval_us`.
    pub(crate) rs_snd_interval_us: u32,
    /// `rate_sample.rcv_interval_us`.
    pub(crate) rs_rcv_interval_us: u32,
    /// `rate_sample.acked_sacked`.
    pub(crate) rs_acked_sacked: u32,
    /// `tcp_min_rtt()` in µs (`!0`: none).
    pub(crate) min_rtt_us: u32,
    /// `tcp_sock.bytes_acked`.
    pub(crate) bytes_acked: u64,
    /// `sk_pacing_rate` (`!0`: unpaced).
    pub(crate) pacing_rate: u64,
    /// `mss_cache`.
    pub(crate) mss: u32,
    /// `snd_cwnd`.
    pub(crate) snd_cwnd: u32,
    /// `snd_cwnd_clamp`.
    pub(crate) snd_cwnd_clamp: u32,
    /// `snd_ssthresh`.
    pub(crate) snd_ssthresh: u32,
    /// `sacked_out`.
    pub(crate) sacked_out: u32,
    /// `tcp_packets_in_flight()`.
    pub(crate) in_flight: u32,
    /// `delivered_ce`.
    pub(crate) delivered_ce: u32,
    /// `write_seq - snd_una`.
    pub(crate) pending: u32,
    /// `icsk_ca_state`.
    pub(crate) ca_state: u8,
    pad2: [u8; 7],
}

const _: () = assert!(core::mem::size_of::<CcpSample>() == 96);

/// `struct tpc_aug_sample` (size pinned to 56 bytes in the shim).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AugSample {
    /// `tcp_sock.bytes_acked`.
    pub(crate) bytes_acked: u64,
    /// `tcp_sock.delivered`.
    pub(crate) delivered: u32,
    /// `tcp_sock.lost`.
    pub(crate) lost: u32,
    /// `tcp_min_rtt()` in µs (`!0`: none).
    pub(crate) min_rtt_us: u32,
    /// Smoothed RTT in µs (0: none).
    pub(crate) srtt_us: u32,
    /// `mss_cache`.
    pub(crate) mss: u32,
    /// `snd_cwnd`.
    pub(crate) snd_cwnd: u32,
    /// `snd_cwnd_clamp`.
    pub(crate) snd_cwnd_clamp: u32,
    /// `snd_wnd`, bytes.
    pub(crate) snd_wnd: u32,
    /// `data_segs_out`.
    pub(crate) data_segs_out: u32,
    /// `total_retrans`.
    pub(crate) total_retrans: u32,
    /// `packets_out`.
    pub(crate) packets_out: u32,
    /// Padding (0).
    pub(crate) reserved: u32,
}

const _: () = assert!(core::mem::size_of::<AugSample>() == 56);

/// `struct tpc_chr_ops`.
#[repr(C)]
pub(crate) struct ChrOps {
    pub(crate) open: Option<unsafe extern "C" fn(*mut ChrFile, *mut *mut c_void) -> c_int>,
    pub(crate) release: Option<unsafe extern "C" fn(*mut c_void)>,
    pub(crate) read: Option<unsafe extern "C" fn(*mut c_void, *mut c_char, usize) -> isize>,
    pub(crate) write: Option<unsafe extern "C" fn(*mut c_void, *const c_char, usize) -> isize>,
    pub(crate) poll: Option<unsafe extern "C" fn(*mut c_void) -> u32>,
}

/// `struct tpc_sysctl_knob`.
#[repr(C)]
pub(crate) struct SysctlKnob {
    pub(crate) name: *const c_char,
    pub(crate) data: *mut c_int,
    pub(crate) min: *const c_int,
    pub(crate) max: *const c_int,
}

/// `struct tpc_sockopt_ops`.
#[repr(C)]
pub(crate) struct SockoptOps {
    pub(crate) base: c_int,
    pub(crate) count: c_int,
    pub(crate) get:
        Option<unsafe extern "C" fn(*mut sock, c_int, *mut c_void, *mut c_int) -> c_int>,
    pub(crate) set: Option<unsafe extern "C" fn(*mut sock, c_int, *const c_void, c_uint) -> c_int>,
}

extern "C" {
    pub(crate) fn tpc_shim_ca_register(d: *const CaDesc) -> *mut TcpCongestionOps;
    pub(crate) fn tpc_shim_ca_unregister(ops: *mut TcpCongestionOps);
    pub(crate) fn tpc_shim_ca_priv_size() -> usize;
    pub(crate) fn tpc_shim_ca_priv(sk: *mut sock) -> *mut c_void;
    pub(crate) fn tpc_shim_ca_ops(sk: *const sock) -> *const TcpCongestionOps;
    pub(crate) fn tpc_shim_ca_state(sk: *const sock) -> u8;
    pub(crate) fn tpc_shim_tcp_snd_cwnd(sk: *const sock) -> u32;
    pub(crate) fn tpc_shim_tcp_snd_ssthresh(sk: *const sock) -> u32;
    pub(crate) fn tpc_shim_tcp_srtt_us(sk: *const sock) -> u32;
    pub(crate) fn tpc_shim_sk_is_tcp(sk: *const sock) -> bool;
    pub(crate) fn tpc_shim_tcp_snd_una(sk: *const sock) -> u32;
    pub(crate) fn tpc_shim_tcp_snd_nxt(sk: *const sock) -> u32;
    pub(crate) fn tpc_shim_tcp_rcv_nxt(sk: *const sock) -> u32;
    pub(crate) fn tpc_shim_sk_state(sk: *const sock) -> u8;
    pub(crate) fn tpc_shim_tcp_is_rto(sk: *const sock) -> bool;
    pub(crate) fn tpc_shim_sk_addrs(sk: *const sock, a: *mut SkAddrs) -> bool;
    pub(crate) fn tpc_shim_set_rthdr(sk: *mut sock, rthdr: *const c_void, len: c_uint) -> c_int;
    pub(crate) fn tpc_shim_tcp_path_changed(sk: *mut sock, halve: bool);
    pub(crate) fn tpc_shim_tcp_send_ack(sk: *mut sock);
    pub(crate) fn tpc_shim_dup_probe_register(
        ops: *const TcpCongestionOps,
        cb: unsafe extern "C" fn(*mut sock, bool),
    ) -> c_int;
    pub(crate) fn tpc_shim_dup_probe_unregister();
    pub(crate) fn tpc_shim_synack_register(
        ops: *const TcpCongestionOps,
        cb: unsafe extern "C" fn(u64, *const SkAddrs, *mut SynAck),
    ) -> c_int;
    pub(crate) fn tpc_shim_synack_unregister();
    pub(crate) fn tpc_shim_synack_insert(
        s: *mut SynAck,
        rthdr: *const c_void,
        len: c_uint,
    ) -> c_int;
    pub(crate) fn tpc_shim_sk_net_cookie(sk: *const sock) -> u64;
    pub(crate) fn tpc_shim_ccp_sample(sk: *const sock, rs: *const c_void, out: *mut CcpSample);
    pub(crate) fn tpc_shim_aug_sample(sk: *const sock, out: *mut AugSample);
    pub(crate) fn tpc_shim_tcp_set_cwnd(sk: *mut sock, pkts: u32);
    pub(crate) fn tpc_shim_tcp_is_cwnd_limited(sk: *const sock) -> bool;
    pub(crate) fn tpc_shim_tcp_slow_start(sk: *mut sock, acked: u32) -> u32;
    pub(crate) fn tpc_shim_tcp_cong_avoid_ai(sk: *mut sock, w: u32, acked: u32);
    pub(crate) fn tpc_shim_tcp_cwnd_reduction(
        sk: *mut sock,
        newly_acked_sacked: u32,
        newly_lost: u32,
        flag: c_int,
    );
    pub(crate) fn tpc_shim_set_pacing_rate(sk: *mut sock, rate: u64);
    pub(crate) fn tpc_shim_pacing_init(sk: *mut sock) -> bool;
    pub(crate) fn tpc_shim_pacing_stop(sk: *mut sock);
    pub(crate) fn tpc_shim_route_cwnd_lock(sk: *mut sock) -> u32;
    pub(crate) fn tpc_shim_sk_raw_tuple(
        sk: *const sock,
        saddr: *mut u32,
        sport: *mut u32,
        daddr: *mut u32,
        dport: *mut u32,
    );
    pub(crate) fn tpc_shim_static_lock(id: c_uint);
    pub(crate) fn tpc_shim_static_unlock(id: c_uint);
    pub(crate) fn tpc_shim_chr_wake_all();
    pub(crate) fn tpc_shim_random_u32() -> u32;

    pub(crate) fn tpc_shim_bh_lock_alloc() -> *mut BhLock;
    pub(crate) fn tpc_shim_bh_lock_free(l: *mut BhLock);
    pub(crate) fn tpc_shim_bh_lock(l: *mut BhLock);
    pub(crate) fn tpc_shim_bh_unlock(l: *mut BhLock);

    pub(crate) fn tpc_shim_chr_register(
        name: *const c_char,
        mode: kernel::bindings::umode_t,
        ops: *const ChrOps,
    ) -> *mut ChrDev;
    pub(crate) fn tpc_shim_chr_unregister(dev: *mut ChrDev);
    pub(crate) fn tpc_shim_chr_wake(f: *mut ChrFile);
    pub(crate) fn tpc_shim_capable_net_admin() -> bool;

    pub(crate) fn tpc_shim_sysctl_register(
        path: *const c_char,
        k: *const SysctlKnob,
        n: c_uint,
    ) -> *mut Sysctl;
    pub(crate) fn tpc_shim_sysctl_unregister(s: *mut Sysctl);

    pub(crate) fn tpc_shim_sockopt_register(ops: *const SockoptOps) -> c_int;
    pub(crate) fn tpc_shim_sockopt_unregister();

    // Exported by net/ipv4/tcp_cong.c (EXPORT_SYMBOL_GPL); absent from the
    // 6.12 bindings.
    pub(crate) fn tcp_reno_cong_avoid(sk: *mut sock, ack: u32, acked: u32);
    pub(crate) fn tcp_reno_ssthresh(sk: *mut sock) -> u32;
    pub(crate) fn tcp_reno_undo_cwnd(sk: *mut sock) -> u32;
}
