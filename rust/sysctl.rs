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

/// One knob of a table.
pub(crate) struct IntKnob {
    /// File name.
    pub(crate) name: &'static core::ffi::CStr,
    /// Storage; written by the sysctl handler, read by anyone.
    pub(crate) value: &'static AtomicI32,
    /// Smallest accepted value.
    pub(crate) min: &'static i32,
    /// Largest accepted value.
    pub(crate) max: &'static i32,
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
                    min: k.min,
                    max: k.max,
                },
                GFP_KERNEL,
            )?;
        }
        let n = u32::try_from(raw.len()).map_err(|_| EINVAL)?;
        // SAFETY: `path` and the names are NUL-terminated and `'static`;
        // `data`, `min` and `max` point to `'static` integers. The shim
        // copies the array. Concurrent writes by `proc_dointvec_minmax`
        // (`WRITE_ONCE`) and atomic loads are the kernel's usual sysctl
        // pattern.
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
