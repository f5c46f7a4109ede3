// SPDX-License-Identifier: GPL-2.0

//! Misc character devices (`/dev/<name>`) with message-oriented file
//! operations.
//!
//! C header: [`include/linux/miscdevice.h`](srctree/include/linux/miscdevice.h)
//!
//! 6.12 has no Rust `miscdevice` (it came in 6.13); this is the same shape
//! over the C shim: a [`FileOps`] trait whose `open` returns the per-file
//! object, and a [`Registration`] that deregisters the device on drop. The
//! shim implements blocking `read` (sleeping until [`FileOps::poll`] reports
//! readable) and `poll`; the per-file object wakes sleepers through the
//! [`Waker`] passed to every callback.
//!
//! The device's `file_operations` are owned by this module, so an open file
//! holds a module reference and `rmmod` fails with `EBUSY` until the last
//! close. Module init cannot wait for open files, so a registration dropped
//! by a failing init must not have let any open succeed: register devices
//! with their opens refused until init has completed.

use super::ffi;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::{from_err_ptr, from_result};
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::types::ForeignOwnable;
use kernel::uaccess::{UserSlice, UserSliceReader, UserSliceWriter};

/// Readiness of an open file, as reported to `poll`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Readiness {
    /// A `read` would not block.
    pub(crate) readable: bool,
    /// A `write` would not fail for lack of queue space.
    pub(crate) writable: bool,
}

/// Wakes the readers and pollers of one open file.
///
/// # Invariants
///
/// `file` is the shim's state of an open file, alive while the per-file
/// object that received this reference exists.
pub(crate) struct Waker {
    file: NonNull<ffi::ChrFile>,
}

impl Waker {
    /// Wakes sleepers in `read` and `poll`. Any context.
    pub(crate) fn wake(&self) {
        // SAFETY: By the type invariant the file state is alive.
        unsafe { ffi::tpc_shim_chr_wake(self.file.as_ptr()) }
    }
}

/// Wakes sleepers in `read` and `poll` of every open file of every device,
/// which then recheck their own readiness. Any context, softirq included.
pub(crate) fn wake_all() {
    // SAFETY: The shim's wait queue is static; waking it has no
    // preconditions.
    unsafe { ffi::tpc_shim_chr_wake_all() }
}

// SAFETY: Waking a wait queue is allowed from any thread.
unsafe impl Send for Waker {}
// SAFETY: `wake` takes `&self` and is thread-safe.
unsafe impl Sync for Waker {}

/// Operations of a misc device's open files.
///
/// All callbacks run in process context and may sleep, except
/// [`FileOps::poll`], which the shim also calls while preparing to sleep
/// and which therefore must not sleep (no mutex; a `BhSpinLock` is fine).
/// Callbacks on one file may run concurrently.
pub(crate) trait FileOps: Sized + Send + Sync + 'static {
    /// A file is being opened; returns its state.
    fn open() -> Result<Pin<KBox<Self>>>;

    /// Copies at most one message to `out`. Returns `EAGAIN` when nothing is
    /// queued (the shim then blocks unless `O_NONBLOCK`).
    fn read(this: Pin<&Self>, waker: &Waker, out: &mut UserSliceWriter) -> Result<usize>;

    /// Consumes one message from `input`.
    fn write(this: Pin<&Self>, waker: &Waker, input: UserSliceReader) -> Result<usize>;

    /// Current readiness. Must not sleep.
    fn poll(this: Pin<&Self>) -> Readiness;

    /// The last reference to the file is gone.
    fn release(this: Pin<KBox<Self>>) {
        drop(this);
    }
}

/// What the shim stores in its per-file `priv` pointer.
struct PerFile<T> {
    waker: Waker,
    obj: Pin<KBox<T>>,
}

/// A registered misc device.
///
/// # Invariants
///
/// `dev` was returned by `tpc_shim_chr_register` and is registered.
pub(crate) struct Registration<T: FileOps> {
    dev: NonNull<ffi::ChrDev>,
    _p: PhantomData<fn() -> T>,
}

// SAFETY: The registration is a handle; deregistering works from any thread.
unsafe impl<T: FileOps> Send for Registration<T> {}
// SAFETY: `&Registration` offers no operation.
unsafe impl<T: FileOps> Sync for Registration<T> {}

impl<T: FileOps> Registration<T> {
    const OPS: ffi::ChrOps = ffi::ChrOps {
        open: Some(open_cb::<T>),
        release: Some(release_cb::<T>),
        read: Some(read_cb::<T>),
        write: Some(write_cb::<T>),
        poll: Some(poll_cb::<T>),
    };

    /// Registers `/dev/<name>` with permissions `mode` (e.g. `0o600`).
    ///
    /// Files can be opened as soon as this returns, so register devices
    /// last in module init.
    pub(crate) fn register(name: &'static CStr, mode: u16) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated (the shim copies it); `OPS` is a
        // promoted constant with static lifetime whose functions belong to
        // this module, which outlives the registration and every open file.
        let dev = from_err_ptr(unsafe {
            ffi::tpc_shim_chr_register(name.as_char_ptr(), mode, &Self::OPS)
        })?;
        // INVARIANT: Registered just above.
        Ok(Self {
            dev: NonNull::new(dev).ok_or(ENOMEM)?,
            _p: PhantomData,
        })
    }
}

impl<T: FileOps> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `dev` is registered and ours.
        unsafe { ffi::tpc_shim_chr_unregister(self.dev.as_ptr()) };
    }
}

/// # Safety
///
/// Only called by the shim's `open`: `file` is its new per-file state and
/// `out` is valid for writes.
unsafe extern "C" fn open_cb<T: FileOps>(file: *mut ffi::ChrFile, out: *mut *mut c_void) -> c_int {
    from_result(|| {
        // INVARIANT: The shim frees `file` only after `release_cb`, which
        // drops the `PerFile` holding this waker.
        let waker = Waker {
            file: NonNull::new(file).ok_or(EINVAL)?,
        };
        // Allocated before `open`: the shim calls no release for a failed
        // open, so nothing may fail once `open` has succeeded.
        let pf = KBox::<PerFile<T>>::new_uninit(GFP_KERNEL)?;
        let obj = T::open()?;
        let pf = pf.write(PerFile { waker, obj });
        // SAFETY: `out` is valid for writes (function safety requirement).
        unsafe { *out = pf.into_foreign().cast_mut() };
        Ok(0)
    })
}

/// Borrows the per-file state.
///
/// # Safety
///
/// `p` came from `open_cb::<T>` and `release_cb` has not run for it.
unsafe fn per_file<'a, T: FileOps>(p: *mut c_void) -> &'a PerFile<T> {
    // SAFETY: Guaranteed by the caller.
    unsafe { <KBox<PerFile<T>> as ForeignOwnable>::borrow(p) }
}

/// # Safety
///
/// Only called by the shim's `release`, once per successful `open_cb`.
unsafe extern "C" fn release_cb<T: FileOps>(p: *mut c_void) {
    // SAFETY: `p` came from `into_foreign` in `open_cb`, and the shim calls
    // this exactly once, after every other callback on the file returned.
    let pf = unsafe { <KBox<PerFile<T>> as ForeignOwnable>::from_foreign(p) };
    // The waker goes with the per-file state, before the shim frees the
    // file it points to.
    let PerFile { waker: _, obj } = KBox::into_inner(pf);
    T::release(obj);
}

/// # Safety
///
/// Only called by the shim's `read` on an open file: `p` came from
/// `open_cb::<T>`, `buf` is the user buffer of `len` bytes.
unsafe extern "C" fn read_cb<T: FileOps>(p: *mut c_void, buf: *mut c_char, len: usize) -> isize {
    // SAFETY: The file is open, so `release_cb` has not run.
    let pf = unsafe { per_file::<T>(p) };
    let mut out = UserSlice::new(buf as usize, len).writer();
    from_result(|| Ok(T::read(pf.obj.as_ref(), &pf.waker, &mut out)? as isize))
}

/// # Safety
///
/// Only called by the shim's `write` on an open file: `p` came from
/// `open_cb::<T>`, `buf` is the user buffer of `len` bytes.
unsafe extern "C" fn write_cb<T: FileOps>(p: *mut c_void, buf: *const c_char, len: usize) -> isize {
    // SAFETY: The file is open, so `release_cb` has not run.
    let pf = unsafe { per_file::<T>(p) };
    let input = UserSlice::new(buf as usize, len).reader();
    from_result(|| Ok(T::write(pf.obj.as_ref(), &pf.waker, input)? as isize))
}

/// # Safety
///
/// Only called by the shim's `read` and `poll` on an open file: `p` came
/// from `open_cb::<T>`.
unsafe extern "C" fn poll_cb<T: FileOps>(p: *mut c_void) -> u32 {
    // SAFETY: The file is open, so `release_cb` has not run.
    let pf = unsafe { per_file::<T>(p) };
    let r = T::poll(pf.obj.as_ref());
    let mut bits = 0;
    if r.readable {
        bits |= ffi::CHR_READABLE;
    }
    if r.writable {
        bits |= ffi::CHR_WRITABLE;
    }
    bits
}
