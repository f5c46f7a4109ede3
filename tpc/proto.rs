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
/// Version of the [`ConnInfo`] layout.
pub(crate) const CONN_INFO_VERSION: u32 = 1;
/// [`ConnInfo::flags`] bit: the per-socket state exists.
pub(crate) const CONN_F_INITIALIZED: u32 = 1;
/// Encoded size of [`ConnInfo`].
pub(crate) const CONN_INFO_LEN: usize = 40;

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
    /// Reply to [`MsgType::Hello`].
    HelloReply = 0x8001,
    /// Reply to [`MsgType::GetCounters`].
    Counters = 0x8002,
    /// Reply to [`MsgType::GetKnobs`].
    Knobs = 0x8003,
}

impl MsgType {
    /// Maps a raw type to a known message type.
    pub(crate) fn from_raw(raw: u16) -> Option<Self> {
        Some(match raw {
            0x0001 => Self::Hello,
            0x0002 => Self::GetCounters,
            0x0003 => Self::GetKnobs,
            0x8001 => Self::HelloReply,
            0x8002 => Self::Counters,
            0x8003 => Self::Knobs,
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
pub(crate) enum Request {
    /// Version negotiation; the requester speaks `min..=max`.
    Hello {
        /// Oldest version the requester speaks.
        min: u32,
        /// Newest version the requester speaks.
        max: u32,
    },
    /// Counter query.
    GetCounters,
    /// Tunables query.
    GetKnobs,
}

/// Decodes one request message. Returns the header and the request.
pub(crate) fn decode_request(buf: &[u8]) -> Result<(Header, Request), ProtoError> {
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
        MsgType::GetCounters | MsgType::GetKnobs => {
            if !body.is_empty() {
                return Err(ProtoError::BadBody);
            }
            if ty == MsgType::GetCounters {
                Request::GetCounters
            } else {
                Request::GetKnobs
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
    if entries.len() > MAX_COUNTERS {
        return Err(ProtoError::NoSpace);
    }
    encode_msg(out, MsgType::Counters, seq, |w| {
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
    /// Knobs reply; iterate with [`Entries::knobs`].
    Knobs(Entries<'a>),
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
        Some(MsgType::Knobs) if body.len() >= LIST_HDR_LEN => Reply::Knobs(list(KNOB_ENTRY_LEN)?),
        Some(MsgType::Counters | MsgType::Knobs) => return Err(ProtoError::BadBody),
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
            w.put_u64(self.age_ns)
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
            },
        ))
    }
}
