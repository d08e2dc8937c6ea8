//! I/O request packets, seen through safe views.
//!
//! An [`Irp`] is moved, never copied: completing it consumes it and yields the [`Completed`]
//! token a dispatch routine must return, so completing twice does not compile. Dropping one
//! without completing it does not go unnoticed: its `Drop` logs an error and completes it
//! `STATUS_INTERNAL_ERROR`, so the app that sent it is never left hanging.
//!
//! This module is the only one that touches an IRP's internals. What a queue of pending IRPs
//! needs of them (the pending mark, the cancel routine, `DriverContext`, the `Cancel` flag) is
//! the small typed API of [`ParkedIrp`].

pub(crate) mod kept;

use crate::device_id::DeviceId;
use crate::host_switch::{branch, Host, Switch};
use crate::process::ProcessId;
use crate::status::NtStatus;
use crate::sys::imports::{
    IoGetRequestorProcess, IoReleaseCancelSpinLock, IofCompleteRequest, PsGetCurrentProcessId,
    PsGetProcessId,
};
use crate::sys::{IO_NO_INCREMENT, IO_STACK_LOCATION, IRP, PDEVICE_OBJECT, SL_PENDING_RETURNED};
use core::ffi::c_void;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};

/// Proof that an IRP was completed; what a dispatch routine returns.
#[must_use = "return it from the dispatch routine"]
pub struct Completed(NtStatus);

impl Completed {
    /// For an IRP marked pending and handed to someone who will complete it later.
    pub(crate) fn pending() -> Completed {
        Completed(NtStatus::from_raw(crate::sys::STATUS_PENDING))
    }

    /// The status the IRP was completed with.
    pub fn status(&self) -> NtStatus {
        self.0
    }
}

/// Identity of a `FILE_OBJECT`: one open handle (and its duplicates) of our device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId(usize);

impl FileId {
    /// The object's address (for logs).
    pub fn address(self) -> usize {
        self.0
    }
}

/// An IRP the driver owns until it completes it.
///
/// Dropping it without [`complete`](Irp::complete) is a bug of the driver, but not a hang of
/// the app: `Drop` logs it and completes the IRP `STATUS_INTERNAL_ERROR`.
pub struct Irp {
    raw: NonNull<IRP>,
    /// Taken out of a queue of pending IRPs (by someone other than its cancel routine): under
    /// Wine its completion must not free it (see [`crate::wine_fence`]).
    was_parked: bool,
}

impl Irp {
    /// Takes ownership of an IRP handed to a dispatch routine.
    ///
    /// # Safety
    /// `raw` is a valid IRP that the I/O manager gave to this driver and nobody else completes.
    pub unsafe fn from_raw(raw: NonNull<IRP>) -> Self {
        Irp {
            raw,
            was_parked: false,
        }
    }

    /// The IRP's address (the verifier's key for it).
    #[cfg(feature = "verifier")]
    pub(crate) fn address(&self) -> usize {
        self.raw.as_ptr() as usize
    }

    /// Marks the IRP pending and forgets it: it is never completed (the verifier build's
    /// self-test of its unload check, `crate::verifier::provoke`).
    #[cfg(feature = "verifier")]
    pub(crate) fn leak_pending(self) -> Completed {
        self.park().mark_pending();
        Completed::pending()
    }

    /// Gives the IRP up to a queue of pending IRPs, as the [`ParkedIrp`] the queue and the
    /// cancel routine share. Nothing is changed in the IRP yet.
    pub(crate) fn park(self) -> ParkedIrp {
        let this = ManuallyDrop::new(self);
        ParkedIrp(this.raw)
    }

    fn stack(&self) -> &IO_STACK_LOCATION {
        // SAFETY: INVARIANT: `raw` is a valid IRP we own until completion.
        let location = unsafe { self.raw.as_ref() }.Tail.CurrentStackLocation;
        // SAFETY: an IRP delivered to a dispatch routine has a current stack location that stays
        // valid until it is completed.
        unsafe { &*location }
    }

    /// `IRP_MJ_*` of the current stack location.
    pub fn major_function(&self) -> u8 {
        self.stack().MajorFunction
    }

    /// The device the request was sent to (the current stack location's `DeviceObject`, which
    /// the I/O manager sets before it calls the dispatch routine): a driver with several
    /// devices compares it with each [`Device::id`](crate::driver::Device::id) to route the
    /// request. (km's own fence device never gets here: km answers its requests itself.)
    ///
    /// IRQL: any (reads the IRP).
    pub fn device(&self) -> DeviceId {
        DeviceId::from_address(self.stack().DeviceObject as usize)
    }

    /// The file object the request came through.
    pub fn file(&self) -> FileId {
        FileId(self.stack().FileObject as usize)
    }

    /// The request's file object (null for none): `crate::handle_state` attaches the
    /// per-handle state to it.
    pub(crate) fn file_object(&self) -> *mut crate::sys::FILE_OBJECT {
        self.stack().FileObject
    }

    /// The process that sent the request (`PsGetProcessId(IoGetRequestorProcess(irp))`), which is
    /// right even in cancel routines and when `IRP_MJ_CLOSE` runs in a killer's context.
    /// `IoGetRequestorProcessId` is a crashing stub under Wine.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn requestor(&self) -> ProcessId {
        // SAFETY: reading a field of a valid IRP.
        let thread = unsafe { self.raw.as_ref().Tail.Thread };
        let pid = if thread.is_null() {
            // Wine's IoGetRequestorProcess dereferences the thread unconditionally.
            // SAFETY: no arguments.
            unsafe { PsGetCurrentProcessId() }
        } else {
            // SAFETY: the IRP is valid and has a thread, so it has a requestor process.
            let process = unsafe { IoGetRequestorProcess(self.raw.as_ptr()) };
            // SAFETY: IoGetRequestorProcess returned a process object the IRP keeps alive.
            unsafe { PsGetProcessId(process) }
        };
        ProcessId(pid as usize as u32)
    }

    /// The parameters and buffer of a `METHOD_BUFFERED` device-control request, or `None` for
    /// any other request or transfer method.
    pub fn buffered_ioctl(&mut self) -> Option<BufferedIoctl<'_>> {
        let stack = self.stack();
        if stack.MajorFunction != crate::sys::IRP_MJ_DEVICE_CONTROL {
            return None;
        }
        let code = stack.Parameters.IoControlCode;
        if code & 3 != 0 {
            return None;
        }
        let input_len = stack.Parameters.InputBufferLength as usize;
        let output_len = stack.Parameters.OutputBufferLength as usize;
        // SAFETY: reading a field of a valid IRP.
        let buffer = unsafe { self.raw.as_ref().SystemBuffer }.cast::<u8>();
        Some(BufferedIoctl {
            code,
            input_len: if buffer.is_null() { 0 } else { input_len },
            output_len: if buffer.is_null() { 0 } else { output_len },
            buffer,
            _irp: PhantomData,
        })
    }

    /// Completes the IRP with `status` and `information` (bytes returned).
    ///
    /// Under Wine, an IRP taken out of a queue of pending IRPs is completed without being
    /// freed, and freed once no cancel can still be queued for it ([`crate::wine_fence`]).
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn complete(self, status: NtStatus, information: usize) -> Completed {
        let this = ManuallyDrop::new(self);
        // SAFETY: we own the IRP and give it back exactly once: `self` is consumed and its Drop
        // does not run.
        unsafe { complete_raw(this.raw, status, information, this.was_parked) };
        Completed(status)
    }

    /// Gives the IRP back, uncompleted, to code that completes it itself: a C driver's own
    /// dispatch routine, for a request km's caller declined
    /// ([`crate::driver::Dispatched::Declined`]). km stops tracking it (the verifier build
    /// counts it as handed on).
    pub fn into_raw(self) -> NonNull<IRP> {
        let this = ManuallyDrop::new(self);
        #[cfg(feature = "verifier")]
        let _ = crate::verifier::irp_completing(this.raw.as_ptr() as usize);
        this.raw
    }
}

impl Drop for Irp {
    fn drop(&mut self) {
        crate::log!(
            Error,
            "BUG: an IRP (major function {}) was dropped without completion; completing it \
             STATUS_INTERNAL_ERROR",
            self.major_function()
        );
        // SAFETY: we own the IRP, and Drop runs only when `complete` and `park` did not.
        unsafe { complete_raw(self.raw, NtStatus::INTERNAL_ERROR, 0, self.was_parked) };
    }
}

/// Writes the status block and hands the IRP back to the I/O manager.
///
/// # Safety
/// The caller owns `raw` and never touches it again.
unsafe fn complete_raw(raw: NonNull<IRP>, status: NtStatus, information: usize, parked: bool) {
    let irp = raw.as_ptr();
    if !crate::verifier::irp_completing(irp as usize) {
        return;
    }
    // SAFETY: we own the IRP; writing its status block before completing it is the protocol.
    unsafe {
        (*irp).IoStatus.Status = status.raw() as isize;
    }
    // SAFETY: as above.
    unsafe {
        (*irp).IoStatus.Information = information;
    }
    // Switch::WineFence: never forced (the Windows side re-opens Wine's use-after-free).
    if parked && branch(Switch::WineFence) == Host::Wine {
        // SAFETY: we own the IRP, it was parked (its cancel routine swapped out), we run under
        // Wine, and we never touch it again.
        if let Some(kept) = unsafe { kept::complete_keeping(raw) } {
            crate::wine_fence::bury(kept);
        }
    } else {
        // SAFETY: we own the IRP and give it back exactly once.
        unsafe { IofCompleteRequest(irp, IO_NO_INCREMENT) };
    }
}

/// Completes the IRP at `address` again, as far as the verifier's check that comes first in
/// every completion ([`complete_raw`]): the verifier build's self-test (see
/// `crate::verifier::provoke::complete_twice`). Nothing after that check runs, caught or not,
/// so the IRP (no longer ours) is never touched.
#[cfg(feature = "verifier")]
pub(crate) fn complete_again(address: usize) {
    if crate::verifier::irp_completing(address) {
        crate::log!(
            Error,
            "VERIFIER self-test: a second completion was not caught (IRPs were untracked)"
        );
    }
}

/// The routine `IoCancelIrp` calls (`PDRIVER_CANCEL`).
pub(crate) type CancelRoutine = unsafe extern "system" fn(PDEVICE_OBJECT, *mut IRP);

/// An IRP parked in a queue of pending IRPs: a copyable pointer that the queue and the cancel
/// routine share. It offers exactly what the classic cancel-safe queue needs, and it is the
/// queue's job (see `crate::pending`) to decide who owns the IRP: whoever swaps the cancel
/// routine out (`ParkedIrp::disarm` returning `true`, or `IoCancelIrp`).
///
/// Outside `km` it can only be named (as the item type of a `PendingQueue`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParkedIrp(NonNull<IRP>);

// SAFETY: an IRP pointer may be used from any thread; the queue serialises its uses.
unsafe impl Send for ParkedIrp {}

impl ParkedIrp {
    fn cancel_slot(self) -> &'static AtomicPtr<c_void> {
        // SAFETY: projecting to a field of a live IRP (no read happens).
        let field = unsafe { core::ptr::addr_of_mut!((*self.0.as_ptr()).CancelRoutine) };
        // SAFETY: `CancelRoutine` is a pointer-sized, pointer-aligned field of a live IRP that
        // the kernel itself only ever updates with interlocked operations; viewing it as an
        // AtomicPtr is what `IoSetCancelRoutine` does. The IRP outlives every use made here
        // (the callers hold it parked).
        unsafe { AtomicPtr::from_ptr(field) }
    }

    fn stack(self) -> *mut IO_STACK_LOCATION {
        // SAFETY: a parked IRP is alive; reading its current stack location pointer is fine.
        unsafe { (*self.0.as_ptr()).Tail.CurrentStackLocation }
    }

    /// The file object the IRP came through.
    pub(crate) fn file(self) -> FileId {
        // SAFETY: a parked IRP's current stack location is valid while it is parked.
        FileId(unsafe { (*self.stack()).FileObject } as usize)
    }

    /// `IoMarkIrpPending`: the dispatch routine will return `STATUS_PENDING`.
    pub(crate) fn mark_pending(self) {
        // SAFETY: the current stack location of an IRP the caller owns (it is not armed yet).
        unsafe { (*self.stack()).Control |= SL_PENDING_RETURNED };
    }

    /// Stores `context` in `DriverContext[0]` and sets `routine` as the cancel routine (the
    /// `IoSetCancelRoutine` swap). From here on `IoCancelIrp` may take the IRP.
    pub(crate) fn arm(self, routine: CancelRoutine, context: *const c_void) {
        // SAFETY: DriverContext belongs to the driver that owns the IRP; the cancel routine is
        // not set yet, so nobody else reads it.
        unsafe { (*self.0.as_ptr()).Tail.DriverContext[0] = context.cast_mut() };
        self.cancel_slot()
            .swap(routine as *mut c_void, Ordering::SeqCst);
    }

    /// Swaps the cancel routine out; `true` if it was still set, i.e. the caller now owns the
    /// IRP and `IoCancelIrp` will not call the routine. `false`: `IoCancelIrp` got there first
    /// and the routine completes the IRP.
    pub(crate) fn disarm(self) -> bool {
        !self
            .cancel_slot()
            .swap(core::ptr::null_mut(), Ordering::SeqCst)
            .is_null()
    }

    /// Whether `IoCancelIrp` ran on the IRP (its `Cancel` flag).
    pub(crate) fn is_cancelled(self) -> bool {
        // SAFETY: projecting to a field of a parked IRP (no read happens).
        let flag = unsafe { core::ptr::addr_of!((*self.0.as_ptr()).Cancel) };
        // SAFETY: IoCancelIrp may set the flag concurrently, hence the volatile read of a byte.
        unsafe { core::ptr::read_volatile(flag) != 0 }
    }

    /// Takes the IRP back out of the queue, after winning the cancel-routine swap.
    ///
    /// # Safety
    /// [`disarm`](Self::disarm) returned `true` for it (or it was never armed), and it is no
    /// longer in any queue.
    pub(crate) unsafe fn unpark(self) -> Irp {
        Irp {
            raw: self.0,
            was_parked: true,
        }
    }

    /// The cancel routine's entry: releases the cancel spin lock `IoCancelIrp` holds and
    /// returns the IRP and the context [`arm`](Self::arm) stored.
    ///
    /// # Safety
    /// Called once, first thing, in a cancel routine set by [`arm`](Self::arm), with the IRP
    /// the I/O manager passed.
    pub(crate) unsafe fn enter_cancel_routine(irp: *mut IRP) -> Option<(ParkedIrp, *const c_void)> {
        let irp = NonNull::new(irp)?;
        // SAFETY: the I/O manager calls us with the cancel spin lock held and the IRP alive.
        let cancel_irql = unsafe { (*irp.as_ptr()).CancelIrql };
        // SAFETY: we hold the cancel spin lock (the I/O manager acquired it) and release it first.
        unsafe { IoReleaseCancelSpinLock(cancel_irql) };
        // SAFETY: the IRP is alive; `arm` stored the context in DriverContext[0].
        let context = unsafe { (*irp.as_ptr()).Tail.DriverContext[0] };
        Some((ParkedIrp(irp), context.cast_const()))
    }

    /// In the cancel routine, once the IRP is out of its queue: the IRP, ours to complete
    /// (`IoCancelIrp` swapped the routine out). Its completion frees it, as usual: the cancel
    /// being handled was the only one the host could have queued for it.
    ///
    /// # Safety
    /// Called by the cancel routine that [`enter_cancel_routine`](Self::enter_cancel_routine)
    /// returned this IRP to, after unlinking it.
    pub(crate) unsafe fn cancelled(self) -> Irp {
        Irp {
            raw: self.0,
            was_parked: false,
        }
    }
}

/// The system buffer of a `METHOD_BUFFERED` IOCTL: one buffer of `max(input, output)` bytes
/// that holds the input on entry and the output on completion.
pub struct BufferedIoctl<'irp> {
    code: u32,
    input_len: usize,
    output_len: usize,
    buffer: *mut u8,
    _irp: PhantomData<&'irp mut Irp>,
}

impl BufferedIoctl<'_> {
    /// The IOCTL code.
    pub fn code(&self) -> u32 {
        self.code
    }

    /// The input bytes. Borrowing them blocks writing the output, because both share the buffer.
    pub fn input(&self) -> &[u8] {
        if self.input_len == 0 {
            return &[];
        }
        // SAFETY: the I/O manager allocated SystemBuffer with at least InputBufferLength bytes
        // and copied the input into it.
        unsafe { core::slice::from_raw_parts(self.buffer, self.input_len) }
    }

    /// `OutputBufferLength`.
    pub fn output_len(&self) -> usize {
        self.output_len
    }

    /// The output area (`OutputBufferLength` bytes); whatever the caller reads back is the
    /// first `information` bytes given at completion.
    pub fn output(&mut self) -> &mut [u8] {
        if self.output_len == 0 {
            return &mut [];
        }
        // SAFETY: SystemBuffer has at least OutputBufferLength bytes, and `&mut self` makes this
        // the only live view of it.
        unsafe { core::slice::from_raw_parts_mut(self.buffer, self.output_len) }
    }
}
