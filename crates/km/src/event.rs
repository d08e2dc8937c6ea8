//! Events shared with user mode: opened by name (`ZwOpenEvent`), held by a referenced object
//! pointer (`ObReferenceObjectByHandle` with `ExEventObjectType`), signalled with `KeSetEvent`.
//!
//! The reference, not a handle, is what the driver keeps: it is valid in any process context,
//! including DPCs, and is dropped with `ObfDereferenceObject`.

use crate::handle::KernelHandle;
use crate::host_switch::{branch, Host, Switch};
use crate::irql::Passive;
use crate::status::NtStatus;
use crate::sys::imports::{
    ExEventObjectType, KeSetEvent, ObReferenceObjectByHandle, ObfDereferenceObject,
    ObfReferenceObject, ZwOpenEvent, ZwSetEvent,
};
use crate::sys::{
    EVENT_MODIFY_STATE, HANDLE, IO_NO_INCREMENT, KERNEL_MODE, KEVENT, OBJECT_ATTRIBUTES,
    OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE,
};
use crate::unicode::UnicodeStr;
use core::ptr::NonNull;

/// A referenced kernel event object.
pub struct EventRef {
    object: NonNull<KEVENT>,
}

// SAFETY: a referenced object pointer is valid on any thread until dereferenced.
unsafe impl Send for EventRef {}
// SAFETY: KeSetEvent may be called concurrently on one event.
unsafe impl Sync for EventRef {}

/// How to open an event by name.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenOptions {
    /// Add `OBJ_FORCE_ACCESS_CHECK`, so the open is checked against the requesting user's
    /// access as if they had opened it themselves.
    pub force_access_check: bool,
}

impl EventRef {
    /// Opens the existing event at the full NT path `name` and references it. Never creates an
    /// event: a missing name is `STATUS_OBJECT_NAME_NOT_FOUND` (or `..._PATH_NOT_FOUND`), an
    /// object of another type is `STATUS_OBJECT_TYPE_MISMATCH`.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn open(
        at: &Passive,
        name: &UnicodeStr<'_>,
        options: OpenOptions,
    ) -> Result<Self, NtStatus> {
        let handle = open_event_handle(at, name, options)?;
        Self::reference(at, &handle)
    }

    /// References the event behind a kernel handle, checking that it is an event.
    ///
    /// IRQL: `<= APC_LEVEL`.
    pub fn reference(_at: &Passive, handle: &KernelHandle) -> Result<Self, NtStatus> {
        let mut object = core::ptr::null_mut();
        // SAFETY: reading an imported kernel variable that is set before drivers load.
        let event_type = unsafe { ExEventObjectType };
        // SAFETY: `handle` is a valid kernel handle; `object` is a valid out pointer. KernelMode
        // is right for a kernel handle (UserMode is unimplemented under Wine anyway).
        let status = unsafe {
            ObReferenceObjectByHandle(
                handle.as_raw(),
                EVENT_MODIFY_STATE,
                event_type,
                KERNEL_MODE,
                &mut object,
                core::ptr::null_mut(),
            )
        };
        NtStatus::from_raw(status).ok()?;
        let object = NonNull::new(object.cast::<KEVENT>()).ok_or(NtStatus::UNSUCCESSFUL)?;
        crate::verifier::reference_taken();
        // INVARIANT: we now own one reference to `object`.
        Ok(EventRef { object })
    }

    /// Signals the event (`KeSetEvent` with `Wait = FALSE`, which is what makes it legal at
    /// `DISPATCH_LEVEL`, e.g. from a DPC). Returns whether it was already signalled.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn set(&self) -> bool {
        // SAFETY: INVARIANT: we hold a reference, so the object is alive; Wait = FALSE.
        unsafe { KeSetEvent(self.object.as_ptr(), i32::from(IO_NO_INCREMENT), 0) != 0 }
    }

    /// The object's address, for diagnostics and identity checks.
    pub fn address(&self) -> usize {
        self.object.as_ptr() as usize
    }
}

/// `ZwOpenEvent` with `EVENT_MODIFY_STATE`, as a kernel handle.
///
/// IRQL: `PASSIVE_LEVEL`.
fn open_event_handle(
    _at: &Passive,
    name: &UnicodeStr<'_>,
    options: OpenOptions,
) -> Result<KernelHandle, NtStatus> {
    let mut attributes = OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE;
    if options.force_access_check {
        attributes |= crate::sys::OBJ_FORCE_ACCESS_CHECK;
    }
    let oa = OBJECT_ATTRIBUTES {
        Length: core::mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
        RootDirectory: core::ptr::null_mut(),
        ObjectName: name.as_raw(),
        Attributes: attributes,
        SecurityDescriptor: core::ptr::null_mut(),
        SecurityQualityOfService: core::ptr::null_mut(),
    };
    let mut raw: HANDLE = core::ptr::null_mut();
    // SAFETY: `oa` and `name` outlive the call; `raw` is a valid out pointer.
    NtStatus::from_raw(unsafe { ZwOpenEvent(&mut raw, EVENT_MODIFY_STATE, &oa) }).ok()?;
    // SAFETY: ZwOpenEvent succeeded, so `raw` is a kernel handle we own.
    Ok(unsafe { KernelHandle::from_raw(raw) })
}

impl Clone for EventRef {
    fn clone(&self) -> Self {
        // SAFETY: we hold a reference, so adding another is valid.
        unsafe { ObfReferenceObject(self.object.as_ptr().cast()) };
        crate::verifier::reference_taken();
        EventRef {
            object: self.object,
        }
    }
}

impl Drop for EventRef {
    fn drop(&mut self) {
        // SAFETY: INVARIANT: we own exactly one reference and give it back once.
        unsafe { ObfDereferenceObject(self.object.as_ptr().cast()) };
        crate::verifier::reference_given();
    }
}

/// Where a [`SharedEvent`] came from, which decides how Wine can signal it (one
/// [`Switch`] each: see their verdicts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The app's event, opened by name with `EVENT_MODIFY_STATE` and the caller's access
    /// checked.
    OpenedByName,
    /// The app's event, from a handle of the app's (only the handle's access was checked).
    AppHandle,
    /// An event the driver created, with its own descriptor.
    Created,
}

impl Source {
    fn switch(self) -> Switch {
        match self {
            Source::OpenedByName => Switch::SetEventOpenedByName,
            Source::AppHandle => Switch::SetEventFromAppHandle,
            Source::Created => Switch::SetCreatedEvent,
        }
    }
}

/// An event the driver signals: a referenced object plus a kernel handle to it with
/// `EVENT_MODIFY_STATE`, and where it came from.
///
/// **Host switch** (the one place signalling differs; [`Switch::SetEventOpenedByName`],
/// [`Switch::SetEventFromAppHandle`], [`Switch::SetCreatedEvent`]): on Windows,
/// [`SharedEvent::set`] is `KeSetEvent` on the object, legal at `DISPATCH_LEVEL` (so from a
/// DPC). Under Wine it is `ZwSetEvent` on the kept handle: Wine's `KeSetEvent` on such an
/// object re-opens it by pointer with an access check against its descriptor (which denies the
/// driver when the descriptor admits the user with `SYNCHRONIZE` only, because winedevice runs
/// as that same user), and costs three wineserver round trips where `ZwSetEvent` costs one.
/// Wine has no IRQL, and its DPCs run on ordinary threads of winedevice, where the handle is
/// valid. For an event opened by name the check cannot fail, so the `windows-branches` build
/// signals it with `KeSetEvent` under Wine too.
///
/// The handle also keeps a named event's name alive while the driver holds it.
pub struct SharedEvent {
    object: EventRef,
    handle: KernelHandle,
    source: Source,
}

impl SharedEvent {
    /// Opens the existing event at the full NT path `name` (see [`EventRef::open`]).
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn open(
        at: &Passive,
        name: &UnicodeStr<'_>,
        options: OpenOptions,
    ) -> Result<Self, NtStatus> {
        let handle = open_event_handle(at, name, options)?;
        Self::adopt(at, handle, Source::OpenedByName)
    }

    /// Adopts a kernel handle duplicated from an app's handle (it must grant
    /// `EVENT_MODIFY_STATE`), checking that the object is an event.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn from_app_handle(at: &Passive, handle: KernelHandle) -> Result<Self, NtStatus> {
        Self::adopt(at, handle, Source::AppHandle)
    }

    /// Adopts the handle [`create_event`] returned, checking that the object is an event.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn from_created(at: &Passive, handle: KernelHandle) -> Result<Self, NtStatus> {
        Self::adopt(at, handle, Source::Created)
    }

    fn adopt(at: &Passive, handle: KernelHandle, source: Source) -> Result<Self, NtStatus> {
        let object = EventRef::reference(at, &handle)?;
        Ok(SharedEvent {
            object,
            handle,
            source,
        })
    }

    /// The kernel handle the driver keeps (e.g. to duplicate into an app's process).
    pub fn kernel_handle(&self) -> &KernelHandle {
        &self.handle
    }

    /// Signals the event; returns `false` if the kernel refused (only possible under Wine).
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn set(&self) -> bool {
        match branch(self.source.switch()) {
            Host::Windows => {
                self.object.set();
                true
            }
            Host::Wine => {
                let mut previous = 0i32;
                // ZwSetEvent needs PASSIVE_LEVEL and this runs in DPCs: fine only because
                // Windows never takes this branch and Wine has no IRQL (the verifier counts it
                // as Wine-only rather than checking it).
                let status = crate::verifier::wine_branch(|| {
                    // SAFETY: the handle is a valid kernel handle with EVENT_MODIFY_STATE.
                    unsafe { ZwSetEvent(self.handle.as_raw(), &mut previous) }
                });
                NtStatus::from_raw(status).is_success()
            }
        }
    }
}

/// How a created event resets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// `SynchronizationEvent`: a wait consumes the signal.
    AutoReset,
    /// `NotificationEvent`: stays signalled until reset.
    ManualReset,
}

/// Creates a new event (`ZwCreateEvent`), unsignalled, and returns a kernel handle with full
/// access. With a name, an existing object of that name is an error
/// (`STATUS_OBJECT_NAME_COLLISION`): the driver never adopts an object someone else made.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn create_event(
    _at: &Passive,
    name: Option<&UnicodeStr<'_>>,
    kind: EventKind,
    security: Option<&crate::security::UserOnlyDescriptor>,
) -> Result<KernelHandle, NtStatus> {
    use crate::sys::imports::ZwCreateEvent;
    use crate::sys::{EVENT_ALL_ACCESS, NOTIFICATION_EVENT, SYNCHRONIZATION_EVENT};
    let oa = OBJECT_ATTRIBUTES {
        Length: core::mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
        RootDirectory: core::ptr::null_mut(),
        ObjectName: name.map_or(core::ptr::null(), |n| n.as_raw()),
        Attributes: OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE,
        SecurityDescriptor: security.map_or(core::ptr::null_mut(), |s| s.as_raw()),
        SecurityQualityOfService: core::ptr::null_mut(),
    };
    let event_type = match kind {
        EventKind::AutoReset => SYNCHRONIZATION_EVENT,
        EventKind::ManualReset => NOTIFICATION_EVENT,
    };
    let mut raw: HANDLE = core::ptr::null_mut();
    // SAFETY: `oa`, the name and the descriptor outlive the call; `raw` is a valid out pointer.
    let status = unsafe { ZwCreateEvent(&mut raw, EVENT_ALL_ACCESS, &oa, event_type, 0) };
    NtStatus::from_raw(status).ok()?;
    // SAFETY: ZwCreateEvent succeeded, so `raw` is a kernel handle we own.
    Ok(unsafe { KernelHandle::from_raw(raw) })
}
