// SPDX-License-Identifier: GPL-2.0

//! The CCP wire protocol that `/dev/ccpkp` speaks with the portus agent
//! (libccp framing, little-endian; `ccp-wire-protocol.md` §2).
//!
//! Pure logic, shared by the module and the host tests: encoders for the
//! datapath's messages (READY, CREATE, MEASURE and CLOSE) and for the
//! agent's (INSTALL, UPDATE_FIELDS, CHANGE_PROG; used by tests and tools),
//! and the decoder of one agent message, which checks the framing
//! completely so that nothing after it needs to.
//!
//! Every message starts with an 8-byte header: `u16 type`, `u16 len` (the
//! whole message, header included), `u32 sid` (the flow; 0 for READY and
//! INSTALL).

/// Header length.
pub(crate) const HDR_LEN: usize = 8;

/// Largest message an agent may write: an INSTALL of 256 events and 256
/// instructions.
pub(crate) const MAX_AGENT_MSG: usize = 20 + 16 * MAX_EVENTS + 16 * MAX_INSTRS;

/// Most events in a program.
pub(crate) const MAX_EVENTS: usize = 256;
/// Most instructions in a program.
pub(crate) const MAX_INSTRS: usize = 256;
/// Most updates in one UPDATE_FIELDS or CHANGE_PROG (libccp's
/// `MAX_MUTABLE_REG`).
pub(crate) const MAX_UPDATES: usize = 222;

/// Size of CREATE's algorithm-name field (NUL-terminated).
pub(crate) const ALG_LEN: usize = 64;
/// Length of a CREATE.
pub(crate) const CREATE_LEN: usize = 96;
/// Length of a READY.
pub(crate) const READY_LEN: usize = 12;
/// Length of a MEASURE without fields (a CLOSE).
pub(crate) const MEASURE_HDR_LEN: usize = 16;
/// Length of an INSTALL without events and instructions.
pub(crate) const INSTALL_HDR_LEN: usize = 20;
/// Length of an UPDATE_FIELDS without updates.
pub(crate) const UPDATE_HDR_LEN: usize = 12;
/// Length of a CHANGE_PROG without updates.
pub(crate) const CHANGE_PROG_HDR_LEN: usize = 16;
/// Length of one update record (packed).
pub(crate) const UPDATE_REC_LEN: usize = 13;
/// Length of one event record.
pub(crate) const EVENT_LEN: usize = 16;
/// Length of one instruction record.
pub(crate) const INSTR_LEN: usize = 16;
/// Most fields in a MEASURE (Report registers).
pub(crate) const MAX_FIELDS: usize = 110;
/// Longest message the datapath sends (a MEASURE of 110 fields).
pub(crate) const MAX_DP_MSG: usize = MEASURE_HDR_LEN + 8 * MAX_FIELDS;

/// Type of the ECHO extension (neither libccp nor portus use it; portus
/// ignores unknown types).
pub(crate) const ECHO: u16 = 0xfe;

/// Message types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub(crate) enum MsgType {
    /// A new flow (datapath -> agent).
    Create = 0,
    /// A report, or with no fields a flow's end (datapath -> agent).
    Measure = 1,
    /// A program (agent -> datapath).
    Install = 2,
    /// Register updates for a flow (agent -> datapath).
    UpdateFields = 3,
    /// A flow's new program, with updates (agent -> datapath).
    ChangeProg = 4,
    /// The datapath is there (datapath -> agent).
    Ready = 5,
}

/// Why an agent message was refused.
///
/// [`WireError::is_framing`] errors are returned by `write()`; the others
/// are well-framed messages with bad content, which the device logs,
/// counts and acknowledges (portus treats a write error as fatal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireError {
    /// Shorter than a header.
    TooShort,
    /// Longer than [`MAX_AGENT_MSG`].
    TooLong,
    /// The header's length is not the number of bytes written.
    LengthMismatch,
    /// A datapath-to-agent type (CREATE, MEASURE, READY) from the agent.
    WrongDirection,
    /// The body is shorter than the type's fixed part.
    Truncated,
    /// UPDATE_FIELDS/CHANGE_PROG: the count disagrees with the length.
    CountMismatch,
    /// INSTALL: the event or instruction count is 0 or above 256.
    ProgramSize,
    /// INSTALL: the length is not 20 + 16 E + 16 I.
    ProgramLength,
    /// More than [`MAX_UPDATES`] updates.
    TooManyUpdates,
    /// ECHO: longer than [`MAX_DP_MSG`] (its answer would not fit the
    /// buffer a datapath message may need).
    EchoTooLong,
    /// Encoding: the output buffer is too small.
    NoSpace,
    /// Encoding: a MEASURE needs at least one field (no fields is CLOSE).
    NoFields,
    /// Encoding: more than [`MAX_FIELDS`] fields, events, instructions or
    /// updates than the protocol allows.
    TooMany,
}

impl WireError {
    /// Whether `write()` fails with this error (the message was not one
    /// well-framed message), rather than acknowledging it.
    pub(crate) fn is_framing(self) -> bool {
        matches!(
            self,
            Self::TooShort
                | Self::TooLong
                | Self::LengthMismatch
                | Self::Truncated
                | Self::CountMismatch
                | Self::EchoTooLong
        )
    }

    /// A short description for logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::TooShort => "shorter than a header",
            Self::TooLong => "longer than the largest agent message (8212 bytes)",
            Self::LengthMismatch => "header length differs from the bytes written",
            Self::WrongDirection => "a datapath message type sent by the agent",
            Self::Truncated => "body shorter than its fixed fields",
            Self::CountMismatch => "update count disagrees with the length",
            Self::ProgramSize => "event or instruction count not in 1..=256",
            Self::ProgramLength => "program length is not 20 + 16 E + 16 I",
            Self::TooManyUpdates => "more than 222 updates",
            Self::EchoTooLong => "an ECHO longer than the largest datapath message (896 bytes)",
            Self::NoSpace => "no space",
            Self::NoFields => "a report without fields",
            Self::TooMany => "too many items",
        }
    }
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    let mut a = [0u8; 2];
    if let Some(s) = b.get(off..off + 2) {
        a.copy_from_slice(s);
    }
    u16::from_le_bytes(a)
}

/// The little-endian `u32` at `off` (0 past the end: callers check
/// lengths first).
pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(off..off + 4) {
        a.copy_from_slice(s);
    }
    u32::from_le_bytes(a)
}

/// The little-endian `u64` at `off` (0 past the end).
pub(crate) fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    if let Some(s) = b.get(off..off + 8) {
        a.copy_from_slice(s);
    }
    u64::from_le_bytes(a)
}

/// A message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Message type (portus reads only the low byte).
    pub(crate) ty: u16,
    /// Whole length.
    pub(crate) len: u16,
    /// Flow.
    pub(crate) sid: u32,
}

impl Header {
    /// Parses the header at the start of `b`.
    pub(crate) fn parse(b: &[u8]) -> Result<Self, WireError> {
        if b.len() < HDR_LEN {
            return Err(WireError::TooShort);
        }
        Ok(Self {
            ty: u16_at(b, 0),
            len: u16_at(b, 2),
            sid: u32_at(b, 4),
        })
    }

    fn write(&self, out: &mut [u8]) {
        out[0..2].copy_from_slice(&self.ty.to_le_bytes());
        out[2..4].copy_from_slice(&self.len.to_le_bytes());
        out[4..8].copy_from_slice(&self.sid.to_le_bytes());
    }
}

/// Writes a header for a message of `len` bytes into `out` (checked to
/// hold it) and returns the message area.
fn start(out: &mut [u8], ty: MsgType, len: usize, sid: u32) -> Result<&mut [u8], WireError> {
    let len16 = u16::try_from(len).map_err(|_| WireError::TooMany)?;
    let m = out.get_mut(..len).ok_or(WireError::NoSpace)?;
    m.fill(0);
    Header {
        ty: ty as u16,
        len: len16,
        sid,
    }
    .write(m);
    Ok(m)
}

fn put_u32(m: &mut [u8], off: usize, v: u32) {
    m[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(m: &mut [u8], off: usize, v: u64) {
    m[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

// ---- Datapath -> agent -------------------------------------------------

/// READY with datapath id `id`; returns the length.
pub(crate) fn encode_ready(out: &mut [u8], id: u32) -> Result<usize, WireError> {
    let m = start(out, MsgType::Ready, READY_LEN, 0)?;
    put_u32(m, 8, id);
    Ok(READY_LEN)
}

/// The fields of a CREATE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Create<'a> {
    /// Flow id (at least 1).
    pub(crate) sid: u32,
    /// Initial window, bytes.
    pub(crate) init_cwnd: u32,
    /// Maximum segment size, bytes.
    pub(crate) mss: u32,
    /// Local address (IPv4, or an IPv6 address's last 4 bytes), as stored
    /// in the socket (network order).
    pub(crate) src_ip: u32,
    /// Local port, as stored (network order).
    pub(crate) src_port: u32,
    /// Remote address, as `src_ip`.
    pub(crate) dst_ip: u32,
    /// Remote port, as stored.
    pub(crate) dst_port: u32,
    /// Algorithm name for the agent: at most 63 bytes are sent, always
    /// NUL-terminated (empty: the agent's default).
    pub(crate) alg: &'a [u8],
}

/// CREATE; returns the length.
pub(crate) fn encode_create(out: &mut [u8], c: &Create<'_>) -> Result<usize, WireError> {
    let m = start(out, MsgType::Create, CREATE_LEN, c.sid)?;
    for (i, v) in [
        c.init_cwnd,
        c.mss,
        c.src_ip,
        c.src_port,
        c.dst_ip,
        c.dst_port,
    ]
    .into_iter()
    .enumerate()
    {
        put_u32(m, 8 + 4 * i, v);
    }
    // Up to the first NUL, and at most ALG_LEN - 1 bytes: the last byte
    // of the field stays 0 (portus panics without a NUL).
    let name = c.alg.split(|&b| b == 0).next().unwrap_or(&[]);
    let n = name.len().min(ALG_LEN - 1);
    m[32..32 + n].copy_from_slice(&name[..n]);
    Ok(CREATE_LEN)
}

/// MEASURE of `fields` (Report registers 0..n) by program `uid`; returns
/// the length. At least one field: a MEASURE without fields means CLOSE.
pub(crate) fn encode_measure(
    out: &mut [u8],
    sid: u32,
    uid: u32,
    fields: &[u64],
) -> Result<usize, WireError> {
    if fields.is_empty() {
        return Err(WireError::NoFields);
    }
    if fields.len() > MAX_FIELDS {
        return Err(WireError::TooMany);
    }
    let len = MEASURE_HDR_LEN + 8 * fields.len();
    let m = start(out, MsgType::Measure, len, sid)?;
    put_u32(m, 8, uid);
    put_u32(m, 12, fields.len() as u32);
    for (i, f) in fields.iter().enumerate() {
        put_u64(m, MEASURE_HDR_LEN + 8 * i, *f);
    }
    Ok(len)
}

/// CLOSE of flow `sid` (a MEASURE of uid 0 and no fields); returns the
/// length.
pub(crate) fn encode_close(out: &mut [u8], sid: u32) -> Result<usize, WireError> {
    start(out, MsgType::Measure, MEASURE_HDR_LEN, sid)?;
    Ok(MEASURE_HDR_LEN)
}

// ---- Agent -> datapath -------------------------------------------------

/// One register update (13 packed bytes on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UpdateField {
    /// Register type (`vm::RegType` raw value).
    pub(crate) reg_type: u8,
    /// Register index.
    pub(crate) index: u32,
    /// New value.
    pub(crate) value: u64,
}

impl UpdateField {
    fn parse(b: &[u8]) -> Self {
        Self {
            reg_type: b.first().copied().unwrap_or(0),
            index: u32_at(b, 1),
            value: u64_at(b, 5),
        }
    }

    fn write(&self, out: &mut [u8]) {
        out[0] = self.reg_type;
        out[1..5].copy_from_slice(&self.index.to_le_bytes());
        out[5..13].copy_from_slice(&self.value.to_le_bytes());
    }
}

/// The update records of a decoded message (framing already checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Updates<'a>(&'a [u8]);

impl<'a> Updates<'a> {
    /// Number of updates.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn len(&self) -> usize {
        self.0.len() / UPDATE_REC_LEN
    }

    /// Whether there are none.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The updates, in message order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = UpdateField> + 'a {
        self.0.chunks_exact(UPDATE_REC_LEN).map(UpdateField::parse)
    }
}

/// A program as sent: its uid and the raw event and instruction records
/// (the VM verifies them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Install<'a> {
    /// Program uid.
    pub(crate) uid: u32,
    /// `16 * E` bytes of event records.
    pub(crate) events: &'a [u8],
    /// `16 * I` bytes of instruction records.
    pub(crate) instrs: &'a [u8],
}

impl Install<'_> {
    /// Number of events.
    pub(crate) fn num_events(&self) -> usize {
        self.events.len() / EVENT_LEN
    }

    /// Number of instructions.
    pub(crate) fn num_instrs(&self) -> usize {
        self.instrs.len() / INSTR_LEN
    }
}

/// One decoded agent message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AgentMsg<'a> {
    /// INSTALL_EXPR (its sid is ignored).
    Install(Install<'a>),
    /// UPDATE_FIELDS for flow `sid`.
    UpdateFields {
        /// Flow.
        sid: u32,
        /// The updates.
        updates: Updates<'a>,
    },
    /// CHANGE_PROG of flow `sid` to program `uid`, then `updates`.
    ChangeProg {
        /// Flow.
        sid: u32,
        /// Program uid.
        uid: u32,
        /// The updates.
        updates: Updates<'a>,
    },
    /// ECHO (this datapath's extension, type [`ECHO`]): the datapath
    /// queues the same bytes back, for measuring the device's round trip.
    Echo(&'a [u8]),
    /// A type this datapath does not know (valid framing; ignored).
    Unknown {
        /// The type.
        ty: u16,
    },
}

/// Decodes the one message `b` (all the bytes of one `write()`).
pub(crate) fn decode_agent(b: &[u8]) -> Result<AgentMsg<'_>, WireError> {
    if b.len() > MAX_AGENT_MSG {
        return Err(WireError::TooLong);
    }
    let h = Header::parse(b)?;
    if usize::from(h.len) != b.len() {
        return Err(WireError::LengthMismatch);
    }
    let updates = |fixed: usize, count_off: usize| -> Result<Updates<'_>, WireError> {
        if b.len() < fixed {
            return Err(WireError::Truncated);
        }
        let n = u32_at(b, count_off) as usize;
        let rest = b.len() - fixed;
        if rest % UPDATE_REC_LEN != 0 || rest / UPDATE_REC_LEN != n {
            return Err(WireError::CountMismatch);
        }
        if n > MAX_UPDATES {
            return Err(WireError::TooManyUpdates);
        }
        Ok(Updates(&b[fixed..]))
    };
    match h.ty {
        t if t == MsgType::Install as u16 => {
            if b.len() < INSTALL_HDR_LEN {
                return Err(WireError::Truncated);
            }
            let (ne, ni) = (u32_at(b, 12) as usize, u32_at(b, 16) as usize);
            if !(1..=MAX_EVENTS).contains(&ne) || !(1..=MAX_INSTRS).contains(&ni) {
                return Err(WireError::ProgramSize);
            }
            let ev_end = INSTALL_HDR_LEN + EVENT_LEN * ne;
            if b.len() != ev_end + INSTR_LEN * ni {
                return Err(WireError::ProgramLength);
            }
            Ok(AgentMsg::Install(Install {
                uid: u32_at(b, 8),
                events: &b[INSTALL_HDR_LEN..ev_end],
                instrs: &b[ev_end..],
            }))
        }
        t if t == MsgType::UpdateFields as u16 => Ok(AgentMsg::UpdateFields {
            sid: h.sid,
            updates: updates(UPDATE_HDR_LEN, 8)?,
        }),
        t if t == MsgType::ChangeProg as u16 => Ok(AgentMsg::ChangeProg {
            sid: h.sid,
            uid: u32_at(b, 8),
            updates: updates(CHANGE_PROG_HDR_LEN, 12)?,
        }),
        t if t == MsgType::Create as u16
            || t == MsgType::Measure as u16
            || t == MsgType::Ready as u16 =>
        {
            Err(WireError::WrongDirection)
        }
        ECHO if b.len() > MAX_DP_MSG => Err(WireError::EchoTooLong),
        ECHO => Ok(AgentMsg::Echo(b)),
        ty => Ok(AgentMsg::Unknown { ty }),
    }
}

/// INSTALL of `events` and `instrs` (raw records) as program `uid`;
/// returns the length (tests and tools).
#[allow(dead_code)] // Used by the host tests and tools.
pub(crate) fn encode_install(out: &mut [u8], i: &Install<'_>) -> Result<usize, WireError> {
    let (ne, ni) = (i.num_events(), i.num_instrs());
    if ne > MAX_EVENTS || ni > MAX_INSTRS {
        return Err(WireError::TooMany);
    }
    let len = INSTALL_HDR_LEN + i.events.len() + i.instrs.len();
    let m = start(out, MsgType::Install, len, 0)?;
    put_u32(m, 8, i.uid);
    put_u32(m, 12, ne as u32);
    put_u32(m, 16, ni as u32);
    m[INSTALL_HDR_LEN..INSTALL_HDR_LEN + i.events.len()].copy_from_slice(i.events);
    m[INSTALL_HDR_LEN + i.events.len()..].copy_from_slice(i.instrs);
    Ok(len)
}

fn encode_updates(
    out: &mut [u8],
    ty: MsgType,
    sid: u32,
    uid: Option<u32>,
    ups: &[UpdateField],
) -> Result<usize, WireError> {
    if ups.len() > MAX_UPDATES {
        return Err(WireError::TooMany);
    }
    let fixed = if uid.is_some() {
        CHANGE_PROG_HDR_LEN
    } else {
        UPDATE_HDR_LEN
    };
    let len = fixed + UPDATE_REC_LEN * ups.len();
    let m = start(out, ty, len, sid)?;
    if let Some(uid) = uid {
        put_u32(m, 8, uid);
    }
    put_u32(m, fixed - 4, ups.len() as u32);
    for (k, u) in ups.iter().enumerate() {
        u.write(&mut m[fixed + UPDATE_REC_LEN * k..fixed + UPDATE_REC_LEN * (k + 1)]);
    }
    Ok(len)
}

/// UPDATE_FIELDS for flow `sid`; returns the length (tests and tools).
#[allow(dead_code)] // Used by the host tests and tools.
pub(crate) fn encode_update_fields(
    out: &mut [u8],
    sid: u32,
    ups: &[UpdateField],
) -> Result<usize, WireError> {
    encode_updates(out, MsgType::UpdateFields, sid, None, ups)
}

/// CHANGE_PROG of flow `sid` to `uid`; returns the length (tests and
/// tools).
#[allow(dead_code)] // Used by the host tests and tools.
pub(crate) fn encode_change_prog(
    out: &mut [u8],
    sid: u32,
    uid: u32,
    ups: &[UpdateField],
) -> Result<usize, WireError> {
    encode_updates(out, MsgType::ChangeProg, sid, Some(uid), ups)
}
