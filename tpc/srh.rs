// SPDX-License-Identifier: GPL-2.0

//! IPv6 Segment Routing Headers (type 4, RFC 8754): validation and encoding.
//!
//! Pure logic, shared by the module (which validates every SRH before it is
//! stored or attached to a socket), `tpcctl` (which builds SRHs from waypoint
//! lists) and the host tests.
//!
//! Layout: `nexthdr`, `hdrlen` (8-octet units after the first 8 octets),
//! `type` (4), `segments_left`, `first_segment` (last entry's index), `flags`,
//! `tag` (2 bytes), then `first_segment + 1` 16-byte entries. The sender puts
//! its waypoints in reverse visiting order into entries `1..=n`; entry 0 is
//! the final destination, which the kernel overwrites with the socket's real
//! destination on every transmission, and the packet's destination address
//! becomes `segments[segments_left]`.
//!
//! The rules are the kernel's own (`seg6_validate_srh`, non-reduced) plus
//! this module's limits: at most [`MAX_SEGMENTS`] entries, no TLVs, no HMAC.

use core::fmt;

/// Routing header type of an SRH.
pub(crate) const SRH_TYPE: u8 = 4;
/// Most entries in one SRH (the destination entry included), so a path has
/// at most `MAX_SEGMENTS - 1` waypoints.
pub(crate) const MAX_SEGMENTS: usize = 10;
/// Most waypoints in one path.
#[allow(dead_code)] // Used by `tpcctl` and the host tests.
pub(crate) const MAX_WAYPOINTS: usize = MAX_SEGMENTS - 1;
/// Length of the fixed part of an SRH.
pub(crate) const SRH_FIXED_LEN: usize = 8;
/// Largest SRH this module accepts, in bytes.
pub(crate) const MAX_SRH_LEN: usize = SRH_FIXED_LEN + 16 * MAX_SEGMENTS;
/// HMAC flag (`SR6_FLAG1_HMAC`).
const FLAG_HMAC: u8 = 1 << 3;

/// An IPv6 address as 16 bytes in network order.
pub(crate) type Addr = [u8; 16];

/// Why an SRH was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SrhError {
    /// Shorter than the 8-byte fixed part.
    TooShort,
    /// Length not a multiple of 8.
    NotMultipleOf8,
    /// Length differs from `(hdrlen + 1) * 8`.
    LengthMismatch,
    /// Routing type is not 4.
    BadType,
    /// No segment entries at all.
    NoSegments,
    /// More than [`MAX_SEGMENTS`] entries.
    TooManySegments,
    /// `first_segment` points past the entries.
    BadFirstSegment,
    /// `segments_left` is greater than `first_segment`.
    BadSegmentsLeft,
    /// Bytes after the last entry (TLVs are not supported).
    Tlv,
    /// The HMAC flag is set.
    Hmac,
    /// The output buffer is too small.
    #[allow(dead_code)] // Only `encode` fails this way.
    NoSpace,
}

impl SrhError {
    /// Short description, for log lines and error messages.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::TooShort => "SRH shorter than 8 bytes",
            Self::NotMultipleOf8 => "SRH length not a multiple of 8",
            Self::LengthMismatch => "SRH length differs from (hdrlen + 1) * 8",
            Self::BadType => "routing header type is not 4 (SRv6)",
            Self::NoSegments => "SRH has zero segments",
            Self::TooManySegments => "SRH has more than 10 segments",
            Self::BadFirstSegment => "SRH first_segment beyond its segments",
            Self::BadSegmentsLeft => "SRH segments_left greater than first_segment",
            Self::Tlv => "SRH TLVs are not supported",
            Self::Hmac => "SRH HMAC is not supported",
            Self::NoSpace => "buffer too small for the SRH",
        }
    }
}

impl fmt::Display for SrhError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks one SRH of exactly `b.len()` bytes; returns its number of entries.
pub(crate) fn validate(b: &[u8]) -> Result<usize, SrhError> {
    if b.len() < SRH_FIXED_LEN {
        return Err(SrhError::TooShort);
    }
    if b.len() % 8 != 0 {
        return Err(SrhError::NotMultipleOf8);
    }
    let (hdrlen, ty, sl, fs, flags) = (b[1], b[2], b[3], b[4], b[5]);
    if (usize::from(hdrlen) + 1) * 8 != b.len() {
        return Err(SrhError::LengthMismatch);
    }
    if ty != SRH_TYPE {
        return Err(SrhError::BadType);
    }
    let room = usize::from(hdrlen) / 2;
    if room == 0 {
        return Err(SrhError::NoSegments);
    }
    let entries = usize::from(fs) + 1;
    if entries > room {
        return Err(SrhError::BadFirstSegment);
    }
    if entries > MAX_SEGMENTS {
        return Err(SrhError::TooManySegments);
    }
    if sl > fs {
        return Err(SrhError::BadSegmentsLeft);
    }
    if SRH_FIXED_LEN + 16 * entries != b.len() {
        return Err(SrhError::Tlv);
    }
    if flags & FLAG_HMAC != 0 {
        return Err(SrhError::Hmac);
    }
    Ok(entries)
}

/// Builds the SRH that visits `waypoints` in order and then the socket's
/// destination; returns its length. An empty list is an error (a direct
/// path has no SRH at all).
#[allow(dead_code)] // Used by `tpcctl` and the host tests.
pub(crate) fn encode(waypoints: &[Addr], out: &mut [u8]) -> Result<usize, SrhError> {
    let n = waypoints.len();
    if n == 0 {
        return Err(SrhError::NoSegments);
    }
    if n > MAX_WAYPOINTS {
        return Err(SrhError::TooManySegments);
    }
    let len = SRH_FIXED_LEN + 16 * (n + 1);
    let out = out.get_mut(..len).ok_or(SrhError::NoSpace)?;
    out.fill(0);
    // n <= 9, so every field fits a byte.
    out[1] = (2 * (n + 1)) as u8;
    out[2] = SRH_TYPE;
    out[3] = n as u8;
    out[4] = n as u8;
    // Entry i (1..=n) is the waypoint visited (n - i)-th; entry 0 stays ::.
    for (k, w) in waypoints.iter().enumerate() {
        let i = n - k;
        out[SRH_FIXED_LEN + 16 * i..SRH_FIXED_LEN + 16 * (i + 1)].copy_from_slice(w);
    }
    Ok(len)
}

/// The waypoints of a valid SRH in visiting order (entries `first_segment`
/// down to 1). Entry 0, the destination, is not included.
#[allow(dead_code)] // Used by `tpcctl` and the host tests.
pub(crate) fn waypoints(b: &[u8]) -> impl Iterator<Item = Addr> + '_ {
    let fs = b.get(4).copied().map_or(0, usize::from);
    (1..=fs).rev().filter_map(move |i| {
        let s = b.get(SRH_FIXED_LEN + 16 * i..SRH_FIXED_LEN + 16 * (i + 1))?;
        let mut a = [0u8; 16];
        a.copy_from_slice(s);
        Some(a)
    })
}
