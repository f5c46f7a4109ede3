// SPDX-License-Identifier: GPL-2.0

//! Private socket options through netfilter's sockopt hooks.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)
//!
//! `getsockopt`/`setsockopt` at level `SOL_IP` (IPv4 and IPv6 sockets) or
//! `SOL_IPV6` (IPv6 sockets) with an option number the IP layer does not know
//! reach `nf_getsockopt`/`nf_setsockopt`, which dispatch to the registered
//! range. The shim registers the range for `PF_INET` and `PF_INET6`, copies
//! the option value between user and kernel memory, and calls the
//! [`Handler`] with `lock_sock()` held. Numbers outside the range still get
//! `ENOPROTOOPT` from the kernel itself.

use super::cong::LockedSock;
use super::ffi;
use core::marker::PhantomData;
use kernel::bindings::sock;
use kernel::error::{from_result, to_result};
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::prelude::*;

/// Handlers of a private option range `[BASE, BASE + COUNT)`.
pub(crate) trait Handler: 'static {
    /// First option number.
    const BASE: i32;
    /// Number of option numbers.
    const COUNT: i32;

    /// `getsockopt`: fill a prefix of `out` (as long as the caller's
    /// buffer, at most 256 bytes) and return its length.
    fn get(sk: &mut LockedSock<'_>, optname: i32, out: &mut [u8]) -> Result<usize>;

    /// `setsockopt` with the caller's value (at most 256 bytes).
    fn set(sk: &mut LockedSock<'_>, optname: i32, input: &[u8]) -> Result;
}

/// The registered option range; only one may exist.
pub(crate) struct Registration<H: Handler> {
    _p: PhantomData<fn() -> H>,
}

impl<H: Handler> Registration<H> {
    const OPS: ffi::SockoptOps = ffi::SockoptOps {
        base: H::BASE,
        count: H::COUNT,
        get: Some(get_cb::<H>),
        set: Some(set_cb::<H>),
    };

    /// Registers the range (`EBUSY` if it overlaps another registration).
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: `OPS` is a promoted constant with static lifetime whose
        // functions belong to this module; running handlers hold a module
        // reference.
        to_result(unsafe { ffi::tpc_shim_sockopt_register(&Self::OPS) })?;
        Ok(Self { _p: PhantomData })
    }
}

impl<H: Handler> Drop for Registration<H> {
    fn drop(&mut self) {
        // SAFETY: `self` exists only after a successful registration.
        unsafe { ffi::tpc_shim_sockopt_unregister() };
    }
}

/// # Safety
///
/// Only called by the shim: `sk` is a valid socket locked with
/// `lock_sock()`, `buf` is valid for `*len` bytes of writes, `len` valid.
unsafe extern "C" fn get_cb<H: Handler>(
    sk: *mut sock,
    optname: c_int,
    buf: *mut c_void,
    len: *mut c_int,
) -> c_int {
    from_result(|| {
        // SAFETY: `len` is valid (function safety requirement).
        let max = usize::try_from(unsafe { *len })
            .map_err(|_| EINVAL)?
            .min(ffi::SOCKOPT_BUF);
        // SAFETY: `buf` is valid for `*len` bytes, at most `SOCKOPT_BUF`.
        let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), max) };
        // SAFETY: `sk` is valid and locked by the shim for this call.
        let mut s = unsafe { LockedSock::from_raw(sk) }.ok_or(EINVAL)?;
        let n = H::get(&mut s, optname, out)?.min(max);
        // SAFETY: As above; `n <= max` fits in a `c_int`.
        unsafe { *len = n as c_int };
        Ok(0)
    })
}

/// # Safety
///
/// Only called by the shim: `sk` is a valid socket locked with
/// `lock_sock()`, `buf` is valid for `len` bytes of reads.
unsafe extern "C" fn set_cb<H: Handler>(
    sk: *mut sock,
    optname: c_int,
    buf: *const c_void,
    len: c_uint,
) -> c_int {
    from_result(|| {
        let len = (len as usize).min(ffi::SOCKOPT_BUF);
        let input = if len == 0 {
            &[][..]
        } else {
            // SAFETY: `buf` is valid for `len` bytes (safety requirement).
            unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) }
        };
        // SAFETY: `sk` is valid and locked by the shim for this call.
        let mut s = unsafe { LockedSock::from_raw(sk) }.ok_or(EINVAL)?;
        H::set(&mut s, optname, input)?;
        Ok(0)
    })
}
