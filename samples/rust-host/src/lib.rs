//! `evshare_sample_rust.sys`: a sample Rust driver that embeds evshare, as a driver writer
//! would start one. It has a device of its own (`\Device\EvshareSampleRust`, link
//! `\DosDevices\EvshareSampleRust`, device type `0x9A11`), an IOCTL of its own
//! ([`own_ioctl::IOCTL_SAMPLE_QUERY_TICKS`]), a simulated device whose 2 Hz timer DPC stands in
//! for an interrupt's DPC ([`simulated`]), a second IOCTL that publishes a burst of payloads at
//! once ([`burst::IOCTL_SAMPLE_BURST`]), and one [`Evshare`] instance whose IOCTLs live in
//! the space `IoctlSpace::new(0x9A11, 0x900)` of the same device. Every request goes first to
//! the instance; what it gives back is the sample's own, or unknown.
//!
//! A second device (`\Device\EvshareSampleRust2`, link `\DosDevices\EvshareSampleRust2`)
//! serves a second instance, `EVSHARE2`, with one channel of its own: one instance per
//! device, each request routed by the device it targets ([`devices`]).
//!
//! - [`own_ioctl`]: the sample's device type and its first IOCTL (the tick count).
//! - [`burst`]: its second IOCTL, a burst of payloads on `sample.burst` (loss on demand).
//! - [`simulated`]: the simulated device (a km timer and its DPC).
//! - [`channels`]: the evshare channels (the DPC's tick count, status line and detailed line;
//!   the bursts' sequence numbers; the second instance's tick count).
//! - [`devices`]: the two devices, each with its instance, and how a request finds its own.
// The driver only exists for Windows targets; on the host the crate is empty (and so needs
// `std`'s panic machinery), which keeps `cargo check --workspace` working on Linux.
#![cfg_attr(target_os = "windows", no_std)]
#![cfg(target_os = "windows")]

pub mod burst;
pub mod channels;
pub mod devices;
pub mod own_ioctl;
pub mod simulated;

use channels::{Publisher, CHANNELS, SECOND_CHANNELS};
use devices::HostedDevice;
use evshare_kernel::{Config, Evshare, HandleState, IoctlSpace, Quotas};
use evshare_km::driver::{Dispatch, DriverObject};
use evshare_km::identity::Identity;
use evshare_km::irp::{Completed, Irp};
use evshare_km::irql::Passive;
use evshare_km::{log, utf16, NtStatus};
use own_ioctl::{EVSHARE_FUNCTION_BASE, FILE_DEVICE_SAMPLE};

/// Where evshare's IOCTLs live on this device: its device type, functions from `0x900`.
const SPACE: IoctlSpace = match IoctlSpace::new(FILE_DEVICE_SAMPLE, EVSHARE_FUNCTION_BASE) {
    Ok(space) => space,
    // Evaluated at compile time: a bad space fails the build, never a request.
    Err(_) => panic!("the sample's IOCTL space is outside the custom ranges"),
};

/// The evshare instance this driver hosts: its own space, the default quotas, four channels.
static EVSHARE: Evshare = Evshare::new(Config {
    space: SPACE,
    quotas: Quotas::DEFAULT,
    channels: CHANNELS,
});

/// A second instance, behind a second device: the same space (apps tell the instances apart
/// by the device they open, not by the codes), one channel of its own.
static EVSHARE2: Evshare = Evshare::new(Config {
    space: SPACE,
    quotas: Quotas::DEFAULT,
    channels: SECOND_CHANNELS,
});

/// The main device, serving `EVSHARE` and the sample's own IOCTLs.
static MAIN: HostedDevice = HostedDevice::new(
    utf16!(r"\Device\EvshareSampleRust"),
    utf16!(r"\DosDevices\EvshareSampleRust"),
    &EVSHARE,
);

/// The second device, serving `EVSHARE2` only.
static SECOND: HostedDevice = HostedDevice::new(
    utf16!(r"\Device\EvshareSampleRust2"),
    utf16!(r"\DosDevices\EvshareSampleRust2"),
    &EVSHARE2,
);

/// The device `irp` was sent to (`None`: not one of ours; km answers its own fence device itself).
fn device_of(irp: &Irp) -> Option<&'static HostedDevice> {
    [&MAIN, &SECOND]
        .into_iter()
        .find(|device| device.serves(irp))
}

/// A request for a device the sample does not know: refused, counted by no instance.
fn not_ours(irp: Irp) -> Completed {
    irp.complete(NtStatus::INVALID_DEVICE_REQUEST, 0)
}

/// `IRP_MJ_DEVICE_CONTROL` for a device other than the main one: the second device's requests
/// go to its instance, which refuses the rest (the second device has no IOCTLs of its own).
fn second_device_control(irp: Irp, state: Option<&HandleState>, at: &mut Passive) -> Completed {
    if !SECOND.serves(&irp) {
        return not_ours(irp);
    }
    match EVSHARE2.device_control(irp, state, at) {
        Ok(completed) => completed,
        Err(irp) => EVSHARE2.refuse_unknown(irp),
    }
}

/// The cargo features of this image, logged at load so the harness can tell which build runs.
const FEATURES: &str = if cfg!(all(feature = "verifier", feature = "windows-branches")) {
    "verifier, windows-branches"
} else if cfg!(feature = "verifier") {
    "verifier"
} else if cfg!(feature = "windows-branches") {
    "windows-branches"
} else {
    "none"
};

/// The driver, as the kernel sees it.
struct Sample;

impl Dispatch for Sample {
    const IDENTITY: Identity = Identity::new(*b"EvSR", c"evshare-sample-rust");
    // Only evshare's per-handle state: the sample keeps nothing per handle of its own. A driver
    // that does wraps `HandleState` in its own struct and lends the field to the instance.
    type FileState = HandleState;

    fn entry(driver: &mut DriverObject, at: &mut Passive) -> Result<(), NtStatus> {
        // The instances first, before the devices that forward to them exist.
        EVSHARE.start(at)?;
        EVSHARE2.start(at)?;
        let started = MAIN
            .create(driver, at, FILE_DEVICE_SAMPLE)
            .and_then(|()| SECOND.create(driver, at, FILE_DEVICE_SAMPLE))
            .and_then(|()| simulated::start(at, Publisher::new(&EVSHARE, &EVSHARE2)?));
        if let Err(status) = started {
            // The load fails and DriverUnload will not run: delete what was created.
            SECOND.remove(at);
            MAIN.remove(at);
            return Err(status);
        }
        log!(Info, "loaded on {:?}", evshare_km::driver::host());
        log!(Info, "built with features: {}", FEATURES);
        Ok(())
    }

    fn new_file_state() -> HandleState {
        HandleState::new()
    }

    // Each request goes to the instance of the device it was sent to.
    fn create(irp: Irp, at: &mut Passive) -> Completed {
        match device_of(&irp) {
            Some(device) => device.evshare().create(irp, at),
            None => not_ours(irp),
        }
    }

    fn cleanup(irp: Irp, at: &mut Passive) -> Completed {
        match device_of(&irp) {
            Some(device) => device.evshare().cleanup(irp, at),
            None => not_ours(irp),
        }
    }

    fn close(irp: Irp, _state: Option<&HandleState>, at: &mut Passive) -> Completed {
        match device_of(&irp) {
            Some(device) => device.evshare().close(irp, at),
            None => not_ours(irp),
        }
    }

    fn device_control(irp: Irp, state: Option<&HandleState>, at: &mut Passive) -> Completed {
        // A request for the second device goes to its instance, and only there.
        if !MAIN.serves(&irp) {
            return second_device_control(irp, state, at);
        }
        // evshare's requests first; whatever the instance gives back is the sample's, or unknown.
        match EVSHARE.device_control(irp, state, at) {
            Ok(completed) => completed,
            Err(mut irp) => match irp.buffered_ioctl().map(|ioctl| ioctl.code()) {
                Some(own_ioctl::IOCTL_SAMPLE_QUERY_TICKS) => own_ioctl::query_ticks(irp, at),
                Some(burst::IOCTL_SAMPLE_BURST) => burst::burst(irp, &EVSHARE, at),
                _ => EVSHARE.refuse_unknown(irp),
            },
        }
    }

    fn unload(at: &mut Passive) {
        // The device's DPC first, so none runs once the instance is gone.
        let done = simulated::stop(at);
        log!(
            Info,
            "simulated device stopped after {} ticks; {} payloads published, {} refused",
            done.ticks,
            done.published,
            done.refused
        );
        // Each instance deletes its device once its requests have stopped.
        EVSHARE2.unload(at, |at| SECOND.remove(at));
        EVSHARE.unload(at, |at| MAIN.remove(at));
    }
}

evshare_km::driver_entry!(Sample);

/// A panic in a driver has nowhere to unwind to: stop, as the kernel expects. The code is built
/// so that no panic is reachable from a request (no `unwrap`, no unchecked indexing).
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    // MANUALLY_INITIATED_CRASH1 is reserved for drivers that bugcheck on purpose.
    evshare_km::driver::bugcheck(0xDEAD_DEAD, 0x5A)
}
