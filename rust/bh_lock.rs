// SPDX-License-Identifier: GPL-2.0

//! A spinlock that disables bottom halves while held.
//!
//! 6.12's `kernel::sync::SpinLock` is a plain `spin_lock`: data it protects
//! must never be touched from softirq, or a softirq interrupting the holder
//! on the same CPU deadlocks. [`BhSpinLock`] uses `spin_lock_bh` (through
//! the C shim), so the same data may be used from process context and from
//! TCP callbacks running in softirq. It must not be taken from hard-IRQ
//! context.

use super::ffi;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;
use kernel::prelude::*;

/// A BH-safe spinlock protecting a `T`.
///
/// # Invariants
///
/// `lock` points to an initialised `struct tpc_bh_lock` allocated by the
/// shim and owned by this object.
pub(crate) struct BhSpinLock<T> {
    lock: NonNull<ffi::BhLock>,
    data: UnsafeCell<T>,
}

// SAFETY: The lock can be moved and dropped on any thread; `T` moves with it.
unsafe impl<T: Send> Send for BhSpinLock<T> {}
// SAFETY: Shared access only hands out `T` under the lock, so it is enough
// that `T` can be sent between threads (the same bound as `SpinLock<T>`).
unsafe impl<T: Send> Sync for BhSpinLock<T> {}

impl<T> BhSpinLock<T> {
    /// Creates a lock around `data`. Allocates with `GFP_KERNEL`: process
    /// context only.
    pub(crate) fn new(data: T) -> Result<Self> {
        // SAFETY: No preconditions; called in process context.
        let lock = unsafe { ffi::tpc_shim_bh_lock_alloc() };
        // INVARIANT: The shim returned an initialised lock or NULL.
        Ok(Self {
            lock: NonNull::new(lock).ok_or(ENOMEM)?,
            data: UnsafeCell::new(data),
        })
    }

    /// Acquires the lock, disabling bottom halves until the guard drops.
    pub(crate) fn lock(&self) -> BhGuard<'_, T> {
        // SAFETY: By the type invariant `lock` is a valid, initialised lock.
        unsafe { ffi::tpc_shim_bh_lock(self.lock.as_ptr()) };
        // INVARIANT: The lock was just acquired; it guards only `data`.
        BhGuard {
            raw: RawLock::Heap(self.lock),
            data: &self.data,
            _not_send: PhantomData,
        }
    }
}

/// The C lock a [`BhGuard`] releases.
#[derive(Clone, Copy)]
enum RawLock {
    /// A lock allocated by the shim (`BhSpinLock`).
    Heap(NonNull<ffi::BhLock>),
    /// One of the shim's static locks (`StaticBhLock`).
    Static(StaticLockId),
}

impl<T> Drop for BhSpinLock<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the lock; `&mut self` proves
        // that nobody holds it.
        unsafe { ffi::tpc_shim_bh_lock_free(self.lock.as_ptr()) };
    }
}

/// Proof that a [`BhSpinLock`] or [`StaticBhLock`] is held; unlocks on
/// drop.
///
/// # Invariants
///
/// `raw` is held by the current CPU for the guard's lifetime, and it is the
/// lock that guards `data` (no other lock does).
pub(crate) struct BhGuard<'a, T> {
    raw: RawLock,
    data: &'a UnsafeCell<T>,
    // Spinlocks must be released on the CPU that took them.
    _not_send: PhantomData<*mut ()>,
}

impl<T> Deref for BhGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: By the type invariant the lock guarding `data` is held,
        // so no other reference to the data exists.
        unsafe { &*self.data.get() }
    }
}

impl<T> DerefMut for BhGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: By the type invariant the lock is held, and `&mut self`
        // makes this the only reference.
        unsafe { &mut *self.data.get() }
    }
}

impl<T> Drop for BhGuard<'_, T> {
    fn drop(&mut self) {
        match self.raw {
            // SAFETY: By the type invariant this CPU holds the lock.
            RawLock::Heap(l) => unsafe { ffi::tpc_shim_bh_unlock(l.as_ptr()) },
            // SAFETY: As above.
            RawLock::Static(id) => unsafe { ffi::tpc_shim_static_unlock(id as u32) },
        }
    }
}

/// Identity of one of the shim's statically allocated BH locks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum StaticLockId {
    /// The path table (`TPC_LOCK_PATHS`).
    Paths = 0,
    /// The event logs (`TPC_LOCK_EVENTS`).
    Events = 1,
    /// The EXP3 states (`TPC_LOCK_EXP3`).
    Exp3 = 2,
    /// Paths drawn for SYN-ACKs (`TPC_LOCK_SYNACK`).
    Synack = 3,
    /// The CCP datapath's agent state (`TPC_LOCK_CCP`).
    Ccp = 4,
}

/// A BH-safe spinlock for a `static`: the lock itself is a `DEFINE_SPINLOCK`
/// of the shim, chosen by `id`, so it needs no allocation and is usable from
/// module load to unload (and by callbacks that run until their
/// unregistration).
///
/// # Invariants
///
/// No two `StaticBhLock`s use the same `id`: `new` is only called in
/// `static` initialisers with distinct ids (each id guards exactly one
/// value).
pub(crate) struct StaticBhLock<T> {
    id: StaticLockId,
    data: UnsafeCell<T>,
}

// SAFETY: As for `BhSpinLock`: `T` is only reached under the lock.
unsafe impl<T: Send> Sync for StaticBhLock<T> {}

impl<T> StaticBhLock<T> {
    /// Wraps `data` in lock `id`. Every id may be used by one `static` only.
    pub(crate) const fn new(id: StaticLockId, data: T) -> Self {
        // INVARIANT: Callers use each id once (see the type invariant).
        Self {
            id,
            data: UnsafeCell::new(data),
        }
    }

    /// Acquires the lock, disabling bottom halves until the guard drops.
    pub(crate) fn lock(&self) -> BhGuard<'_, T> {
        // SAFETY: `id` names one of the shim's initialised static locks.
        unsafe { ffi::tpc_shim_static_lock(self.id as u32) };
        // INVARIANT: The lock was just acquired; by the type invariant it
        // guards only `data`.
        BhGuard {
            raw: RawLock::Static(self.id),
            data: &self.data,
            _not_send: PhantomData,
        }
    }
}
