//! `evshare_sample_rust.sys`: a sample Rust driver that embeds evshare, as a driver writer
//! would start one. It has a device of its own (`\Device\EvshareSampleRust`, link
//! `\DosDevices\EvshareSampleRust`, device type `0x9A11`), an IOCTL of its own
//! ([`own_ioctl::IOCTL_SAMPLE_QUERY_TICKS`]), a simulated device whose 2 Hz timer DPC stands in
//! for an interrupt's DPC ([`simulated`]), a second IOCTL that publishes a burst of payloads at
//! once ([`burst::IOCTL_SAMPLE_BURST`]), and one [`Evshare`] instance whose IOCTLs live in
//! the space `IoctlSpace::new(0x9A11, 0x900)` of the same device. Every request goes first to
//! the instance; what it gives back is the sample's own, or unknown.
//!
//! - [`own_ioctl`]: the sample's device type and its first IOCTL (the tick count).
//! - [`burst`]: its second IOCTL, a burst of payloads on `sample.burst` (loss on demand).
//! - [`simulated`]: the simulated device (a km timer and its DPC).
//! - [`channels`]: the four evshare channels (the DPC's tick count, status line and detailed
//!   line; the bursts' sequence numbers).
// The driver only exists for Windows targets; on the host the crate is empty (and so needs
// `std`'s panic machinery), which keeps `cargo check --workspace` working on Linux.
#![cfg_attr(target_os = "windows", no_std)]
#![cfg(target_os = "windows")]

pub mod burst;
pub mod channels;
pub mod own_ioctl;
pub mod simulated;

use channels::{Publisher, CHANNELS};
use evshare_kernel::{Config, Evshare, HandleState, IoctlSpace, Quotas};
use evshare_km::driver::{Device, Dispatch, DriverObject, SymbolicLink};
use evshare_km::identity::Identity;
use evshare_km::irp::{Completed, Irp};
use evshare_km::irql::Passive;
use evshare_km::sync::SpinLock;
use evshare_km::unicode::UnicodeStr;
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

/// The device and its link, deleted (link first) at unload.
static CONTROL: SpinLock<Option<(SymbolicLink, Device)>> = SpinLock::new(None);

const DEVICE: &[u16] = utf16!(r"\Device\EvshareSampleRust");
const DOS_DEVICE: &[u16] = utf16!(r"\DosDevices\EvshareSampleRust");

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
        // The instance first, before the device that forwards to it exists.
        EVSHARE.start(at)?;
        let name = UnicodeStr::new(DEVICE)?;
        let device = driver.create_device(at, &name, FILE_DEVICE_SAMPLE)?;
        // On failure `device` drops here and is deleted again.
        let link = SymbolicLink::create(at, DOS_DEVICE, &name)?;
        simulated::start(at, Publisher::new(&EVSHARE)?)?;
        *CONTROL.lock(at) = Some((link, device));
        log!(Info, "loaded on {:?}", evshare_km::driver::host());
        log!(Info, "built with features: {}", FEATURES);
        Ok(())
    }

    fn new_file_state() -> HandleState {
        HandleState::new()
    }

    fn create(irp: Irp, at: &mut Passive) -> Completed {
        EVSHARE.create(irp, at)
    }

    fn cleanup(irp: Irp, at: &mut Passive) -> Completed {
        EVSHARE.cleanup(irp, at)
    }

    fn close(irp: Irp, _state: Option<&HandleState>, at: &mut Passive) -> Completed {
        EVSHARE.close(irp, at)
    }

    fn device_control(irp: Irp, state: Option<&HandleState>, at: &mut Passive) -> Completed {
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
        EVSHARE.unload(at, |at| {
            // Deleting the device needs PASSIVE_LEVEL, not the spin lock: take it out first.
            let control = CONTROL.lock(at).take();
            if let Some((link, device)) = control {
                drop(link);
                device.close(at);
            }
        });
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
