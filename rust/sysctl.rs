// SPDX-License-Identifier: GPL-2.0

//! Integer sysctls backed by atomics.
//!
//! C header: [`include/linux/sysctl.h`](srctree/include/linux/sysctl.h)
//!
//! Each knob is an `int` file (mode 0644) handled by the kernel's
//! `proc_dointvec_minmax`: writes outside `[min, max]` fail with `EINVAL`
//! and leave the value unchanged (the shim logs them, rate-limited). The
//! value lives in a `'static` [`AtomicI32`], so readers in any context use
//! atomic loads.

use super::ffi;
use core::ptr::NonNull;
use core::sync::atomic::AtomicI32;
use kernel::error::from_err_ptr;
use kernel::prelude::*;

/// A bound of a knob's range.
#[derive(Clone, Copy)]
pub(crate) enum Bound {
    /// A constant.
    Const(&'static i32),
    /// The current value of another knob (read by the handler at each
    /// write, so that e.g. a ceiling can never go below a floor).
    Knob(&'static AtomicI32),
}

impl Bound {
    fn as_ptr(self) -> *const i32 {
        match self {
            Bound::Const(v) => v,
            Bound::Knob(a) => a.as_ptr(),
        }
    }
}

/// One knob of a table.
pub(crate) struct IntKnob {
    /// File name.
    pub(crate) name: &'static core::ffi::CStr,
    /// Storage; written by the sysctl handler, read by anyone.
    pub(crate) value: &'static AtomicI32,
    /// Smallest accepted value.
    pub(crate) min: Bound,
    /// Largest accepted value.
    pub(crate) max: Bound,
}

/// A registered sysctl table.
///
/// # Invariants
///
/// `table` was returned by `tpc_shim_sysctl_register` and is registered.
pub(crate) struct Registration {
    table: NonNull<ffi::Sysctl>,
}

// SAFETY: The registration is a handle; unregistering works from any thread.
unsafe impl Send for Registration {}
// SAFETY: `&Registration` offers no operation.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers `knobs` under `path` (slash-separated, e.g. `net/tpc`).
    pub(crate) fn register(path: &'static CStr, knobs: &[IntKnob]) -> Result<Self> {
        let mut raw = KVec::with_capacity(knobs.len(), GFP_KERNEL)?;
        for k in knobs {
            raw.push(
                ffi::SysctlKnob {
                    name: k.name.as_ptr().cast(),
                    data: k.value.as_ptr(),
                    min: k.min.as_ptr(),
                    max: k.max.as_ptr(),
                },
                GFP_KERNEL,
            )?;
        }
        let n = u32::try_from(raw.len()).map_err(|_| EINVAL)?;
        // SAFETY: `path` and the names are NUL-terminated and `'static`;
        // `data`, `min` and `max` point to `'static` integers (a bound
        // may be another knob's atomic). The shim copies the array.
        // Concurrent writes by `proc_dointvec_minmax` (`WRITE_ONCE`) and
        // atomic loads are the kernel's usual sysctl pattern.
        let t = from_err_ptr(unsafe {
            ffi::tpc_shim_sysctl_register(path.as_char_ptr(), raw.as_ptr(), n)
        })?;
        // INVARIANT: Registered just above.
        Ok(Self {
            table: NonNull::new(t).ok_or(ENOMEM)?,
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the table is registered and ours;
        // unregistering waits for running handlers.
        unsafe { ffi::tpc_shim_sysctl_unregister(self.table.as_ptr()) };
    }
}
