// SPDX-License-Identifier: GPL-2.0

//! The module's only `unsafe` layer: safe wrappers over the kernel
//! interfaces tcp_pathchanger uses.
//!
//! Linux 6.12's `kernel` crate has no abstractions for TCP congestion
//! control, misc devices, sysctls or netfilter socket options, and its
//! bindings lack most of the structs involved. The C shim
//! (`rust/tpc_shim.c`, declared in [`ffi`]) owns those layouts and wraps the
//! static inline helpers; the submodules here turn them into safe Rust
//! traits and `Registration` objects that undo themselves on drop, in the
//! style of the upstream `net::phy` abstraction.
//!
//! Policy code (`tcp_pathchanger.rs`) uses only these wrappers, the safe
//! parts of the `kernel` crate and the pure-logic files under `tpc/`; it
//! contains no `unsafe`.

pub(crate) mod bh_lock;
pub(crate) mod cong;
mod ffi;
pub(crate) mod miscdev;
pub(crate) mod sockopt;
pub(crate) mod sysctl;

use kernel::error::Error;

/// Whether a log line may be printed now (the kernel's `net_ratelimit()`:
/// shared by the networking stack, 10 messages per 5 seconds by default).
pub(crate) fn ratelimit() -> bool {
    // SAFETY: `net_ratelimit` has no preconditions and may be called from
    // any context.
    unsafe { kernel::bindings::net_ratelimit() != 0 }
}

/// Whether the current task has `CAP_NET_ADMIN` (in the initial user
/// namespace), recording the use of the capability like C's `capable()`.
pub(crate) fn capable_net_admin() -> bool {
    // SAFETY: `capable` only inspects the current task's credentials; it is
    // called from process context (file open).
    unsafe { ffi::tpc_shim_capable_net_admin() }
}

/// A random number from the kernel's generator (`get_random_u32()`); any
/// context.
pub(crate) fn random_u32() -> u32 {
    // SAFETY: `get_random_u32` has no preconditions and may be called from
    // any context, softirq included.
    unsafe { ffi::tpc_shim_random_u32() }
}

/// Error codes the 6.12 `kernel::error::code` module does not define.
pub(crate) mod err {
    use super::Error;
    use kernel::bindings;

    fn from(e: u32) -> Error {
        Error::from_errno(-(e as i32))
    }

    /// `EMSGSIZE`.
    pub(crate) fn emsgsize() -> Error {
        from(bindings::EMSGSIZE)
    }

    /// `EPROTO`.
    pub(crate) fn eproto() -> Error {
        from(bindings::EPROTO)
    }

    /// `EPROTONOSUPPORT`.
    pub(crate) fn eprotonosupport() -> Error {
        from(bindings::EPROTONOSUPPORT)
    }

    /// `EOPNOTSUPP`.
    pub(crate) fn eopnotsupp() -> Error {
        from(bindings::EOPNOTSUPP)
    }

    /// `ENOPROTOOPT`.
    pub(crate) fn enoprotoopt() -> Error {
        from(bindings::ENOPROTOOPT)
    }

    /// `ENOTCONN`.
    pub(crate) fn enotconn() -> Error {
        from(bindings::ENOTCONN)
    }

    /// `EBADMSG`.
    pub(crate) fn ebadmsg() -> Error {
        from(bindings::EBADMSG)
    }
}
