// SPDX-License-Identifier: GPL-2.0

//! Wire format of the `/dev/tpc` control device and of the TPC socket options.
//!
//! This file is pure logic: it uses only `core`, has no `unsafe` and no
//! dependency on the `kernel` crate. The same file is compiled into the module
//! (`tcp_pathchanger.rs`), into the `tpcctl` controller and into the host test
//! crate, so the two ends of the protocol cannot drift apart. The C view of the
//! same ABI is `include/uapi/linux/tcp_pathchanger.h`; a host test checks that
//! both agree.
//!
//! Every message starts with a 12-byte header (`len`, `type`, `version`,
//! `flags`, `seq`); `len` counts the whole message. All integers are
//! little-endian. Decoding never panics and never reads out of bounds: every
//! malformed input maps to a [`ProtoError`].

use super::augment::{self, Policy};
use super::events::{Delivery, Event, UpdateEvent};
use super::exp3::{self, Preset, Sample, Settings, State};
use super::fpu_helpers::Sf;
use super::paths::{Entry, PathStats, Prefix, Reason, Strategy, StrategyKind, MAX_PATHS, REASONS};
use super::srh::Addr;
use core::fmt;

/// Protocol version spoken by this file.
pub(crate) const PROTO_VERSION: u8 = 1;
/// Length of the message header.
pub(crate) const HDR_LEN: usize = 12;
/// Largest message, header included.
pub(crate) const MSG_MAX: usize = 4096;
/// Version string reported in the hello reply.
pub(crate) const MODULE_VERSION: &str = "0.1.0";

/// First socket option number of the module's private range.
pub(crate) const SOCKOPT_BASE: i32 = 0x5450;
/// Number of option numbers in the private range.
pub(crate) const SOCKOPT_COUNT: i32 = 16;
/// `getsockopt` option returning [`ConnInfo`].
pub(crate) const SO_INFO: i32 = SOCKOPT_BASE;
/// `setsockopt` option pinning a connection to a path (`u32` index, or
/// [`PIN_NONE`] to unpin).
pub(crate) const SO_PIN: i32 = SOCKOPT_BASE + 1;
/// `setsockopt` option moving a connection to its next path now.
pub(crate) const SO_MOVE: i32 = SOCKOPT_BASE + 2;
/// [`SO_PIN`] value that removes a pin.
pub(crate) const PIN_NONE: u32 = u32::MAX;
/// Version of the [`ConnInfo`] layout.
pub(crate) const CONN_INFO_VERSION: u32 = 2;
/// [`ConnInfo::flags`] bit: the per-socket state exists.
pub(crate) const CONN_F_INITIALIZED: u32 = 1;
/// [`ConnInfo::flags`] bit: the destination has paths; TPC manages it.
pub(crate) const CONN_F_MANAGED: u32 = 2;
/// [`ConnInfo::flags`] bit: pinned to its path by the application.
pub(crate) const CONN_F_PINNED: u32 = 4;
/// [`ConnInfo::flags`] bit: the connection is closing; no more moves.
pub(crate) const CONN_F_CLOSING: u32 = 8;
/// [`ConnInfo::path`] of a connection without a path.
pub(crate) const PATH_NONE: u32 = u32::MAX;
/// Encoded size of [`ConnInfo`].
pub(crate) const CONN_INFO_LEN: usize = 56;

/// Length of a counter name field.
pub(crate) const COUNTER_NAME_LEN: usize = 24;
/// Encoded size of one counter entry.
pub(crate) const COUNTER_ENTRY_LEN: usize = 8 + COUNTER_NAME_LEN;
/// Length of a knob name field.
pub(crate) const KNOB_NAME_LEN: usize = 32;
/// Encoded size of one knob entry.
pub(crate) const KNOB_ENTRY_LEN: usize = 16 + KNOB_NAME_LEN;
/// Length of the module version field of the hello reply.
pub(crate) const VERSION_STR_LEN: usize = 32;
/// Encoded size of the hello reply body.
pub(crate) const HELLO_REPLY_BODY_LEN: usize = 16 + VERSION_STR_LEN;
/// Length of the list header preceding counter and knob entries.
pub(crate) const LIST_HDR_LEN: usize = 8;

/// Message types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub(crate) enum MsgType {
    /// Version negotiation request.
    Hello = 0x0001,
    /// Request for the module's counters.
    GetCounters = 0x0002,
    /// Request for the module's tunables.
    GetKnobs = 0x0003,
    /// Install or replace the paths of a prefix.
    PathSet = 0x0004,
    /// Delete the paths of a prefix.
    PathDel = 0x0005,
    /// Read one entry of the path table, by index.
    PathGet = 0x0006,
    /// Set the failover strategy, globally or for one prefix.
    SetFailover = 0x0007,
    /// Receive path-change events on this file from now on.
    Subscribe = 0x0008,
    /// Set the EXP3 settings, globally or for one prefix.
    SetExp3 = 0x0009,
    /// Read one EXP3 state, by index.
    Exp3Get = 0x000A,
    /// Request for the CCP datapath's state and statistics.
    CcpGet = 0x000B,
    /// Set the Augmenter policy of a prefix.
    AugSet = 0x000C,
    /// Read the Augmenter state of a prefix.
    AugGet = 0x000D,
    /// Reply to [`MsgType::Hello`].
    HelloReply = 0x8001,
    /// Reply to [`MsgType::GetCounters`].
    Counters = 0x8002,
    /// Reply to [`MsgType::GetKnobs`].
    Knobs = 0x8003,
    /// Success reply to a request that returns nothing.
    Ack = 0x8004,
    /// Reply to [`MsgType::PathGet`].
    PathEntry = 0x8006,
    /// Reply to [`MsgType::Exp3Get`].
    Exp3State = 0x800A,
    /// Reply to [`MsgType::CcpGet`]: named values, as [`MsgType::Counters`].
    CcpStatus = 0x800B,
    /// Reply to [`MsgType::AugGet`].
    AugState = 0x800D,
    /// A path-change event (after [`MsgType::Subscribe`]).
    Event = 0x8010,
    /// An EXP3 weight update (after [`MsgType::Subscribe`]).
    Update = 0x8011,
}

impl MsgType {
    /// Maps a raw type to a known message type.
    pub(crate) fn from_raw(raw: u16) -> Option<Self> {
        Some(match raw {
            0x0001 => Self::Hello,
            0x0002 => Self::GetCounters,
            0x0003 => Self::GetKnobs,
            0x0004 => Self::PathSet,
            0x0005 => Self::PathDel,
            0x0006 => Self::PathGet,
            0x0007 => Self::SetFailover,
            0x0008 => Self::Subscribe,
            0x0009 => Self::SetExp3,
            0x000A => Self::Exp3Get,
            0x000B => Self::CcpGet,
            0x000C => Self::AugSet,
            0x000D => Self::AugGet,
            0x8001 => Self::HelloReply,
            0x8002 => Self::Counters,
            0x8003 => Self::Knobs,
            0x8004 => Self::Ack,
            0x8006 => Self::PathEntry,
            0x800A => Self::Exp3State,
            0x800B => Self::CcpStatus,
            0x800D => Self::AugState,
            0x8010 => Self::Event,
            0x8011 => Self::Update,
            _ => return None,
        })
    }
}

/// Why a message was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProtoError {
    /// Shorter than a header.
    Truncated,
    /// Longer than [`MSG_MAX`].
    TooLong,
    /// The header's length differs from the number of bytes received.
    LengthMismatch,
    /// Reserved header flags are set.
    BadFlags,
    /// The header's version is not one this side speaks.
    BadVersion,
    /// No common protocol version in a hello.
    NoCommonVersion,
    /// Unknown or unexpected message type.
    UnknownType(u16),
    /// The body has the wrong size or content for its type.
    BadBody,
    /// The output buffer is too small for the message.
    NoSpace,
}

impl ProtoError {
    /// Short description used in log lines and error messages.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Truncated => "message shorter than its header",
            Self::TooLong => "message longer than the maximum",
            Self::LengthMismatch => "header length differs from the write size",
            Self::BadFlags => "reserved header flags set",
            Self::BadVersion => "unsupported protocol version",
            Self::NoCommonVersion => "no common protocol version",
            Self::UnknownType(_) => "unknown message type",
            Self::BadBody => "malformed message body",
            Self::NoSpace => "output buffer too small",
        }
    }
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownType(t) => write!(f, "{} {:#06x}", self.as_str(), t),
            _ => f.write_str(self.as_str()),
        }
    }
}

/// A decoded message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Whole message length.
    pub(crate) len: u32,
    /// Raw message type.
    pub(crate) ty: u16,
    /// Protocol version of the body.
    pub(crate) version: u8,
    /// Reserved, zero.
    pub(crate) flags: u8,
    /// Sequence number chosen by the requester.
    pub(crate) seq: u32,
}

fn get_u16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn get_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn get_u64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

/// Returns the bytes of a NUL-padded name field up to the first NUL.
fn name_of(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&c| c == 0).unwrap_or(field.len());
    &field[..end]
}

impl Header {
    /// Decodes and checks the framing of one whole message.
    ///
    /// `buf` is exactly what one `write` delivered. The version is not checked
    /// here because a hello may carry any version.
    pub(crate) fn decode(buf: &[u8]) -> Result<Self, ProtoError> {
        if buf.len() > MSG_MAX {
            return Err(ProtoError::TooLong);
        }
        let (Some(len), Some(ty), Some(&version), Some(&flags), Some(seq)) = (
            get_u32(buf, 0),
            get_u16(buf, 4),
            buf.get(6),
            buf.get(7),
            get_u32(buf, 8),
        ) else {
            return Err(ProtoError::Truncated);
        };
        if len as usize != buf.len() {
            return Err(ProtoError::LengthMismatch);
        }
        if flags != 0 {
            return Err(ProtoError::BadFlags);
        }
        Ok(Self {
            len,
            ty,
            version,
            flags,
            seq,
        })
    }

    /// Writes the header into the first [`HDR_LEN`] bytes of `out`.
    fn encode(&self, out: &mut [u8]) -> Result<(), ProtoError> {
        let out = out.get_mut(..HDR_LEN).ok_or(ProtoError::NoSpace)?;
        out[0..4].copy_from_slice(&self.len.to_le_bytes());
        out[4..6].copy_from_slice(&self.ty.to_le_bytes());
        out[6] = self.version;
        out[7] = self.flags;
        out[8..12].copy_from_slice(&self.seq.to_le_bytes());
        Ok(())
    }
}

/// A request from user space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Request<'a> {
    /// Version negotiation; the requester speaks `min..=max`.
    Hello {
        /// Oldest version the requester speaks.
        min: u32,
        /// Newest version the requester speaks.
        max: u32,
    },
    /// Counter query.
    GetCounters,
    /// CCP datapath query.
    CcpGet,
    /// Tunables query.
    GetKnobs,
    /// Install or replace the paths of `prefix` (not yet validated).
    PathSet {
        /// Prefix address and length, as sent.
        prefix: Prefix,
        /// The paths' SRHs.
        paths: SrhList<'a>,
        /// Fail with `EEXIST` instead of replacing an existing entry.
        excl: bool,
    },
    /// Delete the paths of `prefix`.
    PathDel {
        /// Prefix address and length, as sent.
        prefix: Prefix,
    },
    /// Read the `index`-th table entry.
    PathGet {
        /// Entry index.
        index: u32,
    },
    /// Set the failover strategy.
    SetFailover(FailoverReq),
    /// Start receiving events.
    Subscribe,
    /// Set EXP3 settings (not yet range-checked: see
    /// [`exp3::Overrides::validate`]).
    SetExp3(Exp3Req),
    /// Read the `index`-th EXP3 state.
    Exp3Get {
        /// State index.
        index: u32,
    },
    /// Set a prefix's Augmenter policy (not yet checked: see
    /// [`augment::Config::from_wire`]).
    AugSet(AugReq),
    /// Read a prefix's Augmenter state.
    AugGet {
        /// Prefix address and length, as sent.
        prefix: Prefix,
        /// MSS to compute windows with (0: [`AUG_DEFAULT_MSS`]).
        mss: u32,
    },
}

/// An Augmenter policy change (`struct tpc_augment_set`, unchecked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AugReq {
    /// Prefix, as sent.
    pub(crate) prefix: Prefix,
    /// `augment::POLICY_*`.
    pub(crate) kind: u8,
    /// Window of the fixed policy (0 otherwise).
    pub(crate) fixed: u32,
    /// Floor (0: the sysctl).
    pub(crate) floor: u32,
    /// Ceiling (0: the sysctl).
    pub(crate) ceiling: u32,
}

/// Body of `TPC_MSG_AUG_SET`.
pub(crate) const AUG_SET_BODY_LEN: usize = 32;
/// Body of `TPC_MSG_AUG_GET`.
pub(crate) const AUG_GET_BODY_LEN: usize = 24;
/// Body of `TPC_MSG_AUG_STATE`.
pub(crate) const AUG_STATE_LEN: usize = 128;
/// MSS of the windows in an Augmenter state when the request gives none
/// (IPv6 over a 1500-byte MTU, with TCP timestamps).
pub(crate) const AUG_DEFAULT_MSS: u32 = 1428;
/// `tpc_augment_state.flags`: the averages are fresh.
pub(crate) const AUG_F_FRESH: u8 = 1;
/// `tpc_augment_state.flags`: the floor in force is above the ceiling (a
/// floor sysctl raised after the prefix's ceiling was set); the ceiling
/// wins.
pub(crate) const AUG_F_CROSSED: u8 = 2;

/// Scope of a [`FailoverReq`] meaning "all prefixes" (the sysctls).
pub(crate) const SCOPE_GLOBAL: u8 = 0xff;
/// [`FailoverReq::kind`] that removes a prefix's override.
pub(crate) const KIND_INHERIT: u8 = 0xff;

/// A strategy change (not yet range-checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FailoverReq {
    /// Prefix address (ignored for the global scope).
    pub(crate) addr: Addr,
    /// Prefix length, or [`SCOPE_GLOBAL`].
    pub(crate) plen: u8,
    /// [`StrategyKind`] value, or [`KIND_INHERIT`].
    pub(crate) kind: u8,
    /// N.
    pub(crate) n: u32,
    /// M.
    pub(crate) m: u32,
    /// T in milliseconds.
    pub(crate) t_ms: u32,
}

/// An EXP3 settings change (only the reserved field is checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Exp3Req {
    /// Prefix address (ignored for the global scope).
    pub(crate) addr: Addr,
    /// Prefix length, or [`SCOPE_GLOBAL`] for the sysctls.
    pub(crate) plen: u8,
    /// The settings; inherit values leave a global setting unchanged.
    pub(crate) ov: exp3::Overrides,
}

/// Path-set flag: create only, never replace.
pub(crate) const PATH_SET_EXCL: u8 = 1;

/// Length of the fixed part of a path-set body.
pub(crate) const PATH_SET_HDR_LEN: usize = 20;
/// Length of the header of one path in a path-set body.
pub(crate) const PATH_HDR_LEN: usize = 4;
/// Length of a prefix field (address, length, 3 reserved bytes).
pub(crate) const PREFIX_FIELD_LEN: usize = 20;
/// Length of a set-failover body.
pub(crate) const FAILOVER_BODY_LEN: usize = 32;
/// Length of an event body.
pub(crate) const EVENT_BODY_LEN: usize = 64;
/// Length of the fixed part of a path-entry body.
pub(crate) const PATH_ENTRY_HDR_LEN: usize = 120;
// The fixed part ends with the move counters (one per reason) and
// apply_failed.
const _: () = assert!(PATH_ENTRY_HDR_LEN == 48 + 8 * REASONS + 8);
/// Length of the header of one path in a path-entry body.
pub(crate) const PATH_ENTRY_PATH_HDR_LEN: usize = 32;
/// Length of a set-EXP3 body.
pub(crate) const EXP3_SET_BODY_LEN: usize = 32;
/// Length of the fixed part of an EXP3-state body.
pub(crate) const EXP3_STATE_HDR_LEN: usize = 96;
/// Length of one path of an EXP3-state body.
pub(crate) const EXP3_PATH_LEN: usize = 24;
/// Length of one history sample of an EXP3-state body.
pub(crate) const EXP3_SAMPLE_LEN: usize = 24;
/// Length of an EXP3 update event body.
pub(crate) const UPDATE_BODY_LEN: usize = 88;

/// The SRHs of a path-set request, framing already checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SrhList<'a> {
    data: &'a [u8],
    count: usize,
}

impl<'a> SrhList<'a> {
    /// Iterates over the SRHs (an empty slice is a direct path).
    pub(crate) fn iter(&self) -> SrhIter<'a> {
        SrhIter {
            data: self.data,
            left: self.count,
        }
    }
}

/// Iterator over [`SrhList`].
#[derive(Clone, Debug)]
pub(crate) struct SrhIter<'a> {
    data: &'a [u8],
    left: usize,
}

impl<'a> Iterator for SrhIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        let len = usize::from(get_u16(self.data, 0)?);
        let srh = self.data.get(PATH_HDR_LEN..PATH_HDR_LEN + len)?;
        self.data = &self.data[PATH_HDR_LEN + len..];
        self.left -= 1;
        Some(srh)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for SrhIter<'_> {}

fn get_addr(b: &[u8], at: usize) -> Option<Addr> {
    let s = b.get(at..at.checked_add(16)?)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(s);
    Some(a)
}

/// Decodes a prefix field; the reserved bytes must be zero.
fn get_prefix(b: &[u8]) -> Result<Prefix, ProtoError> {
    let addr = get_addr(b, 0).ok_or(ProtoError::BadBody)?;
    match b.get(16..20) {
        Some([len, 0, 0, 0]) => Ok(Prefix { addr, len: *len }),
        _ => Err(ProtoError::BadBody),
    }
}

/// Checks the framing of a path-set body.
fn decode_path_set(body: &[u8]) -> Result<Request<'_>, ProtoError> {
    if body.len() < PATH_SET_HDR_LEN {
        return Err(ProtoError::BadBody);
    }
    let addr = get_addr(body, 0).ok_or(ProtoError::BadBody)?;
    let (plen, count, flags) = (body[16], usize::from(body[17]), body[18]);
    if flags & !PATH_SET_EXCL != 0 || body[19] != 0 {
        return Err(ProtoError::BadBody);
    }
    let data = &body[PATH_SET_HDR_LEN..];
    // Walk the paths once: each header, then exactly its bytes; nothing
    // may follow the last one.
    let mut at = 0;
    for _ in 0..count {
        let len = usize::from(get_u16(data, at).ok_or(ProtoError::BadBody)?);
        if get_u16(data, at + 2) != Some(0) {
            return Err(ProtoError::BadBody);
        }
        at += PATH_HDR_LEN + len;
        if at > data.len() {
            return Err(ProtoError::BadBody);
        }
    }
    if at != data.len() {
        return Err(ProtoError::BadBody);
    }
    Ok(Request::PathSet {
        prefix: Prefix { addr, len: plen },
        paths: SrhList { data, count },
        excl: flags & PATH_SET_EXCL != 0,
    })
}

fn decode_failover(body: &[u8]) -> Result<Request<'_>, ProtoError> {
    if body.len() != FAILOVER_BODY_LEN || body[18] != 0 || body[19] != 0 {
        return Err(ProtoError::BadBody);
    }
    let f = |at| get_u32(body, at).ok_or(ProtoError::BadBody);
    Ok(Request::SetFailover(FailoverReq {
        addr: get_addr(body, 0).ok_or(ProtoError::BadBody)?,
        plen: body[16],
        kind: body[17],
        n: f(20)?,
        m: f(24)?,
        t_ms: f(28)?,
    }))
}

/// Decodes `struct tpc_exp3_set`; only the reserved field is checked.
fn decode_set_exp3(body: &[u8]) -> Result<Request<'_>, ProtoError> {
    let bad = ProtoError::BadBody;
    if body.len() != EXP3_SET_BODY_LEN || get_u32(body, 28) != Some(0) {
        return Err(bad);
    }
    let f = |at| get_u32(body, at).ok_or(bad);
    Ok(Request::SetExp3(Exp3Req {
        addr: get_addr(body, 0).ok_or(bad)?,
        plen: body[16],
        ov: exp3::Overrides {
            mode: body[17],
            preset: body[18],
            keylen: body[19],
            gamma_ppm: f(20)?,
            hook_bytes: f(24)?,
        },
    }))
}

/// Decodes `struct tpc_augment_set`; only the reserved bytes are checked.
fn decode_aug_set(body: &[u8]) -> Result<Request<'_>, ProtoError> {
    let bad = ProtoError::BadBody;
    if body.len() != AUG_SET_BODY_LEN || body[18] != 0 || body[19] != 0 {
        return Err(bad);
    }
    let f = |at| get_u32(body, at).ok_or(bad);
    Ok(Request::AugSet(AugReq {
        prefix: Prefix {
            addr: get_addr(body, 0).ok_or(bad)?,
            len: body[16],
        },
        kind: body[17],
        fixed: f(20)?,
        floor: f(24)?,
        ceiling: f(28)?,
    }))
}

/// Decodes one request message. Returns the header and the request.
pub(crate) fn decode_request(buf: &[u8]) -> Result<(Header, Request<'_>), ProtoError> {
    let hdr = Header::decode(buf)?;
    let body = &buf[HDR_LEN..];
    let ty = MsgType::from_raw(hdr.ty).ok_or(ProtoError::UnknownType(hdr.ty))?;
    // A hello may come in any version: that is how versions are negotiated.
    if ty != MsgType::Hello && hdr.version != PROTO_VERSION {
        return Err(ProtoError::BadVersion);
    }
    let req = match ty {
        MsgType::Hello => {
            if body.len() != 8 {
                return Err(ProtoError::BadBody);
            }
            let (Some(min), Some(max)) = (get_u32(body, 0), get_u32(body, 4)) else {
                return Err(ProtoError::BadBody);
            };
            if min > max {
                return Err(ProtoError::BadBody);
            }
            if !(min..=max).contains(&u32::from(PROTO_VERSION)) {
                return Err(ProtoError::NoCommonVersion);
            }
            Request::Hello { min, max }
        }
        MsgType::GetCounters | MsgType::GetKnobs | MsgType::Subscribe | MsgType::CcpGet => {
            if !body.is_empty() {
                return Err(ProtoError::BadBody);
            }
            match ty {
                MsgType::GetCounters => Request::GetCounters,
                MsgType::GetKnobs => Request::GetKnobs,
                MsgType::CcpGet => Request::CcpGet,
                _ => Request::Subscribe,
            }
        }
        MsgType::PathSet => decode_path_set(body)?,
        MsgType::PathDel => {
            if body.len() != PREFIX_FIELD_LEN {
                return Err(ProtoError::BadBody);
            }
            Request::PathDel {
                prefix: get_prefix(body)?,
            }
        }
        MsgType::PathGet | MsgType::Exp3Get => match (body.len(), get_u32(body, 0)) {
            (4, Some(index)) if ty == MsgType::PathGet => Request::PathGet { index },
            (4, Some(index)) => Request::Exp3Get { index },
            _ => return Err(ProtoError::BadBody),
        },
        MsgType::SetFailover => decode_failover(body)?,
        MsgType::SetExp3 => decode_set_exp3(body)?,
        MsgType::AugSet => decode_aug_set(body)?,
        MsgType::AugGet => {
            if body.len() != AUG_GET_BODY_LEN {
                return Err(ProtoError::BadBody);
            }
            Request::AugGet {
                prefix: get_prefix(&body[..PREFIX_FIELD_LEN])?,
                mss: get_u32(body, PREFIX_FIELD_LEN).ok_or(ProtoError::BadBody)?,
            }
        }
        _ => return Err(ProtoError::UnknownType(hdr.ty)),
    };
    Ok((hdr, req))
}

/// Sequential little-endian writer over a caller-provided buffer.
struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), ProtoError> {
        let end = self
            .pos
            .checked_add(bytes.len())
            .ok_or(ProtoError::NoSpace)?;
        let dst = self.buf.get_mut(self.pos..end).ok_or(ProtoError::NoSpace)?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    fn put_u32(&mut self, v: u32) -> Result<(), ProtoError> {
        self.put(&v.to_le_bytes())
    }

    fn put_i32(&mut self, v: i32) -> Result<(), ProtoError> {
        self.put(&v.to_le_bytes())
    }

    fn put_u64(&mut self, v: u64) -> Result<(), ProtoError> {
        self.put(&v.to_le_bytes())
    }

    fn put_u16(&mut self, v: u16) -> Result<(), ProtoError> {
        self.put(&v.to_le_bytes())
    }

    fn put_prefix(&mut self, addr: &Addr, len: u8) -> Result<(), ProtoError> {
        self.put(addr)?;
        self.put(&[len, 0, 0, 0])
    }

    /// Writes `s` NUL-padded into a field of `width` bytes, truncating it so
    /// that at least one NUL remains.
    fn put_name(&mut self, s: &[u8], width: usize) -> Result<(), ProtoError> {
        let n = s.len().min(width.saturating_sub(1));
        self.put(&s[..n])?;
        for _ in n..width {
            self.put(&[0])?;
        }
        Ok(())
    }
}

/// Builds a message of type `ty` whose body is written by `body`; returns the
/// total length.
fn encode_msg(
    out: &mut [u8],
    ty: MsgType,
    seq: u32,
    body: impl FnOnce(&mut Writer<'_>) -> Result<(), ProtoError>,
) -> Result<usize, ProtoError> {
    let limit = out.len().min(MSG_MAX);
    if limit < HDR_LEN {
        return Err(ProtoError::NoSpace);
    }
    let (head, rest) = out[..limit].split_at_mut(HDR_LEN);
    let mut w = Writer::new(rest);
    body(&mut w)?;
    let len = HDR_LEN + w.pos;
    Header {
        len: len as u32,
        ty: ty as u16,
        version: PROTO_VERSION,
        flags: 0,
        seq,
    }
    .encode(head)?;
    Ok(len)
}

/// Encodes a hello request (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
pub(crate) fn encode_hello(
    out: &mut [u8],
    seq: u32,
    min: u32,
    max: u32,
) -> Result<usize, ProtoError> {
    encode_msg(out, MsgType::Hello, seq, |w| {
        w.put_u32(min)?;
        w.put_u32(max)
    })
}

/// Encodes a request with an empty body (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
pub(crate) fn encode_empty(out: &mut [u8], ty: MsgType, seq: u32) -> Result<usize, ProtoError> {
    encode_msg(out, ty, seq, |_| Ok(()))
}

/// Encodes a path-set request (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
pub(crate) fn encode_path_set(
    out: &mut [u8],
    seq: u32,
    prefix: &Prefix,
    srhs: &[&[u8]],
    excl: bool,
) -> Result<usize, ProtoError> {
    let count = u8::try_from(srhs.len()).map_err(|_| ProtoError::NoSpace)?;
    let flags = if excl { PATH_SET_EXCL } else { 0 };
    encode_msg(out, MsgType::PathSet, seq, |w| {
        w.put(&prefix.addr)?;
        w.put(&[prefix.len, count, flags, 0])?;
        for s in srhs {
            w.put_u16(u16::try_from(s.len()).map_err(|_| ProtoError::NoSpace)?)?;
            w.put_u16(0)?;
            w.put(s)?;
        }
        Ok(())
    })
}

/// Encodes a path-delete request (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
pub(crate) fn encode_path_del(
    out: &mut [u8],
    seq: u32,
    prefix: &Prefix,
) -> Result<usize, ProtoError> {
    encode_msg(out, MsgType::PathDel, seq, |w| {
        w.put_prefix(&prefix.addr, prefix.len)
    })
}

/// Encodes a path-get request (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
pub(crate) fn encode_path_get(out: &mut [u8], seq: u32, index: u32) -> Result<usize, ProtoError> {
    encode_msg(out, MsgType::PathGet, seq, |w| w.put_u32(index))
}

/// Encodes a set-failover request (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
pub(crate) fn encode_set_failover(
    out: &mut [u8],
    seq: u32,
    r: &FailoverReq,
) -> Result<usize, ProtoError> {
    encode_msg(out, MsgType::SetFailover, seq, |w| {
        w.put(&r.addr)?;
        w.put(&[r.plen, r.kind, 0, 0])?;
        w.put_u32(r.n)?;
        w.put_u32(r.m)?;
        w.put_u32(r.t_ms)
    })
}

/// Encodes a set-EXP3 request (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
pub(crate) fn encode_set_exp3(out: &mut [u8], seq: u32, r: &Exp3Req) -> Result<usize, ProtoError> {
    let o = &r.ov;
    encode_msg(out, MsgType::SetExp3, seq, |w| {
        w.put(&r.addr)?;
        w.put(&[r.plen, o.mode, o.preset, o.keylen])?;
        w.put_u32(o.gamma_ppm)?;
        w.put_u32(o.hook_bytes)?;
        w.put_u32(0)
    })
}

/// Encodes an EXP3-state request (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
pub(crate) fn encode_exp3_get(out: &mut [u8], seq: u32, index: u32) -> Result<usize, ProtoError> {
    encode_msg(out, MsgType::Exp3Get, seq, |w| w.put_u32(index))
}

/// Encodes a set-Augmenter request (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
pub(crate) fn encode_aug_set(out: &mut [u8], seq: u32, r: &AugReq) -> Result<usize, ProtoError> {
    encode_msg(out, MsgType::AugSet, seq, |w| {
        w.put(&r.prefix.addr)?;
        w.put(&[r.prefix.len, r.kind, 0, 0])?;
        w.put_u32(r.fixed)?;
        w.put_u32(r.floor)?;
        w.put_u32(r.ceiling)
    })
}

/// Encodes an Augmenter-state request (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
pub(crate) fn encode_aug_get(
    out: &mut [u8],
    seq: u32,
    prefix: &Prefix,
    mss: u32,
) -> Result<usize, ProtoError> {
    encode_msg(out, MsgType::AugGet, seq, |w| {
        w.put_prefix(&prefix.addr, prefix.len)?;
        w.put_u32(mss)
    })
}

/// A prefix's Augmenter state (`struct tpc_augment_state`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AugStateView {
    /// The path-table entry's prefix.
    pub(crate) prefix: Prefix,
    /// `augment::POLICY_*`.
    pub(crate) policy: u8,
    /// [`AUG_F_FRESH`], [`AUG_F_CROSSED`].
    pub(crate) flags: u8,
    /// Window of the fixed policy.
    pub(crate) fixed: u32,
    /// Configured floor (0: the sysctl).
    pub(crate) floor: u32,
    /// Configured ceiling (0: the sysctl).
    pub(crate) ceiling: u32,
    /// Floor in force.
    pub(crate) eff_floor: u32,
    /// Ceiling in force.
    pub(crate) eff_ceiling: u32,
    /// Tracked connections open to the prefix.
    pub(crate) open: u32,
    /// Connections started in the last one or two bins (counted in the
    /// share besides the active flows).
    pub(crate) starts: u32,
    /// MSS the windows are computed for.
    pub(crate) mss: u32,
    /// Window the policy gives a new connection before the per-connection
    /// caps (0: the kernel's).
    pub(crate) window: u32,
    /// The learned estimate (0: no fresh data).
    pub(crate) learned: u32,
    /// `augment_half_life_ms` in force.
    pub(crate) half_life_ms: u32,
    /// Delivery rate of the prefix's flows, bytes per second.
    pub(crate) rate_bps: u64,
    /// Active flows, thousandths.
    pub(crate) flows_milli: u64,
    /// Minimum RTT, µs.
    pub(crate) min_rtt_us: u64,
    /// Loss, millionths.
    pub(crate) loss_ppm: u64,
    /// Since the last active bin ended, ms (`u64::MAX`: never).
    pub(crate) age_ms: u64,
    /// Bins folded into the averages.
    pub(crate) bins: u64,
    /// A new flow's fair share, bytes per second.
    pub(crate) share_bps: u64,
    /// Its bandwidth-delay product, bytes.
    pub(crate) bdp_bytes: u64,
}

impl AugStateView {
    /// The state of table entry `e` at `now_ns` under the sysctls `s`,
    /// windows computed for `mss` (0: [`AUG_DEFAULT_MSS`]). Folds a
    /// finished bin of the aggregate first.
    pub(crate) fn of(e: &mut Entry, mss: u32, now_ns: i64, s: &augment::Settings) -> Self {
        let mss = if mss == 0 { AUG_DEFAULT_MSS } else { mss };
        let c = e.augment;
        let (lo, hi) = c.bounds(s);
        let learned = e.agg.learned(now_ns, mss, lo, hi, s);
        let (fixed, window) = match c.policy {
            Policy::Off => (0, 0),
            Policy::Fixed(n) => (n, n),
            Policy::Learned => (0, learned.map_or(0, |l| l.window)),
        };
        let avg = e.agg.averages(now_ns, s);
        let a = avg.unwrap_or_default();
        Self {
            prefix: e.prefix,
            policy: c.policy.kind(),
            flags: if avg.is_some() { AUG_F_FRESH } else { 0 }
                | if hi < lo { AUG_F_CROSSED } else { 0 },
            fixed,
            floor: c.floor,
            ceiling: c.ceiling,
            eff_floor: lo,
            eff_ceiling: hi,
            open: e.agg.open,
            starts: e.agg.recent_starts(now_ns),
            mss,
            window,
            learned: learned.map_or(0, |l| l.window),
            half_life_ms: s.half_life_ms,
            rate_bps: a.rate_bps,
            flows_milli: a.flows_milli,
            min_rtt_us: a.min_rtt_us,
            loss_ppm: a.loss_ppm,
            age_ms: e.agg.age_ms(now_ns).unwrap_or(u64::MAX),
            bins: e.agg.bins,
            share_bps: learned.map_or(0, |l| l.share_bps),
            bdp_bytes: learned.map_or(0, |l| l.bdp_bytes),
        }
    }
}

/// Encodes an Augmenter state.
pub(crate) fn encode_aug_state(
    out: &mut [u8],
    seq: u32,
    v: &AugStateView,
) -> Result<usize, ProtoError> {
    encode_msg(out, MsgType::AugState, seq, |w| {
        w.put(&v.prefix.addr)?;
        w.put(&[v.prefix.len, v.policy, v.flags, 0])?;
        for x in [
            v.fixed,
            v.floor,
            v.ceiling,
            v.eff_floor,
            v.eff_ceiling,
            v.open,
            v.mss,
            v.window,
            v.learned,
            v.half_life_ms,
            v.starts,
        ] {
            w.put_u32(x)?;
        }
        for x in [
            v.rate_bps,
            v.flows_milli,
            v.min_rtt_us,
            v.loss_ppm,
            v.age_ms,
            v.bins,
            v.share_bps,
            v.bdp_bytes,
        ] {
            w.put_u64(x)?;
        }
        Ok(())
    })
}

fn decode_aug_state(b: &[u8]) -> Result<AugStateView, ProtoError> {
    let bad = ProtoError::BadBody;
    if b.len() != AUG_STATE_LEN || b[19] != 0 {
        return Err(bad);
    }
    let u = |at| get_u32(b, at).ok_or(bad);
    let q = |at| get_u64(b, at).ok_or(bad);
    Ok(AugStateView {
        prefix: Prefix {
            addr: get_addr(b, 0).ok_or(bad)?,
            len: b[16],
        },
        policy: b[17],
        flags: b[18],
        fixed: u(20)?,
        floor: u(24)?,
        ceiling: u(28)?,
        eff_floor: u(32)?,
        eff_ceiling: u(36)?,
        open: u(40)?,
        mss: u(44)?,
        window: u(48)?,
        learned: u(52)?,
        half_life_ms: u(56)?,
        starts: u(60)?,
        rate_bps: q(64)?,
        flows_milli: q(72)?,
        min_rtt_us: q(80)?,
        loss_ppm: q(88)?,
        age_ms: q(96)?,
        bins: q(104)?,
        share_bps: q(112)?,
        bdp_bytes: q(120)?,
    })
}

/// Encodes an ack.
pub(crate) fn encode_ack(out: &mut [u8], seq: u32) -> Result<usize, ProtoError> {
    encode_msg(out, MsgType::Ack, seq, |_| Ok(()))
}

/// Encodes one event delivery.
pub(crate) fn encode_event(out: &mut [u8], seq: u32, d: &Delivery) -> Result<usize, ProtoError> {
    let e = &d.event;
    encode_msg(out, MsgType::Event, seq, |w| {
        w.put_u64(d.seq)?;
        w.put_u64(d.lost)?;
        w.put_u64(e.ktime_ns)?;
        w.put(&[e.reason as u8, e.old, e.new, 0])?;
        w.put_u16(e.sport)?;
        w.put_u16(e.dport)?;
        w.put(&e.saddr)?;
        w.put(&e.daddr)
    })
}

/// Encodes one EXP3 update delivery (`struct tpc_exp3_update`).
pub(crate) fn encode_update(
    out: &mut [u8],
    seq: u32,
    d: &Delivery<UpdateEvent>,
) -> Result<usize, ProtoError> {
    let e = &d.event;
    encode_msg(out, MsgType::Update, seq, |w| {
        w.put_u64(d.seq)?;
        w.put_u64(d.lost)?;
        w.put_u64(e.ktime_ns)?;
        w.put(&e.key.addr)?;
        w.put(&[e.key.len, e.path, e.npaths, 0])?;
        w.put_u32(e.srtt_us)?;
        w.put_i32(e.reward_ppm)?;
        w.put_u32(e.p_ppm)?;
        for s in e.shares_ppm {
            w.put_u32(s)?;
        }
        Ok(())
    })
}

/// `x` in millionths, rounded, saturating at 0 and `u64::MAX`.
fn micro_of(x: Sf) -> u64 {
    (x * Sf::from_u64(1_000_000)).round_u64()
}

/// Encodes the `index`-th of `count` EXP3 states, with the settings `s` in
/// force for it, at `now_ns` (`ktime_get_ns`): `struct tpc_exp3_state`,
/// then one `struct tpc_exp3_path` per path (weights in millionths of a
/// token, draw probabilities over the paths usable at `now_ns`), then the
/// history as `struct tpc_exp3_sample`s, oldest first.
pub(crate) fn encode_exp3_state(
    out: &mut [u8],
    seq: u32,
    index: u32,
    count: u32,
    st: &State,
    s: &Settings,
    now_ns: i64,
) -> Result<usize, ProtoError> {
    let n = st.npaths().min(MAX_PATHS);
    let nhist = st.history().count().min(exp3::HISTORY);
    let (rtt_min, rtt_max) = st.rtt_range();
    let probs = st.probs(s.gamma_ppm, st.usable(now_ns));
    let shares = st.shares_ppm();
    encode_msg(out, MsgType::Exp3State, seq, |w| {
        w.put_u32(index)?;
        w.put_u32(count)?;
        w.put(&st.key.addr)?;
        // Cannot truncate: at most MAX_PATHS paths and HISTORY samples.
        w.put(&[st.key.len, n as u8, st.failed_mask(now_ns), nhist as u8])?;
        w.put(&[st.entry.len, u8::from(s.on), s.preset as u8, s.keylen])?;
        w.put(&st.entry.addr)?;
        w.put_u32(st.generation)?;
        w.put_u32(rtt_min)?;
        w.put_u32(rtt_max)?;
        w.put_u32(s.gamma_ppm)?;
        w.put_u32(s.hook_bytes)?;
        w.put_u32(0)?;
        w.put_u64(st.stats.updates)?;
        w.put_u64(st.stats.failures)?;
        w.put_u64(now_ns.max(0) as u64)?;
        for (i, wt) in st.weights().iter().take(n).enumerate() {
            w.put_u64(micro_of(*wt))?;
            w.put_u64(st.stats.draws[i])?;
            w.put_u32(shares[i])?;
            w.put_u32(micro_of(probs[i]).min(u64::from(u32::MAX)) as u32)?;
        }
        for h in st.history().take(nhist) {
            w.put_u64(h.ktime_ns)?;
            w.put(&[h.path, 0, 0, 0])?;
            w.put_u32(h.srtt_us)?;
            w.put_i32(h.reward_ppm)?;
            w.put_u32(h.p_ppm)?;
        }
        Ok(())
    })
}

/// Encodes the `index`-th of `count` table entries.
pub(crate) fn encode_path_entry(
    out: &mut [u8],
    seq: u32,
    index: u32,
    count: u32,
    e: &Entry,
) -> Result<usize, ProtoError> {
    encode_msg(out, MsgType::PathEntry, seq, |w| {
        w.put_u32(index)?;
        w.put_u32(count)?;
        w.put(&e.prefix.addr)?;
        let kind = e.strategy.map_or(KIND_INHERIT, |s| s.kind as u8);
        // Cannot truncate: an entry has at most MAX_PATHS paths.
        w.put(&[e.prefix.len, e.len() as u8, kind, 0])?;
        let s = e.strategy.unwrap_or(Strategy {
            kind: StrategyKind::Off,
            n: 0,
            m: 0,
            t_ms: 0,
        });
        w.put_u32(s.n)?;
        w.put_u32(s.m)?;
        w.put_u32(s.t_ms)?;
        w.put_u32(e.generation)?;
        w.put_u32(0)?;
        for m in e.stats.moves {
            w.put_u64(m)?;
        }
        w.put_u64(e.stats.apply_failed)?;
        for p in e.paths() {
            let b = p.srh.as_bytes();
            // Cannot truncate: an SRH is at most MAX_SRH_LEN bytes.
            w.put_u16(b.len() as u16)?;
            w.put_u16(0)?;
            w.put_u32(0)?;
            w.put_u64(p.stats.starts)?;
            w.put_u64(p.stats.moves_in)?;
            w.put_u64(p.stats.moves_out)?;
            w.put(b)?;
        }
        Ok(())
    })
}

/// Contents of a hello reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HelloInfo<'a> {
    /// Negotiated protocol version.
    pub(crate) version: u32,
    /// Largest message.
    pub(crate) max_msg: u32,
    /// Capacity of the reply queue of the file, in bytes.
    pub(crate) queue_bytes: u32,
    /// Module version string.
    pub(crate) module_version: &'a [u8],
}

/// Encodes a hello reply.
pub(crate) fn encode_hello_reply(
    out: &mut [u8],
    seq: u32,
    info: &HelloInfo<'_>,
) -> Result<usize, ProtoError> {
    encode_msg(out, MsgType::HelloReply, seq, |w| {
        w.put_u32(info.version)?;
        w.put_u32(info.max_msg)?;
        w.put_u32(info.queue_bytes)?;
        w.put_u32(0)?;
        w.put_name(info.module_version, VERSION_STR_LEN)
    })
}

/// Maximum number of counter entries in one message.
pub(crate) const MAX_COUNTERS: usize = (MSG_MAX - HDR_LEN - LIST_HDR_LEN) / COUNTER_ENTRY_LEN;
/// Maximum number of knob entries in one message.
pub(crate) const MAX_KNOBS: usize = (MSG_MAX - HDR_LEN - LIST_HDR_LEN) / KNOB_ENTRY_LEN;

/// Encodes a counters reply from `(name, value)` pairs.
pub(crate) fn encode_counters<'n>(
    out: &mut [u8],
    seq: u32,
    entries: impl ExactSizeIterator<Item = (&'n str, u64)>,
) -> Result<usize, ProtoError> {
    encode_named(out, MsgType::Counters, seq, entries)
}

/// Encodes a CCP status reply from `(name, value)` pairs (the counters
/// layout).
pub(crate) fn encode_ccp_status<'n>(
    out: &mut [u8],
    seq: u32,
    entries: impl ExactSizeIterator<Item = (&'n str, u64)>,
) -> Result<usize, ProtoError> {
    encode_named(out, MsgType::CcpStatus, seq, entries)
}

fn encode_named<'n>(
    out: &mut [u8],
    ty: MsgType,
    seq: u32,
    entries: impl ExactSizeIterator<Item = (&'n str, u64)>,
) -> Result<usize, ProtoError> {
    if entries.len() > MAX_COUNTERS {
        return Err(ProtoError::NoSpace);
    }
    encode_msg(out, ty, seq, |w| {
        w.put_u32(entries.len() as u32)?;
        w.put_u32(0)?;
        for (name, value) in entries {
            w.put_u64(value)?;
            w.put_name(name.as_bytes(), COUNTER_NAME_LEN)?;
        }
        Ok(())
    })
}

/// One tunable as reported in a knobs reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KnobView<'a> {
    /// Name under `net.tpc`.
    pub(crate) name: &'a [u8],
    /// Current value.
    pub(crate) value: i32,
    /// Smallest accepted value.
    pub(crate) min: i32,
    /// Largest accepted value.
    pub(crate) max: i32,
}

/// Encodes a knobs reply.
pub(crate) fn encode_knobs<'n>(
    out: &mut [u8],
    seq: u32,
    entries: impl ExactSizeIterator<Item = KnobView<'n>>,
) -> Result<usize, ProtoError> {
    if entries.len() > MAX_KNOBS {
        return Err(ProtoError::NoSpace);
    }
    encode_msg(out, MsgType::Knobs, seq, |w| {
        w.put_u32(entries.len() as u32)?;
        w.put_u32(0)?;
        for k in entries {
            w.put_i32(k.value)?;
            w.put_i32(k.min)?;
            w.put_i32(k.max)?;
            w.put_u32(0)?;
            w.put_name(k.name, KNOB_NAME_LEN)?;
        }
        Ok(())
    })
}

/// A decoded reply (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reply<'a> {
    /// Hello reply.
    Hello(HelloInfo<'a>),
    /// Counters reply; iterate with [`Entries::counters`].
    Counters(Entries<'a>),
    /// CCP status reply; iterate with [`Entries::counters`].
    CcpStatus(Entries<'a>),
    /// Knobs reply; iterate with [`Entries::knobs`].
    Knobs(Entries<'a>),
    /// Success without data.
    Ack,
    /// One path-table entry.
    PathEntry(PathEntryView<'a>),
    /// One event.
    Event(Delivery),
    /// One EXP3 state.
    Exp3State(Exp3StateView<'a>),
    /// One EXP3 update event.
    Update(Delivery<UpdateEvent>),
    /// One Augmenter state.
    AugState(AugStateView),
}

/// One path of a decoded EXP3 state.
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Exp3PathView {
    /// Weight in millionths of a token (the weights sum to
    /// [`exp3::TOKENS`] tokens).
    pub(crate) weight_micro: u64,
    /// Connections that drew the path.
    pub(crate) draws: u64,
    /// Weight share `w / Σw` in millionths.
    pub(crate) share_ppm: u32,
    /// Draw probability now, in millionths (0: left out, failed).
    pub(crate) prob_ppm: u32,
}

/// A decoded EXP3 state.
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Exp3StateView<'a> {
    /// Index of the state.
    pub(crate) index: u32,
    /// States in the table.
    pub(crate) count: u32,
    /// Destinations the state covers.
    pub(crate) key: Prefix,
    /// The path-table entry its paths belong to.
    pub(crate) entry: Prefix,
    /// Paths left out of draws (bit i: path i).
    pub(crate) failed_mask: u8,
    /// Settings in force: EXP3 on.
    pub(crate) on: bool,
    /// Settings in force: reward rule.
    pub(crate) preset: Preset,
    /// Settings in force: key length.
    pub(crate) keylen: u8,
    /// Generation of the entry's paths the weights were learned for.
    pub(crate) generation: u32,
    /// RTT range of the reward normalisation (µs; 0 if none).
    pub(crate) rtt_min_us: u32,
    /// See `rtt_min_us`.
    pub(crate) rtt_max_us: u32,
    /// Settings in force: Γ in millionths.
    pub(crate) gamma_ppm: u32,
    /// Settings in force: hook rate in bytes.
    pub(crate) hook_bytes: u32,
    /// Weight updates.
    pub(crate) updates: u64,
    /// Times a path was marked failed.
    pub(crate) failures: u64,
    /// `ktime_get_ns()` when the reply was made.
    pub(crate) now_ns: u64,
    npaths: usize,
    nhist: usize,
    data: &'a [u8],
}

#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
impl<'a> Exp3StateView<'a> {
    /// Number of paths.
    pub(crate) fn npaths(&self) -> usize {
        self.npaths
    }

    /// Number of history samples.
    pub(crate) fn nhist(&self) -> usize {
        self.nhist
    }

    /// The paths, in order.
    pub(crate) fn paths(&self) -> impl Iterator<Item = Exp3PathView> + 'a {
        self.data
            .chunks_exact(EXP3_PATH_LEN)
            .take(self.npaths)
            .map(|p| Exp3PathView {
                weight_micro: get_u64(p, 0).unwrap_or(0),
                draws: get_u64(p, 8).unwrap_or(0),
                share_ppm: get_u32(p, 16).unwrap_or(0),
                prob_ppm: get_u32(p, 20).unwrap_or(0),
            })
    }

    /// The recent rewards, oldest first.
    pub(crate) fn history(&self) -> impl Iterator<Item = Sample> + 'a {
        let at = self.npaths * EXP3_PATH_LEN;
        self.data
            .get(at..)
            .unwrap_or(&[])
            .chunks_exact(EXP3_SAMPLE_LEN)
            .take(self.nhist)
            .map(|h| Sample {
                ktime_ns: get_u64(h, 0).unwrap_or(0),
                path: h[8],
                srtt_us: get_u32(h, 12).unwrap_or(0),
                reward_ppm: get_u32(h, 16).unwrap_or(0) as i32,
                p_ppm: get_u32(h, 20).unwrap_or(0),
            })
    }
}

fn decode_exp3_state(body: &[u8]) -> Result<Exp3StateView<'_>, ProtoError> {
    let bad = ProtoError::BadBody;
    if body.len() < EXP3_STATE_HDR_LEN {
        return Err(bad);
    }
    let (npaths, nhist) = (usize::from(body[25]), usize::from(body[27]));
    if npaths > MAX_PATHS
        || nhist > exp3::HISTORY
        || body.len() != EXP3_STATE_HDR_LEN + npaths * EXP3_PATH_LEN + nhist * EXP3_SAMPLE_LEN
        || body[29] > 1
    {
        return Err(bad);
    }
    let u = |at| get_u32(body, at).ok_or(bad);
    let q = |at| get_u64(body, at).ok_or(bad);
    Ok(Exp3StateView {
        index: u(0)?,
        count: u(4)?,
        key: Prefix {
            addr: get_addr(body, 8).ok_or(bad)?,
            len: body[24],
        },
        entry: Prefix {
            addr: get_addr(body, 32).ok_or(bad)?,
            len: body[28],
        },
        failed_mask: body[26],
        on: body[29] == 1,
        preset: Preset::from_raw(u32::from(body[30])).ok_or(bad)?,
        keylen: body[31],
        generation: u(48)?,
        rtt_min_us: u(52)?,
        rtt_max_us: u(56)?,
        gamma_ppm: u(60)?,
        hook_bytes: u(64)?,
        updates: q(72)?,
        failures: q(80)?,
        now_ns: q(88)?,
        npaths,
        nhist,
        data: &body[EXP3_STATE_HDR_LEN..],
    })
}

fn decode_update(body: &[u8]) -> Result<Delivery<UpdateEvent>, ProtoError> {
    let bad = ProtoError::BadBody;
    if body.len() != UPDATE_BODY_LEN || usize::from(body[42]) > MAX_PATHS {
        return Err(bad);
    }
    let mut shares_ppm = [0u32; MAX_PATHS];
    for (i, s) in shares_ppm.iter_mut().enumerate() {
        *s = get_u32(body, 56 + 4 * i).ok_or(bad)?;
    }
    Ok(Delivery {
        seq: get_u64(body, 0).ok_or(bad)?,
        lost: get_u64(body, 8).ok_or(bad)?,
        event: UpdateEvent {
            ktime_ns: get_u64(body, 16).ok_or(bad)?,
            key: Prefix {
                addr: get_addr(body, 24).ok_or(bad)?,
                len: body[40],
            },
            path: body[41],
            npaths: body[42],
            srtt_us: get_u32(body, 44).ok_or(bad)?,
            reward_ppm: get_u32(body, 48).ok_or(bad)? as i32,
            p_ppm: get_u32(body, 52).ok_or(bad)?,
            shares_ppm,
        },
    })
}

/// A decoded path-table entry.
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PathEntryView<'a> {
    /// Index of the entry.
    pub(crate) index: u32,
    /// Entries in the table.
    pub(crate) count: u32,
    /// The prefix.
    pub(crate) prefix: Prefix,
    /// The prefix's override, if any.
    pub(crate) strategy: Option<Strategy>,
    /// Bumped whenever the paths are replaced.
    pub(crate) generation: u32,
    /// Path changes by reason value.
    pub(crate) moves: [u64; REASONS],
    /// Failed path changes.
    pub(crate) apply_failed: u64,
    npaths: usize,
    data: &'a [u8],
}

#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
impl<'a> PathEntryView<'a> {
    /// The paths: SRH bytes (empty: direct) and counters.
    pub(crate) fn paths(&self) -> impl Iterator<Item = (&'a [u8], PathStats)> + 'a {
        let mut data = self.data;
        (0..self.npaths).map_while(move |_| {
            let len = usize::from(get_u16(data, 0)?);
            let stats = PathStats {
                starts: get_u64(data, 8)?,
                moves_in: get_u64(data, 16)?,
                moves_out: get_u64(data, 24)?,
            };
            let end = PATH_ENTRY_PATH_HDR_LEN + len;
            let srh = data.get(PATH_ENTRY_PATH_HDR_LEN..end)?;
            data = &data[end..];
            Some((srh, stats))
        })
    }

    /// Number of paths.
    pub(crate) fn npaths(&self) -> usize {
        self.npaths
    }
}

fn decode_path_entry(body: &[u8]) -> Result<PathEntryView<'_>, ProtoError> {
    let bad = ProtoError::BadBody;
    if body.len() < PATH_ENTRY_HDR_LEN {
        return Err(bad);
    }
    let u = |at| get_u32(body, at).ok_or(bad);
    let kind = body[26];
    let strategy = if kind == KIND_INHERIT {
        None
    } else {
        Some(Strategy {
            kind: StrategyKind::from_raw(u32::from(kind)).ok_or(bad)?,
            n: u(28)?,
            m: u(32)?,
            t_ms: u(36)?,
        })
    };
    let mut moves = [0u64; REASONS];
    for (i, m) in moves.iter_mut().enumerate() {
        *m = get_u64(body, 48 + 8 * i).ok_or(bad)?;
    }
    let npaths = usize::from(body[25]);
    let data = &body[PATH_ENTRY_HDR_LEN..];
    let mut at = 0;
    for _ in 0..npaths {
        let len = usize::from(get_u16(data, at).ok_or(bad)?);
        at += PATH_ENTRY_PATH_HDR_LEN + len;
        if at > data.len() {
            return Err(bad);
        }
    }
    if at != data.len() {
        return Err(bad);
    }
    Ok(PathEntryView {
        index: u(0)?,
        count: u(4)?,
        prefix: Prefix {
            addr: get_addr(body, 8).ok_or(bad)?,
            len: body[24],
        },
        strategy,
        generation: u(40)?,
        moves,
        apply_failed: get_u64(body, 48 + 8 * REASONS).ok_or(bad)?,
        npaths,
        data,
    })
}

fn decode_event(body: &[u8]) -> Result<Delivery, ProtoError> {
    let bad = ProtoError::BadBody;
    if body.len() != EVENT_BODY_LEN {
        return Err(bad);
    }
    Ok(Delivery {
        seq: get_u64(body, 0).ok_or(bad)?,
        lost: get_u64(body, 8).ok_or(bad)?,
        event: Event {
            ktime_ns: get_u64(body, 16).ok_or(bad)?,
            reason: Reason::from_raw(body[24]).ok_or(bad)?,
            old: body[25],
            new: body[26],
            sport: get_u16(body, 28).ok_or(bad)?,
            dport: get_u16(body, 30).ok_or(bad)?,
            saddr: get_addr(body, 32).ok_or(bad)?,
            daddr: get_addr(body, 48).ok_or(bad)?,
        },
    })
}

/// The entry array of a counters or knobs reply, already length-checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entries<'a> {
    data: &'a [u8],
    count: usize,
}

#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
impl<'a> Entries<'a> {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Whether the list is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Iterates over counter entries as `(name, value)`.
    pub(crate) fn counters(&self) -> impl Iterator<Item = (&'a [u8], u64)> + 'a {
        let data = self.data;
        data.chunks_exact(COUNTER_ENTRY_LEN)
            .take(self.count)
            .map(|e| (name_of(&e[8..]), get_u64(e, 0).unwrap_or(0)))
    }

    /// Iterates over knob entries.
    pub(crate) fn knobs(&self) -> impl Iterator<Item = KnobView<'a>> + 'a {
        let data = self.data;
        data.chunks_exact(KNOB_ENTRY_LEN)
            .take(self.count)
            .map(|e| KnobView {
                name: name_of(&e[16..]),
                value: get_u32(e, 0).unwrap_or(0) as i32,
                min: get_u32(e, 4).unwrap_or(0) as i32,
                max: get_u32(e, 8).unwrap_or(0) as i32,
            })
    }
}

/// Decodes a reply message (used by the controller).
#[allow(dead_code)] // Used by `tpcctl` and the host tests, not by the module.
pub(crate) fn decode_reply(buf: &[u8]) -> Result<(Header, Reply<'_>), ProtoError> {
    let hdr = Header::decode(buf)?;
    if hdr.version != PROTO_VERSION {
        return Err(ProtoError::BadVersion);
    }
    let body = &buf[HDR_LEN..];
    let list = |entry_len: usize| -> Result<Entries<'_>, ProtoError> {
        let count = get_u32(body, 0).ok_or(ProtoError::BadBody)? as usize;
        let data = &body[LIST_HDR_LEN..];
        if count.checked_mul(entry_len) != Some(data.len()) {
            return Err(ProtoError::BadBody);
        }
        Ok(Entries { data, count })
    };
    let reply = match MsgType::from_raw(hdr.ty) {
        Some(MsgType::HelloReply) => {
            if body.len() != HELLO_REPLY_BODY_LEN {
                return Err(ProtoError::BadBody);
            }
            Reply::Hello(HelloInfo {
                version: get_u32(body, 0).ok_or(ProtoError::BadBody)?,
                max_msg: get_u32(body, 4).ok_or(ProtoError::BadBody)?,
                queue_bytes: get_u32(body, 8).ok_or(ProtoError::BadBody)?,
                module_version: name_of(&body[16..]),
            })
        }
        Some(MsgType::Counters) if body.len() >= LIST_HDR_LEN => {
            Reply::Counters(list(COUNTER_ENTRY_LEN)?)
        }
        Some(MsgType::CcpStatus) if body.len() >= LIST_HDR_LEN => {
            Reply::CcpStatus(list(COUNTER_ENTRY_LEN)?)
        }
        Some(MsgType::Knobs) if body.len() >= LIST_HDR_LEN => Reply::Knobs(list(KNOB_ENTRY_LEN)?),
        Some(MsgType::Counters | MsgType::Knobs | MsgType::CcpStatus) => {
            return Err(ProtoError::BadBody)
        }
        Some(MsgType::Ack) if body.is_empty() => Reply::Ack,
        Some(MsgType::Ack) => return Err(ProtoError::BadBody),
        Some(MsgType::PathEntry) => Reply::PathEntry(decode_path_entry(body)?),
        Some(MsgType::Event) => Reply::Event(decode_event(body)?),
        Some(MsgType::Exp3State) => Reply::Exp3State(decode_exp3_state(body)?),
        Some(MsgType::Update) => Reply::Update(decode_update(body)?),
        Some(MsgType::AugState) => Reply::AugState(decode_aug_state(body)?),
        _ => return Err(ProtoError::UnknownType(hdr.ty)),
    };
    Ok((hdr, reply))
}

/// State of one connection as returned by `getsockopt(TPC_SO_INFO)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ConnInfo {
    /// `TPC_CONN_F_*` flags.
    pub(crate) flags: u32,
    /// Congestion-avoidance state (`TCP_CA_*`).
    pub(crate) ca_state: u32,
    /// Congestion window in packets.
    pub(crate) snd_cwnd: u32,
    /// Slow-start threshold in packets.
    pub(crate) snd_ssthresh: u32,
    /// Smoothed RTT in microseconds.
    pub(crate) srtt_us: u32,
    /// Entries into `TCP_CA_Loss`.
    pub(crate) loss_events: u32,
    /// ACKs that reached congestion avoidance.
    pub(crate) cong_avoid_calls: u32,
    /// Nanoseconds since tpc initialised the connection.
    pub(crate) age_ns: u64,
    /// Current path index, or [`PATH_NONE`].
    pub(crate) path: u32,
    /// Paths of the destination's prefix (0 if none).
    pub(crate) npaths: u32,
    /// Path changes of this connection (the first path not counted).
    pub(crate) moves: u32,
    /// Failover signals (RTOs, duplicates) since the last progress or move.
    pub(crate) retrans: u32,
}

impl ConnInfo {
    /// Encodes the full structure into `out` (which must hold
    /// [`CONN_INFO_LEN`] bytes).
    pub(crate) fn encode(&self, out: &mut [u8; CONN_INFO_LEN]) {
        let mut w = Writer::new(out);
        // Cannot fail: exactly CONN_INFO_LEN bytes are written.
        let _ = (|| {
            w.put_u32(CONN_INFO_VERSION)?;
            w.put_u32(self.flags)?;
            w.put_u32(self.ca_state)?;
            w.put_u32(self.snd_cwnd)?;
            w.put_u32(self.snd_ssthresh)?;
            w.put_u32(self.srtt_us)?;
            w.put_u32(self.loss_events)?;
            w.put_u32(self.cong_avoid_calls)?;
            w.put_u64(self.age_ns)?;
            w.put_u32(self.path)?;
            w.put_u32(self.npaths)?;
            w.put_u32(self.moves)?;
            w.put_u32(self.retrans)
        })();
    }

    /// Decodes a (possibly shortened) structure; missing fields read as 0.
    #[allow(dead_code)] // Used by the host tests, not by the module.
    pub(crate) fn decode(buf: &[u8]) -> Option<(u32, Self)> {
        let version = get_u32(buf, 0)?;
        let f = |at| get_u32(buf, at).unwrap_or(0);
        Some((
            version,
            Self {
                flags: f(4),
                ca_state: f(8),
                snd_cwnd: f(12),
                snd_ssthresh: f(16),
                srtt_us: f(20),
                loss_events: f(24),
                cong_avoid_calls: f(28),
                age_ns: get_u64(buf, 32).unwrap_or(0),
                path: f(40),
                npaths: f(44),
                moves: f(48),
                retrans: f(52),
            },
        ))
    }
}
