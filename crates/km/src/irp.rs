//! I/O request packets, seen through safe views.
//!
//! An [`Irp`] is moved, never copied: completing it consumes it and yields the [`Completed`]
//! token a dispatch routine must return, so completing twice or forgetting to complete does not
//! compile.

use crate::process::ProcessId;
use crate::status::NtStatus;
use crate::sys::imports::{
    IoGetRequestorProcess, IofCompleteRequest, PsGetCurrentProcessId, PsGetProcessId,
};
use crate::sys::{IO_NO_INCREMENT, IO_STACK_LOCATION, IRP};
use core::marker::PhantomData;
use core::ptr::NonNull;

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
pub struct Irp {
    raw: NonNull<IRP>,
}

impl Irp {
    /// Gives up the IRP as a raw pointer (to park it in a queue); see [`Irp::from_raw`].
    pub(crate) fn into_raw(self) -> NonNull<IRP> {
        self.raw
    }

    /// Takes ownership of an IRP handed to a dispatch routine.
    ///
    /// # Safety
    /// `raw` is a valid IRP that the I/O manager gave to this driver and nobody else completes.
    pub unsafe fn from_raw(raw: NonNull<IRP>) -> Self {
        Irp { raw }
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

    /// The file object the request came through.
    pub fn file(&self) -> FileId {
        FileId(self.stack().FileObject as usize)
    }

    /// The per-handle state the driver attached at `IRP_MJ_CREATE` (`FileObject->FsContext`).
    ///
    /// The reference is not tied to the IRP: the state belongs to the file object and lives
    /// until the driver takes it back at `IRP_MJ_CLOSE`.
    ///
    /// # Safety
    /// The driver stores only `PoolBox<T>` contexts, of this one `T`, through
    /// [`Irp::attach_file_context`], and uses the reference only while handling requests on
    /// this file object (which never overlap with its `IRP_MJ_CLOSE`).
    pub unsafe fn file_context<'file, T>(&self) -> Option<&'file T> {
        let file = self.stack().FileObject;
        if file.is_null() {
            return None;
        }
        // SAFETY: the file object outlives every IRP sent through it.
        let context = unsafe { (*file).FsContext };
        // SAFETY: the caller guarantees the context is a live `T` (attached at create, freed
        // at close, after which no IRP arrives for this file object).
        unsafe { context.cast::<T>().as_ref() }
    }

    /// Attaches per-handle state (`IRP_MJ_CREATE`). Returns `false` if there is no file object
    /// (the state is then dropped).
    ///
    /// # Safety
    /// As for [`Irp::file_context`]; called once per file object.
    pub unsafe fn attach_file_context<T>(&self, context: crate::pool::PoolBox<T>) -> bool {
        let file = self.stack().FileObject;
        if file.is_null() {
            return false;
        }
        let raw = crate::pool::PoolBox::into_raw(context);
        // SAFETY: the file object is alive; FsContext belongs to the driver that owns it.
        unsafe { (*file).FsContext = raw.as_ptr().cast() };
        true
    }

    /// Detaches the per-handle state (`IRP_MJ_CLOSE`).
    ///
    /// # Safety
    /// As for [`Irp::file_context`]; no reference from `file_context` may outlive this call.
    pub unsafe fn take_file_context<T>(&self) -> Option<crate::pool::PoolBox<T>> {
        let file = self.stack().FileObject;
        if file.is_null() {
            return None;
        }
        // SAFETY: the file object is alive.
        let context = unsafe { core::mem::replace(&mut (*file).FsContext, core::ptr::null_mut()) };
        let context = NonNull::new(context.cast::<T>())?;
        // SAFETY: it came from `attach_file_context` and nobody else owns it now.
        Some(unsafe { crate::pool::PoolBox::from_raw(context) })
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
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn complete(self, status: NtStatus, information: usize) -> Completed {
        let raw = self.raw.as_ptr();
        // SAFETY: we own the IRP; writing its status block before completing it is the protocol.
        unsafe {
            (*raw).IoStatus.Status = status.raw() as isize;
        }
        // SAFETY: as above.
        unsafe {
            (*raw).IoStatus.Information = information;
        }
        // SAFETY: we own the IRP and give it back exactly once; `self` is consumed.
        unsafe { IofCompleteRequest(raw, IO_NO_INCREMENT) };
        Completed(status)
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
