//! The C API: every item here is in `include/evshare_kernel.h` (cbindgen writes it from this
//! file; `tests/header.rs` fails when the committed header is not what cbindgen writes now).
//!
//! Each function says the IRQL it may be called at; every one but `evshare_publish` wants
//! `PASSIVE_LEVEL`. Pointers to the C driver's own data (names, the log prefix, instance
//! storage) must stay valid until the image unloads: the C driver keeps them `static`.
#![allow(non_camel_case_types)]

use crate::instance::{self, ChannelSpec, Instance, Started};
use core::ffi::{c_char, c_void};
use core::mem::{align_of, size_of};
use core::ptr::NonNull;
use evshare_kernel::{IoctlSpace, PublishError};
use evshare_km::driver::{self, Dispatched};
use evshare_km::identity::Identity;
use evshare_km::irql::{DispatchLevel, Passive};
use evshare_km::sys::{DEVICE_OBJECT, DRIVER_OBJECT, IRP, NTSTATUS};
use evshare_km::{log, NtStatus};
use evshare_protocol::channel;

/// The size of an `EVSHARE_INSTANCE`, in 64-bit words: the instance's size (17.3 KiB when
/// written: channels hold handles' inverted calls too) and some room to grow without changing
/// the header, checked when this library is built.
pub const EVSHARE_INSTANCE_WORDS: usize = 2560;

/// The most channels one instance declares.
pub const EVSHARE_MAX_CHANNELS: u32 = 8;

/// The longest channel name, in bytes (without the NUL).
pub const EVSHARE_MAX_CHANNEL_NAME: u32 = 32;

/// The longest payload a ring subscriber can be sent on a channel, in bytes.
pub const EVSHARE_MAX_RING_PAYLOAD: u32 = 46;

const _: () = assert!(size_of::<Instance>() <= size_of::<EVSHARE_INSTANCE>());
const _: () = assert!(align_of::<Instance>() <= align_of::<EVSHARE_INSTANCE>());
const _: () = assert!(EVSHARE_MAX_CHANNELS as usize == channel::MAX_CHANNELS);
const _: () = assert!(EVSHARE_MAX_CHANNEL_NAME as usize == channel::MAX_NAME_LEN);
const _: () = assert!(EVSHARE_MAX_RING_PAYLOAD as usize == channel::MAX_RING_PAYLOAD);

/// Storage for one evshare instance. Opaque: the C driver declares it `static` (so it starts
/// zeroed), passes its address to every call, and never reads or writes it.
#[repr(C)]
pub struct EVSHARE_INSTANCE {
    opaque: [u64; EVSHARE_INSTANCE_WORDS],
}

/// One channel the driver publishes on.
#[repr(C)]
pub struct EVSHARE_CHANNEL {
    /// NUL-terminated, 1 to `EVSHARE_MAX_CHANNEL_NAME` of `A-Z a-z 0-9 . _ -`, unique within
    /// the instance: what apps subscribe by.
    pub name: *const c_char,
    /// The longest payload the driver publishes on it, in bytes (ring subscribers need it
    /// at most `EVSHARE_MAX_RING_PAYLOAD`).
    pub max_payload: u32,
}

/// An instance's configuration.
#[repr(C)]
pub struct EVSHARE_CONFIG {
    /// The device type of the driver's device (`0x8000`..`0xFFFF`): evshare's IOCTL codes use
    /// it.
    pub device_type: u32,
    /// The first IOCTL function number of evshare's (`0x800`..`0xFC0`); evshare keeps the
    /// 64 from there, the driver's own codes go elsewhere.
    pub function_base: u32,
    /// `channel_count` channels (NULL when 0).
    pub channels: *const EVSHARE_CHANNEL,
    /// At most `EVSHARE_MAX_CHANNELS`.
    pub channel_count: u32,
}

/// What one `evshare_publish` did.
#[repr(C)]
pub struct EVSHARE_PUBLISHED {
    /// Subscribers the payload went to.
    pub subscribers: u32,
    /// Ring subscribers whose ring was full: the record was dropped (and counted) there.
    pub dropped: u32,
}

/// Called by `evshare_instance_unload` once requests have stopped, to delete the devices that
/// forward to the instance (their symbolic links first), at `PASSIVE_LEVEL`.
pub type EVSHARE_REMOVE_DEVICES = Option<unsafe extern "C" fn(context: *mut c_void)>;

/// `DriverEntry`'s first call: records the driver's pool tag and log prefix (every
/// allocation and log line of evshare's carries them), detects the host (Windows or Wine),
/// and under Wine creates km's fence device, whose requests `evshare_dispatch` answers.
/// `pool_tag` as `ExAllocatePoolWithTag` takes it (`EVSHARE_POOL_TAG('E','v','S','C')`);
/// `log_prefix` a static string. Returns `STATUS_SUCCESS`, or `STATUS_INVALID_PARAMETER`
/// for a NULL argument.
///
/// IRQL: `PASSIVE_LEVEL` (`DriverEntry`).
///
/// # Safety
/// `driver` is the driver object `DriverEntry` got; `log_prefix` is NUL-terminated and static.
#[no_mangle]
pub unsafe extern "C" fn evshare_driver_init(
    driver: *mut DRIVER_OBJECT,
    pool_tag: u32,
    log_prefix: *const c_char,
) -> NTSTATUS {
    let Some(driver) = NonNull::new(driver) else {
        return NtStatus::INVALID_PARAMETER.raw();
    };
    // SAFETY: the caller's contract: a static string.
    let Some(log_prefix) = (unsafe { instance::static_prefix(log_prefix) }) else {
        return NtStatus::INVALID_PARAMETER.raw();
    };
    let identity = Identity {
        pool_tag,
        log_prefix,
    };
    // SAFETY: DriverEntry runs at PASSIVE_LEVEL; the token stays in this call.
    let at = &mut unsafe { Passive::assume() };
    // SAFETY: the driver object of the running DriverEntry (the caller's contract).
    let _driver = unsafe { driver::start_driver(driver, identity, at) };
    log!(Info, "evshare (C API) loaded on {:?}", driver::host());
    log!(Info, "built with features: {}", crate::features::Enabled);
    NtStatus::SUCCESS.raw()
}

/// Undoes `evshare_driver_init` when the rest of `DriverEntry` failed (the load fails, and
/// `DriverUnload` will not run). Unload any instance started before.
///
/// IRQL: `PASSIVE_LEVEL` (`DriverEntry`).
#[no_mangle]
pub extern "C" fn evshare_driver_abandon() {
    // SAFETY: DriverEntry runs at PASSIVE_LEVEL; the token stays in this call.
    let at = &mut unsafe { Passive::assume() };
    driver::abandon_start(at);
}

/// Starts the instance in `instance` (zeroed static storage) with `config`: call it in
/// `DriverEntry` before the device that forwards to it exists. Returns `STATUS_SUCCESS`;
/// `STATUS_INVALID_PARAMETER` for an IOCTL space out of range, too many channels, or a
/// channel name that is missing, too long, badly formed or used twice;
/// `STATUS_INVALID_DEVICE_STATE` for an instance started before. After a failure the storage
/// may be started again.
///
/// IRQL: `PASSIVE_LEVEL`.
///
/// # Safety
/// `instance` is static storage used for nothing else; `config` and its channels are
/// readable for the call (they are copied).
#[no_mangle]
pub unsafe extern "C" fn evshare_instance_start(
    instance: *mut EVSHARE_INSTANCE,
    config: *const EVSHARE_CONFIG,
) -> NTSTATUS {
    // SAFETY: the caller's contract: NULL or readable.
    let Some(config) = (unsafe { config.as_ref() }) else {
        return NtStatus::INVALID_PARAMETER.raw();
    };
    let Ok(space) = IoctlSpace::new(config.device_type, config.function_base) else {
        log!(
            Error,
            "IOCTL space refused: device type {:#x}, function base {:#x}",
            config.device_type,
            config.function_base
        );
        return NtStatus::INVALID_PARAMETER.raw();
    };
    let count = config.channel_count as usize;
    if count > channel::MAX_CHANNELS || (count > 0 && config.channels.is_null()) {
        return NtStatus::INVALID_PARAMETER.raw();
    }
    let mut specs = [const {
        ChannelSpec {
            name: &[],
            max_payload: 0,
        }
    }; channel::MAX_CHANNELS];
    for (index, spec) in specs.iter_mut().take(count).enumerate() {
        // SAFETY: `index < channel_count`, which the caller's array holds.
        let declared = unsafe { &*config.channels.wrapping_add(index) };
        // SAFETY: the caller's contract: a NUL-terminated name (read at most one byte past
        // the longest allowed).
        let Some(name) = (unsafe { instance::name_bytes(declared.name) }) else {
            log!(Error, "channel {} has no name, or one too long", index);
            return NtStatus::INVALID_PARAMETER.raw();
        };
        *spec = ChannelSpec {
            name,
            max_payload: declared.max_payload,
        };
    }
    // SAFETY: DriverEntry runs at PASSIVE_LEVEL; the token stays in this call.
    let at = &mut unsafe { Passive::assume() };
    let declared = specs.get(..count).unwrap_or(&[]);
    // SAFETY: the caller's contract: static storage of EVSHARE_INSTANCE's size and alignment
    // (which hold an `Instance`: checked above), used for nothing else.
    match unsafe { Instance::start(instance.cast(), space, declared, at) } {
        Ok(()) => NtStatus::SUCCESS.raw(),
        Err(status) => status.raw(),
    }
}

/// Handles one request the I/O manager sent to `device`, if it is evshare's: create, cleanup
/// and close of the instance's device, its IOCTLs, and every request of km's fence device
/// (Wine). Returns true when it handled the request (completed or pended it) and stored the
/// status the dispatch routine must return in `*status`; false when the IRP is untouched and
/// the driver's to complete (its own IOCTLs, other major functions). Call it first in each
/// dispatch routine, with the instance that owns `device` (NULL: only the fence device's
/// requests are handled). Requests to an instance not started are declined.
///
/// IRQL: `PASSIVE_LEVEL` (dispatch routines).
///
/// # Safety
/// `device` and `irp` are the dispatch routine's arguments; `instance` is NULL or an instance's
/// storage; `status` is writable.
#[no_mangle]
pub unsafe extern "C" fn evshare_dispatch(
    instance: *mut EVSHARE_INSTANCE,
    device: *mut DEVICE_OBJECT,
    irp: *mut IRP,
    status: *mut NTSTATUS,
) -> bool {
    // SAFETY: the caller's contract: NULL or an instance's static storage.
    let started = unsafe { Instance::get(instance.cast()) }.map(Started);
    // SAFETY: the dispatch routine's arguments, at PASSIVE_LEVEL (the caller's contract).
    match unsafe { driver::dispatch_request(started.as_ref(), device, irp) } {
        Dispatched::Completed(completed) => {
            if !status.is_null() {
                // SAFETY: the caller's contract: writable.
                unsafe { status.write(completed.raw()) };
            }
            true
        }
        Dispatched::Declined(irp) => {
            // The caller completes it: km lets go of it untouched.
            let _ = irp.into_raw();
            false
        }
    }
}

/// Publishes `length` bytes at `payload` on the instance's channel number `channel` (its index
/// in `EVSHARE_CONFIG::channels`): every subscribed registration gets it. Never waits; callable
/// from any context at `IRQL <= DISPATCH_LEVEL` (a DPC), concurrently. `published` (may be
/// NULL) receives what it did. Returns `STATUS_SUCCESS`; `STATUS_INVALID_PARAMETER` for no
/// such channel or a NULL payload with a length; `STATUS_BUFFER_OVERFLOW` for a payload longer
/// than the channel's `max_payload` (nothing is sent); `STATUS_INVALID_DEVICE_STATE` for an
/// instance not started.
///
/// IRQL: `<= DISPATCH_LEVEL`.
///
/// # Safety
/// `instance` is NULL or an instance's storage; `payload` is readable for `length` bytes;
/// `published` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn evshare_publish(
    instance: *mut EVSHARE_INSTANCE,
    channel: u32,
    payload: *const c_void,
    length: usize,
    published: *mut EVSHARE_PUBLISHED,
) -> NTSTATUS {
    // SAFETY: the caller's contract: NULL or an instance's static storage.
    let Some(instance) = (unsafe { Instance::get(instance.cast()) }) else {
        return NtStatus::from_u32(instance::STATUS_INVALID_DEVICE_STATE).raw();
    };
    let bytes: &[u8] = match (payload.is_null(), length) {
        (_, 0) => &[],
        (true, _) => return NtStatus::INVALID_PARAMETER.raw(),
        // SAFETY: the caller's contract: readable for `length` bytes.
        (false, _) => unsafe { core::slice::from_raw_parts(payload.cast::<u8>(), length) },
    };
    // SAFETY: the caller runs at DISPATCH_LEVEL or below and holds no token of ours.
    let at = &mut unsafe { DispatchLevel::assume() };
    let Some(channel) = instance.channel(channel) else {
        return NtStatus::INVALID_PARAMETER.raw();
    };
    // The verifier build checks what publishing calls as from a DPC, the highest IRQL allowed
    // here: the C driver's DPC is its own, not km's trampoline, which would say so itself.
    evshare_km::verifier::dpc_enter();
    let result = instance.evshare().publish(at, channel, bytes);
    evshare_km::verifier::dpc_leave();
    match result {
        Ok(done) => {
            if !published.is_null() {
                // SAFETY: the caller's contract: writable.
                unsafe {
                    published.write(EVSHARE_PUBLISHED {
                        subscribers: done.subscribers,
                        dropped: done.dropped,
                    })
                };
            }
            NtStatus::SUCCESS.raw()
        }
        Err(PublishError::NoSuchChannel) => NtStatus::INVALID_PARAMETER.raw(),
        Err(PublishError::TooLong { .. }) => NtStatus::BUFFER_OVERFLOW.raw(),
    }
}

/// `DriverUnload`'s part for one instance: refuses new requests and waits for those in flight,
/// cancels its pended IRPs and retires its registrations, calls `remove_devices(context)` (may
/// be NULL: then delete the devices after this returns), and waits for closes still running.
/// Call it before `evshare_driver_unload`, after stopping whatever publishes (a timer: cancel it
/// and `KeFlushQueuedDpcs`). Returns true when it unloaded, false for an instance never started
/// or unloaded before.
///
/// IRQL: `PASSIVE_LEVEL`.
///
/// # Safety
/// `instance` is NULL or an instance's storage; `remove_devices` is NULL or callable with
/// `context`.
#[no_mangle]
pub unsafe extern "C" fn evshare_instance_unload(
    instance: *mut EVSHARE_INSTANCE,
    remove_devices: EVSHARE_REMOVE_DEVICES,
    context: *mut c_void,
) -> bool {
    // SAFETY: the caller's contract: NULL or an instance's static storage.
    let Some(instance) = (unsafe { Instance::get(instance.cast()) }) else {
        return false;
    };
    // SAFETY: DriverUnload runs at PASSIVE_LEVEL; the token stays in this call.
    let at = &mut unsafe { Passive::assume() };
    instance.unload(at, |_at| {
        if let Some(remove) = remove_devices {
            // SAFETY: the caller's contract.
            unsafe { remove(context) };
        }
    })
}

/// `DriverUnload`'s last call, after every instance's `evshare_instance_unload` and once the
/// driver's devices are deleted: frees what km keeps for handles still open (Wine unloads with
/// handles open) and deletes the fence device.
///
/// IRQL: `PASSIVE_LEVEL` (`DriverUnload`).
#[no_mangle]
pub extern "C" fn evshare_driver_unload() {
    // SAFETY: DriverUnload runs at PASSIVE_LEVEL; the token stays in this call.
    let at = &mut unsafe { Passive::assume() };
    driver::finish_unload(at);
}
