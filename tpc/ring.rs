// SPDX-License-Identifier: GPL-2.0

//! Bounded FIFO of variable-length messages in a fixed byte buffer.
//!
//! Pure logic (only `core`, no `unsafe`), shared by the module and the host
//! tests. The storage is supplied by the caller (a `KVec<u8>` in the kernel,
//! a `Vec<u8>` on the host) and never grows: a push that does not fit fails
//! and leaves the ring unchanged, so the owner decides whether to reject the
//! producer or count a drop.
//!
//! Each record is a 4-byte little-endian length followed by the payload;
//! records wrap around the end of the buffer byte-wise.

/// Bytes of per-record overhead.
pub(crate) const RECORD_OVERHEAD: usize = 4;

/// The ring has no room for the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Full;

/// A FIFO of byte messages stored in `S`.
pub(crate) struct MsgRing<S> {
    buf: S,
    /// Offset of the oldest record.
    head: usize,
    /// Bytes in use, record headers included.
    used: usize,
    /// Number of records.
    count: usize,
}

impl<S: AsRef<[u8]> + AsMut<[u8]>> MsgRing<S> {
    /// Creates an empty ring over `buf`; its length is the capacity.
    pub(crate) fn new(buf: S) -> Self {
        Self {
            buf,
            head: 0,
            used: 0,
            count: 0,
        }
    }

    /// Capacity in bytes, record headers included.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.as_ref().len()
    }

    /// Free bytes, record headers included.
    pub(crate) fn free(&self) -> usize {
        self.capacity() - self.used
    }

    /// Whether a record of `len` payload bytes would fit now.
    pub(crate) fn fits(&self, len: usize) -> bool {
        len.checked_add(RECORD_OVERHEAD)
            .is_some_and(|n| n <= self.free())
    }

    /// Number of queued messages.
    #[allow(dead_code)] // Used by the host tests.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Whether no message is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn copy_in(&mut self, at: usize, data: &[u8]) {
        let cap = self.capacity();
        let buf = self.buf.as_mut();
        let first = data.len().min(cap - at);
        buf[at..at + first].copy_from_slice(&data[..first]);
        buf[..data.len() - first].copy_from_slice(&data[first..]);
    }

    fn copy_out(&self, at: usize, out: &mut [u8]) {
        let cap = self.capacity();
        let buf = self.buf.as_ref();
        let first = out.len().min(cap - at);
        let n = out.len();
        out[..first].copy_from_slice(&buf[at..at + first]);
        out[first..].copy_from_slice(&buf[..n - first]);
    }

    fn wrap(&self, at: usize) -> usize {
        let cap = self.capacity();
        if at >= cap {
            at - cap
        } else {
            at
        }
    }

    /// Appends a message. Fails without side effects if it does not fit or
    /// if it is longer than `u32::MAX` bytes.
    pub(crate) fn push(&mut self, msg: &[u8]) -> Result<(), Full> {
        let len = u32::try_from(msg.len()).map_err(|_| Full)?;
        if !self.fits(msg.len()) {
            return Err(Full);
        }
        let tail = self.wrap(self.head + self.used);
        self.copy_in(tail, &len.to_le_bytes());
        let body = self.wrap(tail + RECORD_OVERHEAD);
        self.copy_in(body, msg);
        self.used += RECORD_OVERHEAD + msg.len();
        self.count += 1;
        Ok(())
    }

    /// Length of the oldest message, if any.
    pub(crate) fn front_len(&self) -> Option<usize> {
        if self.count == 0 {
            return None;
        }
        let mut len = [0u8; RECORD_OVERHEAD];
        self.copy_out(self.head, &mut len);
        Some(u32::from_le_bytes(len) as usize)
    }

    /// Copies the oldest message into the front of `out` without removing
    /// it. Returns its length, or `None` if the ring is empty or `out` is too
    /// short (then nothing is copied).
    pub(crate) fn peek(&self, out: &mut [u8]) -> Option<usize> {
        let len = self.front_len()?;
        let dst = out.get_mut(..len)?;
        self.copy_out(self.wrap(self.head + RECORD_OVERHEAD), dst);
        Some(len)
    }

    /// Removes the oldest message; returns its length.
    pub(crate) fn pop(&mut self) -> Option<usize> {
        let len = self.front_len()?;
        self.head = self.wrap(self.head + RECORD_OVERHEAD + len);
        self.used -= RECORD_OVERHEAD + len;
        self.count -= 1;
        if self.count == 0 {
            self.head = 0;
        }
        Some(len)
    }
}
