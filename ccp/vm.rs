// SPDX-License-Identifier: GPL-2.0

//! CCP datapath programs: the verifier (at INSTALL) and the interpreter
//! (per ACK and per timeout), bit-compatible with libccp where the
//! protocol notes say so (`ccp-wire-protocol.md` §3-§5).
//!
//! Pure logic, shared by the module and the host tests.
//!
//! # Safety by construction
//!
//! [`Program::verify`] checks every opcode, register type and index, every
//! event range and the DEF prefix when the program arrives, so the
//! interpreter needs no bounds checks that could fail (it still uses
//! checked accesses, which the verifier makes infallible). A program cannot
//! loop: each event runs its flag instructions and maybe its body once, in
//! order, and the total over all events is at most [`MAX_STEPS`].
//! Arithmetic never wraps silently: ADD and MUL overflow, SUB below zero,
//! DIV by zero and an EWMA weight above 10 abort the invocation
//! ([`Abort`]); register writes made before the abort stay (libccp
//! semantics), nothing is enforced or reported.

use crate::ccp_wire::{u32_at, Install, UpdateField, EVENT_LEN, INSTR_LEN};

/// Control registers.
pub(crate) const NUM_CONTROL: usize = 110;
/// Report registers.
pub(crate) const NUM_REPORT: usize = 110;
/// Local registers.
pub(crate) const NUM_LOCAL: usize = 8;
/// Temporary registers (libccp has 8, portus uses up to 16).
pub(crate) const NUM_TMP: usize = 16;
/// Implicit registers.
pub(crate) const NUM_IMPLICIT: usize = 6;
/// Defined primitives (higher indices read 0).
pub(crate) const NUM_PRIMS: usize = 15;
/// Most instructions one invocation may execute (sum over the events of
/// their flag and body lengths), checked at INSTALL.
pub(crate) const MAX_STEPS: usize = 4096;

/// "+infinity": portus sends `u64::MAX` as this `u32`, and an RTT sample
/// of 0 reads as it.
pub(crate) const INFINITY: u64 = 0xFFFF_FFFF;
/// A DEF of exactly this value defines [`INFINITY`] (libccp quirk).
const DEF_INFINITY_QUIRK: u64 = 0x3FFF_FFFF;

/// Implicit register: the event's flag.
pub(crate) const IMPL_EVENT_FLAG: usize = 0;
/// Implicit register: `(fallthrough)`.
pub(crate) const IMPL_CONTINUE: usize = 1;
/// Implicit register: `(report)`.
pub(crate) const IMPL_REPORT: usize = 2;
/// Implicit register: microseconds since the flow's time zero.
pub(crate) const IMPL_MICROS: usize = 3;
/// Implicit register: congestion window, bytes.
pub(crate) const IMPL_CWND: usize = 4;
/// Implicit register: pacing rate, bytes/s.
pub(crate) const IMPL_RATE: usize = 5;

/// Primitive: RTT sample, µs.
pub(crate) const PRIM_RTT_SAMPLE_US: usize = 13;

/// Opcodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Op {
    Add = 0,
    Bind = 1,
    Def = 2,
    Div = 3,
    Equiv = 4,
    Ewma = 5,
    Gt = 6,
    If = 7,
    Lt = 8,
    Max = 9,
    MaxWrap = 10,
    Min = 11,
    Mul = 12,
    NotIf = 13,
    Sub = 14,
}

impl Op {
    fn from_raw(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::Add,
            1 => Self::Bind,
            2 => Self::Def,
            3 => Self::Div,
            4 => Self::Equiv,
            5 => Self::Ewma,
            6 => Self::Gt,
            7 => Self::If,
            8 => Self::Lt,
            9 => Self::Max,
            10 => Self::MaxWrap,
            11 => Self::Min,
            12 => Self::Mul,
            13 => Self::NotIf,
            14 => Self::Sub,
            _ => return None,
        })
    }
}

/// Register types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum RegType {
    /// Control, kept across reports.
    Control = 0,
    /// The operand is the value itself.
    Immediate = 1,
    /// Implicit (flags, Micros, Cwnd, Rate).
    Implicit = 2,
    /// Local, never reset.
    Local = 3,
    /// A measurement (read-only).
    Primitive = 4,
    /// Report, reset after each report.
    VolatileReport = 5,
    /// Report, kept across reports.
    Report = 6,
    /// Scratch, never reset.
    Tmp = 7,
    /// Control, reset after each report.
    VolatileControl = 8,
}

impl RegType {
    /// The type of raw value `v`.
    pub(crate) fn from_raw(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::Control,
            1 => Self::Immediate,
            2 => Self::Implicit,
            3 => Self::Local,
            4 => Self::Primitive,
            5 => Self::VolatileReport,
            6 => Self::Report,
            7 => Self::Tmp,
            8 => Self::VolatileControl,
            _ => return None,
        })
    }

    /// Number of registers of the type (`None`: any index or value).
    fn count(self) -> Option<usize> {
        match self {
            Self::Control | Self::VolatileControl => Some(NUM_CONTROL),
            Self::VolatileReport | Self::Report => Some(NUM_REPORT),
            Self::Local => Some(NUM_LOCAL),
            Self::Tmp => Some(NUM_TMP),
            Self::Implicit => Some(NUM_IMPLICIT),
            Self::Immediate | Self::Primitive => None,
        }
    }

    fn writable(self) -> bool {
        !matches!(self, Self::Immediate | Self::Primitive)
    }
}

/// A register operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reg {
    /// Type.
    pub(crate) ty: RegType,
    /// Index, or the value of an immediate.
    pub(crate) idx: u32,
}

/// One decoded instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Instr {
    /// Opcode.
    pub(crate) op: Op,
    /// Result register.
    pub(crate) res: Reg,
    /// Left operand.
    pub(crate) left: Reg,
    /// Right operand.
    pub(crate) right: Reg,
}

/// Why a program was refused at INSTALL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VerifyError {
    /// Opcode 15 or above (at instruction `.0`).
    Opcode(usize),
    /// Unknown register type.
    RegType(usize),
    /// Register index out of range for its type.
    RegIndex(usize),
    /// The result register is an immediate or a primitive.
    ResultReadOnly(usize),
    /// A DEF of the prefix does not define a Report or Control register.
    DefTarget(usize),
    /// An event's flag or body range leaves the program (event `.0`).
    EventRange(usize),
    /// The events would execute more than [`MAX_STEPS`] instructions.
    TooManySteps,
}

impl VerifyError {
    /// A short description for logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Opcode(_) => "unknown opcode",
            Self::RegType(_) => "unknown register type",
            Self::RegIndex(_) => "register index out of range",
            Self::ResultReadOnly(_) => "result register is an immediate or a primitive",
            Self::DefTarget(_) => "DEF of a register that is neither Report nor Control",
            Self::EventRange(_) => "event range outside the program",
            Self::TooManySteps => "events execute more than 4096 instructions",
        }
    }

    /// The instruction or event concerned.
    pub(crate) fn position(self) -> usize {
        match self {
            Self::Opcode(i)
            | Self::RegType(i)
            | Self::RegIndex(i)
            | Self::ResultReadOnly(i)
            | Self::DefTarget(i)
            | Self::EventRange(i) => i,
            Self::TooManySteps => 0,
        }
    }
}

fn decode_reg(ty: u8, idx: u32, at: usize) -> Result<Reg, VerifyError> {
    let ty = RegType::from_raw(ty).ok_or(VerifyError::RegType(at))?;
    if let Some(n) = ty.count() {
        if idx as usize >= n {
            return Err(VerifyError::RegIndex(at));
        }
    }
    Ok(Reg { ty, idx })
}

/// Decodes and checks instruction record `b` (16 bytes), number `at`.
fn decode_instr(b: &[u8], at: usize) -> Result<Instr, VerifyError> {
    let byte = |i: usize| b.get(i).copied().unwrap_or(u8::MAX);
    let op = Op::from_raw(byte(0)).ok_or(VerifyError::Opcode(at))?;
    let res = decode_reg(byte(1), u32_at(b, 2), at)?;
    let left = decode_reg(byte(6), u32_at(b, 7), at)?;
    let right = decode_reg(byte(11), u32_at(b, 12), at)?;
    if !res.ty.writable() {
        return Err(VerifyError::ResultReadOnly(at));
    }
    Ok(Instr {
        op,
        res,
        left,
        right,
    })
}

/// One event: instruction ranges of its flag and body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    /// First flag instruction.
    pub(crate) flag: usize,
    /// Number of flag instructions.
    pub(crate) nflag: usize,
    /// First body instruction.
    pub(crate) body: usize,
    /// Number of body instructions.
    pub(crate) nbody: usize,
}

impl Event {
    fn decode(b: &[u8]) -> Self {
        Self {
            flag: u32_at(b, 0) as usize,
            nflag: u32_at(b, 4) as usize,
            body: u32_at(b, 8) as usize,
            nbody: u32_at(b, 12) as usize,
        }
    }
}

/// A verified program. `B` holds its event records then its instruction
/// records (the INSTALL body after the counts), as received.
pub(crate) struct Program<B> {
    uid: u32,
    bytes: B,
    nevents: usize,
    #[allow(dead_code)] // Read by `len` (host tests).
    ninstrs: usize,
    /// Instructions `0..defs` are the DEF prefix.
    defs: usize,
    /// Report registers sent in a MEASURE: one past the highest DEF'd.
    nreport: usize,
}

impl<B: AsRef<[u8]>> Program<B> {
    /// Checks `install` completely. On success, `store` gets the bytes to
    /// keep (events then instructions) and returns the storage (`None`:
    /// out of memory, reported as `Ok(None)`).
    pub(crate) fn verify(
        install: &Install<'_>,
        store: impl FnOnce(&[u8], &[u8]) -> Option<B>,
    ) -> Result<Option<Self>, VerifyError> {
        let ninstrs = install.num_instrs();
        let nevents = install.num_events();
        let mut defs = ninstrs;
        let mut nreport = 0;
        for (i, rec) in install.instrs.chunks_exact(INSTR_LEN).enumerate() {
            let ins = decode_instr(rec, i)?;
            if defs == ninstrs && ins.op != Op::Def {
                defs = i;
            }
            if i < defs {
                match ins.res.ty {
                    RegType::VolatileReport | RegType::Report => {
                        nreport = nreport.max(ins.res.idx as usize + 1);
                    }
                    RegType::Control | RegType::VolatileControl => {}
                    _ => return Err(VerifyError::DefTarget(i)),
                }
            }
        }
        let mut steps = 0usize;
        for (e, rec) in install.events.chunks_exact(EVENT_LEN).enumerate() {
            let ev = Event::decode(rec);
            let inside =
                |start: usize, n: usize| start.checked_add(n).is_some_and(|end| end <= ninstrs);
            if !inside(ev.flag, ev.nflag) || !inside(ev.body, ev.nbody) {
                return Err(VerifyError::EventRange(e));
            }
            steps += ev.nflag + ev.nbody;
            if steps > MAX_STEPS {
                return Err(VerifyError::TooManySteps);
            }
        }
        Ok(store(install.events, install.instrs).map(|bytes| Self {
            uid: install.uid,
            bytes,
            nevents,
            ninstrs,
            defs,
            nreport,
        }))
    }

    /// The program's uid.
    pub(crate) fn uid(&self) -> u32 {
        self.uid
    }

    /// Number of Report registers a MEASURE carries.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn nreport(&self) -> usize {
        self.nreport
    }

    /// Number of instructions.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn len(&self) -> usize {
        self.ninstrs
    }

    /// Number of events.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn nevents(&self) -> usize {
        self.nevents
    }

    /// Bytes of program storage.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn size(&self) -> usize {
        self.bytes.as_ref().len()
    }

    fn event(&self, e: usize) -> Event {
        let b = self.bytes.as_ref();
        Event::decode(b.get(EVENT_LEN * e..EVENT_LEN * (e + 1)).unwrap_or(&[]))
    }

    /// Instruction `i` (verified, so decoding cannot fail; a failure would
    /// abort the invocation).
    pub(crate) fn instr(&self, i: usize) -> Option<Instr> {
        let off = EVENT_LEN * self.nevents + INSTR_LEN * i;
        let rec = self.bytes.as_ref().get(off..off + INSTR_LEN)?;
        decode_instr(rec, i).ok()
    }

    /// The DEF prefix: (register, initial value).
    fn defs(&self) -> impl Iterator<Item = (Reg, u64)> + '_ {
        (0..self.defs).filter_map(|i| {
            let ins = self.instr(i)?;
            let v = match u64::from(ins.right.idx) {
                DEF_INFINITY_QUIRK => INFINITY,
                v => v,
            };
            Some((ins.res, v))
        })
    }
}

/// Why an invocation stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Abort {
    /// ADD overflowed 64 bits.
    AddOverflow,
    /// SUB would go below zero.
    SubUnderflow,
    /// MUL overflowed 64 bits.
    MulOverflow,
    /// DIV by zero.
    DivZero,
    /// EWMA weight above 10.
    EwmaWeight,
    /// An instruction could not be read (cannot happen after verification).
    Internal,
}

/// Number of [`Abort`] kinds.
pub(crate) const ABORT_KINDS: usize = 6;

impl Abort {
    /// Index for per-kind counters.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Name for logs and statistics.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::AddOverflow => "add_overflow",
            Self::SubUnderflow => "sub_underflow",
            Self::MulOverflow => "mul_overflow",
            Self::DivZero => "div_zero",
            Self::EwmaWeight => "ewma_weight",
            Self::Internal => "internal",
        }
    }
}

/// The primitives of one invocation (index = primitive number).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Prims(pub(crate) [u64; NUM_PRIMS]);

/// What an invocation asks the datapath to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Set the window to this many bytes.
    pub(crate) cwnd: Option<u64>,
    /// Set the pacing rate to this many bytes/s.
    pub(crate) rate: Option<u64>,
    /// Send a MEASURE of the Report registers, then reset the volatile
    /// ones ([`Machine::after_report`]).
    pub(crate) report: bool,
}

/// What a staged field update asks the datapath to do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UpdateEffect {
    /// A register changed; nothing to enforce.
    Register,
    /// Set the window (bytes).
    Cwnd(u64),
    /// Set the pacing rate (bytes/s).
    Rate(u64),
    /// Not a valid target (dropped; libccp ignores other implicit indices
    /// silently, we count them).
    Ignored,
}

/// Whether `u` is a target an agent may update: a Control register, or
/// the implicit Cwnd or Rate.
pub(crate) fn valid_update(u: &UpdateField) -> bool {
    match RegType::from_raw(u.reg_type) {
        Some(RegType::Control | RegType::VolatileControl) => (u.index as usize) < NUM_CONTROL,
        Some(RegType::Implicit) => matches!(u.index as usize, IMPL_CWND | IMPL_RATE),
        _ => false,
    }
}

/// The registers of one flow and its time zero.
#[derive(Clone)]
pub(crate) struct Machine {
    control: [u64; NUM_CONTROL],
    report: [u64; NUM_REPORT],
    local: [u64; NUM_LOCAL],
    tmp: [u64; NUM_TMP],
    implicit: [u64; NUM_IMPLICIT],
    /// `Micros` counts from here (µs on the caller's clock).
    time_zero_us: u64,
    /// The seed of `Rate` in this invocation.
    rate_seed: u64,
}

impl Default for Machine {
    fn default() -> Self {
        Self::new()
    }
}

impl Machine {
    /// All registers 0.
    pub(crate) const fn new() -> Self {
        Self {
            control: [0; NUM_CONTROL],
            report: [0; NUM_REPORT],
            local: [0; NUM_LOCAL],
            tmp: [0; NUM_TMP],
            implicit: [0; NUM_IMPLICIT],
            time_zero_us: 0,
            rate_seed: 0,
        }
    }

    /// Start of an invocation: `Cwnd` and `Rate` from the flow.
    pub(crate) fn seed(&mut self, cwnd_bytes: u64, rate: u64) {
        self.implicit[IMPL_CWND] = cwnd_bytes;
        self.implicit[IMPL_RATE] = rate;
        self.rate_seed = rate;
    }

    /// The flow switches to `p`: every DEF'd register gets its initial
    /// value and `Micros` restarts at `now_us`.
    pub(crate) fn change_program<B: AsRef<[u8]>>(&mut self, p: &Program<B>, now_us: u64) {
        for (r, v) in p.defs() {
            let _ = self.write(r, v, now_us);
        }
        self.time_zero_us = now_us;
        self.implicit[IMPL_MICROS] = 0;
    }

    /// A staged field update, in arrival order.
    pub(crate) fn apply_update(&mut self, u: &UpdateField, now_us: u64) -> UpdateEffect {
        if !valid_update(u) {
            return UpdateEffect::Ignored;
        }
        let idx = u.index as usize;
        match RegType::from_raw(u.reg_type) {
            Some(RegType::Implicit) => {
                self.implicit[idx] = u.value;
                if idx == IMPL_CWND {
                    UpdateEffect::Cwnd(u.value)
                } else {
                    UpdateEffect::Rate(u.value)
                }
            }
            Some(_) => {
                let _ = self.write(
                    Reg {
                        ty: RegType::Control,
                        idx: u.index,
                    },
                    u.value,
                    now_us,
                );
                UpdateEffect::Register
            }
            None => UpdateEffect::Ignored,
        }
    }

    fn read(&self, r: Reg, prims: &Prims) -> u64 {
        let i = r.idx as usize;
        let get = |a: &[u64]| a.get(i).copied().unwrap_or(0);
        match r.ty {
            RegType::Immediate => u64::from(r.idx),
            RegType::Control | RegType::VolatileControl => get(&self.control),
            RegType::VolatileReport | RegType::Report => get(&self.report),
            RegType::Local => get(&self.local),
            RegType::Tmp => get(&self.tmp),
            RegType::Implicit => get(&self.implicit),
            RegType::Primitive => match prims.0.get(i).copied().unwrap_or(0) {
                0 if i == PRIM_RTT_SAMPLE_US => INFINITY,
                v => v,
            },
        }
    }

    fn write(&mut self, r: Reg, v: u64, now_us: u64) -> Result<(), Abort> {
        let i = r.idx as usize;
        let slot = match r.ty {
            RegType::Control | RegType::VolatileControl => self.control.get_mut(i),
            RegType::VolatileReport | RegType::Report => self.report.get_mut(i),
            RegType::Local => self.local.get_mut(i),
            RegType::Tmp => self.tmp.get_mut(i),
            RegType::Implicit => {
                if i == IMPL_MICROS {
                    self.time_zero_us = now_us.saturating_sub(v);
                }
                self.implicit.get_mut(i)
            }
            RegType::Immediate | RegType::Primitive => None,
        };
        *slot.ok_or(Abort::Internal)? = v;
        Ok(())
    }

    fn exec(&mut self, ins: &Instr, prims: &Prims, now_us: u64) -> Result<(), Abort> {
        let l = self.read(ins.left, prims);
        let r = self.read(ins.right, prims);
        let v = match ins.op {
            Op::Add => l.checked_add(r).ok_or(Abort::AddOverflow)?,
            Op::Bind => r,
            Op::Def => return Ok(()),
            Op::Div => l.checked_div(r).ok_or(Abort::DivZero)?,
            Op::Equiv => u64::from(l == r),
            Op::Ewma => {
                // The weight is checked even for the first sample.
                if l > 10 {
                    return Err(Abort::EwmaWeight);
                }
                match self.read(ins.res, prims) {
                    0 => r,
                    old => ewma(l, old, r)?,
                }
            }
            Op::Gt => u64::from(l > r),
            Op::If => {
                if l == 0 {
                    return Ok(());
                }
                r
            }
            Op::Lt => u64::from(l < r),
            Op::Max => l.max(r),
            Op::MaxWrap => max_wrap(l, r),
            Op::Min => l.min(r),
            Op::Mul => l.checked_mul(r).ok_or(Abort::MulOverflow)?,
            Op::NotIf => {
                if l != 0 {
                    return Ok(());
                }
                r
            }
            Op::Sub => l.checked_sub(r).ok_or(Abort::SubUnderflow)?,
        };
        self.write(ins.res, v, now_us)
    }

    fn run_range<B: AsRef<[u8]>>(
        &mut self,
        p: &Program<B>,
        start: usize,
        n: usize,
        prims: &Prims,
        now_us: u64,
    ) -> Result<(), Abort> {
        for i in start..start.saturating_add(n) {
            let ins = p.instr(i).ok_or(Abort::Internal)?;
            self.exec(&ins, prims, now_us)?;
        }
        Ok(())
    }

    /// Runs `p`'s events once (after [`Machine::seed`] and any program
    /// change and updates): each event's flag, then its body if the flag
    /// is set; the first event whose flag is set stops the walk unless
    /// `(fallthrough)` was set by then (sticky for the whole invocation).
    pub(crate) fn invoke<B: AsRef<[u8]>>(
        &mut self,
        p: &Program<B>,
        prims: &Prims,
        now_us: u64,
    ) -> Result<Outcome, Abort> {
        self.implicit[IMPL_EVENT_FLAG] = 0;
        self.implicit[IMPL_CONTINUE] = 0;
        self.implicit[IMPL_REPORT] = 0;
        self.implicit[IMPL_MICROS] = now_us.saturating_sub(self.time_zero_us);
        for e in 0..p.nevents {
            let ev = p.event(e);
            self.run_range(p, ev.flag, ev.nflag, prims, now_us)?;
            if self.implicit[IMPL_EVENT_FLAG] != 0 {
                self.run_range(p, ev.body, ev.nbody, prims, now_us)?;
            }
            if self.implicit[IMPL_EVENT_FLAG] != 0 && self.implicit[IMPL_CONTINUE] == 0 {
                break;
            }
        }
        let cwnd = self.implicit[IMPL_CWND];
        let rate = self.implicit[IMPL_RATE];
        Ok(Outcome {
            cwnd: (cwnd > 0).then_some(cwnd),
            rate: (rate != 0 && rate != self.rate_seed).then_some(rate),
            report: self.implicit[IMPL_REPORT] != 0,
        })
    }

    /// The Report registers a MEASURE of `p` carries.
    pub(crate) fn report_fields<B: AsRef<[u8]>>(&self, p: &Program<B>) -> &[u64] {
        &self.report[..p.nreport.min(NUM_REPORT)]
    }

    /// After a report: volatile Report and Control registers go back to
    /// their DEF values.
    pub(crate) fn after_report<B: AsRef<[u8]>>(&mut self, p: &Program<B>, now_us: u64) {
        for (r, v) in p.defs() {
            if matches!(r.ty, RegType::VolatileReport | RegType::VolatileControl) {
                let _ = self.write(r, v, now_us);
            }
        }
    }

    /// Register value (tests and statistics).
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn get(&self, r: Reg) -> u64 {
        self.read(r, &Prims::default())
    }
}

/// `(w * old + (10 - w) * new) / 10`, exact for all u64 inputs (the
/// result lies between `old` and `new`); a weight above 10 aborts.
fn ewma(w: u64, old: u64, new: u64) -> Result<u64, Abort> {
    if w > 10 {
        return Err(Abort::EwmaWeight);
    }
    let v = 10 - w;
    // (a/10)*w + (b/10)*v <= max(a, b), and the remainders add < 10 more.
    let whole = (old / 10) * w + (new / 10) * v;
    let frac = ((old % 10) * w + (new % 10) * v) / 10;
    whole.checked_add(frac).ok_or(Abort::Internal)
}

/// libccp's "later of two 32-bit sequence-like values" (see the protocol
/// notes §3.4): 0 is "unset".
pub(crate) fn max_wrap(l: u64, r: u64) -> u64 {
    if l == 0 {
        return r;
    }
    if r == 0 {
        return l;
    }
    let (a, b) = (l as u32, r as u32);
    let dist = |x: u32, y: u32| {
        if y > x {
            y - x
        } else {
            (u32::MAX - x).wrapping_add(y)
        }
    };
    u64::from(if dist(b, a) < dist(a, b) { a } else { b })
}
