//! The driver object, its dispatch table, the control device and its symbolic link.
//!
//! A driver implements [`Dispatch`] and names it in [`crate::driver_entry!`]; `km` writes the
//! `extern "system"` entry points, so the driver crate never touches a raw IRP or
//! `DRIVER_OBJECT`.
//!
//! `km` also owns the per-handle state: it makes a [`Dispatch::FileState`] at `IRP_MJ_CREATE`,
//! attaches it to the file object, lends it to [`Dispatch::device_control`] for each request
//! of that handle, and hands it to [`Dispatch::close`] before freeing it. Its type is fixed by
//! the trait and the driver only ever borrows it for one call, so no caller can read it as
//! anything else or keep it past the handle's close.
//!
//! Under Wine the trampoline also recognises the requests for `km`'s fence device and answers
//! them itself ([`crate::wine_fence`]); the driver never sees them.

use crate::device_id::DeviceId;
use crate::handle_state;
use crate::host_switch::{branch, Switch};
use crate::irp::{Completed, Irp};
use crate::irql::Passive;
use crate::status::NtStatus;
use crate::sys::imports::{
    IoCreateDevice, IoCreateSymbolicLink, IoDeleteDevice, IoDeleteSymbolicLink,
    MmGetSystemRoutineAddress,
};
use crate::sys::{
    DRIVER_OBJECT, FILE_DEVICE_SECURE_OPEN, IRP, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE,
    IRP_MJ_DEVICE_CONTROL, NTSTATUS, PDEVICE_OBJECT,
};
use crate::unicode::UnicodeStr;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, Ordering};

/// What a driver does with each kind of request. Every method runs at `PASSIVE_LEVEL` in the
/// context of the requesting thread on Windows; under Wine, in `winedevice.exe`'s single
/// dispatch thread (so a dispatch routine must never block waiting for another request).
/// Each is lent the [`Passive`] token that `PASSIVE_LEVEL` routines and spin locks ask for.
/// A driver with several devices tells them apart by [`Irp::device`], compared with the
/// [`Device::id`] of each ([`crate::device_id`]).
pub trait Dispatch: 'static {
    /// The driver's pool tag and log prefix, recorded before [`entry`](Self::entry) runs.
    const IDENTITY: crate::identity::Identity;
    /// What the driver keeps per open handle (file object): made by
    /// [`new_file_state`](Self::new_file_state) at `IRP_MJ_CREATE`, lent to
    /// [`device_control`](Self::device_control), handed to [`close`](Self::close) and freed
    /// after it.
    type FileState: Sync + 'static;
    /// `DriverEntry`: create devices, initialise state. An error fails the load.
    fn entry(driver: &mut DriverObject, at: &mut Passive) -> Result<(), NtStatus>;
    /// A fresh per-handle state, attached before [`create`](Self::create) runs. (If the pool
    /// has no memory for it, the handle has none: the methods get `None`.)
    fn new_file_state() -> Self::FileState;
    /// `IRP_MJ_CREATE`. Under Wine its status is ignored: an open cannot be refused.
    fn create(irp: Irp, at: &mut Passive) -> Completed;
    /// `IRP_MJ_CLEANUP`: the last handle to a file object closed (Windows only; Wine never
    /// sends it).
    fn cleanup(irp: Irp, at: &mut Passive) -> Completed;
    /// `IRP_MJ_CLOSE`: the file object goes away (under Wine, possibly with IRPs still pending).
    /// `state` was detached from the file object first and is freed after this returns.
    fn close(irp: Irp, state: Option<&Self::FileState>, at: &mut Passive) -> Completed;
    /// `IRP_MJ_DEVICE_CONTROL`, with the state of the handle it came through (`None` if the
    /// pool had no memory for it at create), borrowed for this call only.
    fn device_control(irp: Irp, state: Option<&Self::FileState>, at: &mut Passive) -> Completed;
    /// `DriverUnload`: release everything.
    fn unload(at: &mut Passive);
}

/// The `DRIVER_OBJECT` during `DriverEntry`.
pub struct DriverObject {
    raw: NonNull<DRIVER_OBJECT>,
}

impl DriverObject {
    /// The driver object's address (to name things after it).
    pub(crate) fn address(&self) -> usize {
        self.raw.as_ptr() as usize
    }

    /// Creates a named device of `device_type` with `FILE_DEVICE_SECURE_OPEN` (opens of
    /// `\Device\name\anything` are checked like opens of the device itself).
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn create_device(
        &mut self,
        _at: &Passive,
        name: &UnicodeStr<'_>,
        device_type: u32,
    ) -> Result<Device, NtStatus> {
        let mut device: PDEVICE_OBJECT = core::ptr::null_mut();
        // SAFETY: `raw` is our driver object during DriverEntry; `name` outlives the call.
        let status = unsafe {
            IoCreateDevice(
                self.raw.as_ptr(),
                0,
                name.as_raw(),
                device_type,
                FILE_DEVICE_SECURE_OPEN,
                0,
                &mut device,
            )
        };
        NtStatus::from_raw(status).ok()?;
        NonNull::new(device)
            .map(|raw| Device { raw })
            .ok_or(NtStatus::UNSUCCESSFUL)
    }
}

/// A device object of ours, deleted on drop (`IoDeleteDevice`: drop it at `PASSIVE_LEVEL`,
/// which the verifier build checks).
pub struct Device {
    raw: NonNull<crate::sys::DEVICE_OBJECT>,
}

impl Device {
    /// Deletes the device now: the explicit form of the drop (`IoDeleteDevice`), with its
    /// `PASSIVE_LEVEL` proven.
    ///
    /// IRQL: `PASSIVE_LEVEL` (the token proves it).
    pub fn close(self, _at: &Passive) {
        drop(self);
    }

    /// The device's id, equal to [`Irp::device`] of the requests sent to it: a driver with
    /// several devices keeps it (in a [`crate::device_id::DeviceSlot`]) to route requests.
    ///
    /// IRQL: any.
    pub fn id(&self) -> DeviceId {
        DeviceId::from_address(self.raw.as_ptr() as usize)
    }

    /// The device object (to recognise the requests sent to it).
    pub(crate) fn as_ptr(&self) -> PDEVICE_OBJECT {
        self.raw.as_ptr()
    }
}

// SAFETY: a device object pointer may be used from any thread.
unsafe impl Send for Device {}
// SAFETY: `Device` only offers its id (a copy of its address) and deletion, which needs `self`
// by value.
unsafe impl Sync for Device {}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: INVARIANT: we created this device and delete it exactly once.
        unsafe { IoDeleteDevice(self.raw.as_ptr()) };
    }
}

/// A symbolic link in the object namespace (e.g. `\DosDevices\evshare`), deleted on drop.
pub struct SymbolicLink {
    link: &'static [u16],
}

impl SymbolicLink {
    /// Creates `link` pointing at `target`.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn create(
        _at: &Passive,
        link: &'static [u16],
        target: &UnicodeStr<'_>,
    ) -> Result<Self, NtStatus> {
        let name = UnicodeStr::new(link)?;
        // SAFETY: both strings outlive the call.
        NtStatus::from_raw(unsafe { IoCreateSymbolicLink(name.as_raw(), target.as_raw()) }).ok()?;
        Ok(SymbolicLink { link })
    }
}

impl Drop for SymbolicLink {
    fn drop(&mut self) {
        if let Ok(name) = UnicodeStr::new(self.link) {
            // SAFETY: we created this link; `name` outlives the call.
            let _ = unsafe { IoDeleteSymbolicLink(name.as_raw()) };
        }
    }
}

/// Stops the machine (`KeBugCheckEx`): what a kernel panic must do. Under Wine it ends
/// `winedevice.exe` instead.
///
/// IRQL: any.
pub fn bugcheck(code: u32, detail: usize) -> ! {
    // SAFETY: KeBugCheckEx never returns; the parameters are informational.
    unsafe { crate::sys::imports::KeBugCheckEx(code, detail, 0, 0, 0) }
}

pub use crate::host_switch::Host;

/// Whether the kernel exports `name` (`MmGetSystemRoutineAddress`). Under Wine this is also true
/// for `@ stub` exports, which crash when called: it guards missing routines, not stubs.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn routine_exists(_at: &Passive, name: &UnicodeStr<'_>) -> bool {
    // SAFETY: `name` is a valid UNICODE_STRING for the duration of the call.
    !unsafe { MmGetSystemRoutineAddress(name.as_raw()) }.is_null()
}

static HOST_IS_WINE: AtomicBool = AtomicBool::new(false);

/// Detects the host once: Wine's `ntoskrnl.exe` exports `wine_ntoskrnl_main_loop`, Windows does
/// not. Call it from `DriverEntry`; [`host`] reports the answer afterwards.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn detect_host(at: &Passive) -> Host {
    const WINE_MARKER: UnicodeStr<'static> =
        UnicodeStr::from_static(crate::utf16!("wine_ntoskrnl_main_loop"));
    let wine = routine_exists(at, &WINE_MARKER);
    HOST_IS_WINE.store(wine, Ordering::Relaxed);
    host()
}

/// The host [`detect_host`] found (Windows until it ran). The behaviours that differ do not ask
/// this: each is a [`crate::host_switch::Switch`], run through [`crate::host_switch::branch`].
///
/// IRQL: any.
pub fn host() -> Host {
    if HOST_IS_WINE.load(Ordering::Relaxed) {
        Host::Wine
    } else {
        Host::Windows
    }
}

/// A driver's handling of requests through a value rather than a type: what
/// [`dispatch_request`] calls. A driver whose dispatch routines are not km's (a C driver
/// linking evshare as a library, with one value per evshare instance) implements it; a
/// [`Dispatch`] driver gets it through km's trampoline.
pub trait Requests {
    /// What is kept per open handle: see [`Dispatch::FileState`].
    type FileState: Sync + 'static;
    /// A fresh per-handle state: see [`Dispatch::new_file_state`].
    fn new_file_state(&self) -> Self::FileState;
    /// `IRP_MJ_CREATE`: see [`Dispatch::create`].
    fn create(&self, irp: Irp, at: &mut Passive) -> Completed;
    /// `IRP_MJ_CLEANUP`: see [`Dispatch::cleanup`].
    fn cleanup(&self, irp: Irp, at: &mut Passive) -> Completed;
    /// `IRP_MJ_CLOSE`: see [`Dispatch::close`].
    fn close(&self, irp: Irp, state: Option<&Self::FileState>, at: &mut Passive) -> Completed;
    /// `IRP_MJ_DEVICE_CONTROL`: see [`Dispatch::device_control`]; a request that is not
    /// this value's comes back untouched as `Err`.
    fn device_control(
        &self,
        irp: Irp,
        state: Option<&Self::FileState>,
        at: &mut Passive,
    ) -> Result<Completed, Irp>;
}

/// What [`dispatch_request`] did with one request.
pub enum Dispatched {
    /// Completed (or pended) with this status, which the dispatch routine returns.
    Completed(NtStatus),
    /// Not handled: a device-control request the [`Requests`] gave back, or a major function
    /// it does not handle. The IRP is the caller's to complete.
    Declined(Irp),
}

/// A [`Dispatch`] type as [`Requests`]: what km's own trampoline dispatches to.
struct ByType<D>(core::marker::PhantomData<D>);

impl<D: Dispatch> Requests for ByType<D> {
    type FileState = D::FileState;

    fn new_file_state(&self) -> D::FileState {
        D::new_file_state()
    }

    fn create(&self, irp: Irp, at: &mut Passive) -> Completed {
        D::create(irp, at)
    }

    fn cleanup(&self, irp: Irp, at: &mut Passive) -> Completed {
        D::cleanup(irp, at)
    }

    fn close(&self, irp: Irp, state: Option<&D::FileState>, at: &mut Passive) -> Completed {
        D::close(irp, state, at)
    }

    fn device_control(
        &self,
        irp: Irp,
        state: Option<&D::FileState>,
        at: &mut Passive,
    ) -> Result<Completed, Irp> {
        Ok(D::device_control(irp, state, at))
    }
}

/// Dispatches one request the I/O manager sent to `device`: km's fence device's requests are
/// answered here (under Wine, km must see every request of the driver), the others go to
/// `requests` (`None`: every request but the fence's is declined), with km's per-handle state
/// attached at create, lent to device control and freed after close.
///
/// # Safety
/// Called from a dispatch routine at `PASSIVE_LEVEL`, with the `device` and `irp` the I/O
/// manager passed it, after [`start_driver`] and before [`finish_unload`]. A declined IRP is the
/// caller's to complete.
///
/// IRQL: `PASSIVE_LEVEL`.
pub unsafe fn dispatch_request<R: Requests>(
    requests: Option<&R>,
    device: PDEVICE_OBJECT,
    irp: *mut IRP,
) -> Dispatched {
    let Some(raw) = NonNull::new(irp) else {
        return Dispatched::Completed(NtStatus::INVALID_PARAMETER);
    };
    crate::verifier::irp_received(raw.as_ptr() as usize);
    // SAFETY: the I/O manager hands us a valid IRP that is ours to complete (the caller's
    // contract).
    let irp = unsafe { Irp::from_raw(raw) };
    // SAFETY: the I/O manager calls dispatch routines at PASSIVE_LEVEL; the token stays here.
    let at = &mut unsafe { Passive::assume() };
    if crate::wine_fence::is_fence_device(device) {
        return Dispatched::Completed(crate::wine_fence::dispatch(irp).status());
    }
    let Some(requests) = requests else {
        return Dispatched::Declined(irp);
    };
    let completed = match irp.major_function() {
        IRP_MJ_CREATE => {
            handle_state::attach(&irp, requests.new_file_state());
            let file = irp.file_object();
            let completed = requests.create(irp, at);
            if !completed.status().is_success()
                && branch(Switch::FreeRefusedCreateState) == Host::Windows
            {
                // SAFETY: the file object of the CREATE being dispatched: the I/O manager
                // keeps it until this dispatch routine has returned.
                unsafe { handle_state::free_refused::<R::FileState>(file) };
            }
            Ok(completed)
        }
        IRP_MJ_CLEANUP => Ok(requests.cleanup(irp, at)),
        IRP_MJ_CLOSE => {
            let state = handle_state::detach::<R::FileState>(&irp);
            let completed =
                requests.close(irp, state.as_ref().map(|detached| detached.state()), at);
            drop(state);
            Ok(completed)
        }
        IRP_MJ_DEVICE_CONTROL => {
            // SAFETY: the reference lives for this dispatch routine only, which handles a
            // request on the handle and so never overlaps with its IRP_MJ_CLOSE (when the
            // state is detached and freed). Its type is the one `R` declares.
            let state = unsafe { handle_state::get::<R::FileState>(&irp) };
            requests.device_control(irp, state, at)
        }
        _ => Err(irp),
    };
    // Under Wine: one fence for the parked IRPs this request completed, if any.
    crate::wine_fence::after_dispatch(at);
    match completed {
        Ok(completed) => Dispatched::Completed(completed.status()),
        Err(irp) => Dispatched::Declined(irp),
    }
}

unsafe extern "system" fn dispatch_trampoline<D: Dispatch>(
    device: PDEVICE_OBJECT,
    irp: *mut IRP,
) -> NTSTATUS {
    // SAFETY: forwarded from the I/O manager's call of this dispatch routine.
    match unsafe { dispatch_request(Some(&ByType::<D>(core::marker::PhantomData)), device, irp) } {
        Dispatched::Completed(status) => status.raw(),
        // A major function the driver does not handle (a `Dispatch` never declines a device
        // control request).
        Dispatched::Declined(irp) => irp
            .complete(NtStatus::INVALID_DEVICE_REQUEST, 0)
            .status()
            .raw(),
    }
}

unsafe extern "system" fn unload_trampoline<D: Dispatch>(_driver: *mut DRIVER_OBJECT) {
    // SAFETY: the I/O manager calls DriverUnload at PASSIVE_LEVEL; the token stays here.
    let at = &mut unsafe { Passive::assume() };
    D::unload(at);
    finish_unload(at);
}

/// km's part of `DriverUnload`, after the driver's own (its devices deleted): frees the state
/// of handles still open (Wine unloads with handles open), stops the Wine fence device, and
/// runs the verifier build's checks at unload.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn finish_unload(at: &mut Passive) {
    let freed = handle_state::free_all_at_unload();
    if freed > 0 {
        crate::log!(
            Info,
            "freed the state of {} handle(s) still open at unload",
            freed
        );
    }
    crate::wine_fence::stop(at);
    crate::verifier::at_unload();
}

/// km's part of `DriverEntry`, before the driver's own code: records `identity` (before
/// anything allocates or logs), detects the host and, under Wine, starts the fence device
/// ([`crate::wine_fence`]). [`run_entry`] calls it; a driver whose `DriverEntry` is not km's
/// calls it first thing, and [`abandon_start`] if its own part then fails.
///
/// # Safety
/// `driver` is the driver object the kernel passed to `DriverEntry`, which is running.
///
/// IRQL: `PASSIVE_LEVEL` (`DriverEntry`).
pub unsafe fn start_driver(
    driver: NonNull<DRIVER_OBJECT>,
    identity: crate::identity::Identity,
    at: &mut Passive,
) -> DriverObject {
    crate::identity::set(identity);
    let mut driver = DriverObject { raw: driver };
    detect_host(at);
    crate::host_switch::log_forced();
    if branch(Switch::WineFence) == Host::Wine {
        crate::wine_fence::start(&mut driver, at);
    }
    driver
}

/// Undoes [`start_driver`] when the driver's own part of `DriverEntry` failed (the load fails,
/// and `DriverUnload` will not run).
///
/// IRQL: `PASSIVE_LEVEL` (`DriverEntry`).
pub fn abandon_start(at: &mut Passive) {
    crate::wine_fence::stop(at);
}

/// The body of `DriverEntry`; called by the function [`crate::driver_entry!`] writes.
///
/// # Safety
/// `driver` is the driver object the kernel passed to `DriverEntry`.
///
/// IRQL: `PASSIVE_LEVEL` (`DriverEntry`).
pub unsafe fn run_entry<D: Dispatch>(driver: *mut DRIVER_OBJECT) -> NTSTATUS {
    let Some(raw) = NonNull::new(driver) else {
        return NtStatus::INVALID_PARAMETER.raw();
    };
    // SAFETY: during DriverEntry the driver object is ours to fill in.
    let object = unsafe { &mut *raw.as_ptr() };
    for major in [
        IRP_MJ_CREATE,
        IRP_MJ_CLEANUP,
        IRP_MJ_CLOSE,
        IRP_MJ_DEVICE_CONTROL,
    ] {
        // `get_mut`: the optimiser keeps the bounds check of an index into the table (the
        // majors are constants, but it does not see through the loop), and with it a panic.
        if let Some(slot) = object.MajorFunction.get_mut(usize::from(major)) {
            *slot = Some(dispatch_trampoline::<D>);
        }
    }
    object.DriverUnload = Some(unload_trampoline::<D>);
    // SAFETY: the kernel calls DriverEntry at PASSIVE_LEVEL; the token stays here.
    let at = &mut unsafe { Passive::assume() };
    // SAFETY: `raw` is the driver object of the running DriverEntry.
    let mut driver = unsafe { start_driver(raw, D::IDENTITY, at) };
    match D::entry(&mut driver, at) {
        Ok(()) => NtStatus::SUCCESS.raw(),
        Err(status) => {
            abandon_start(at);
            status.raw()
        }
    }
}

/// Writes the driver's `DriverEntry` for a type implementing [`Dispatch`].
#[macro_export]
macro_rules! driver_entry {
    ($driver:ty) => {
        /// The kernel's entry point into this driver.
        ///
        /// # Safety
        /// Called once by the kernel with its driver object.
        #[no_mangle]
        pub unsafe extern "system" fn DriverEntry(
            driver: *mut $crate::sys::DRIVER_OBJECT,
            _registry_path: *mut $crate::sys::UNICODE_STRING,
        ) -> i32 {
            // SAFETY: forwarded from the kernel's call.
            unsafe { $crate::driver::run_entry::<$driver>(driver) }
        }
    };
}
