//! `evshare.sys`, the reference host of `evshare-kernel`: it creates the control device
//! `\Device\evshare` (and its link `\DosDevices\evshare`), keeps one [`Evshare`] instance with
//! evshare's own IOCTL space and default quotas, declares one channel, `evshare.heartbeat`,
//! wired to a periodic source (a beat a second: its number from 1, 8 bytes little-endian, so an
//! app can check the driver is alive through any subscriber), and forwards every request to
//! the instance. A driver that embeds evshare does the same next to its own work.
//!
//! - [`features`]: the cargo features of this image, logged at load.
// The driver only exists for Windows targets; on the host the crate is empty (and so needs
// `std`'s panic machinery), which keeps `cargo check --workspace` working on Linux.
#![cfg_attr(target_os = "windows", no_std)]
#![cfg(target_os = "windows")]

mod features;

use evshare_kernel::source::{SourceSlot, BEAT_LEN};
use evshare_kernel::{Channel, Config, Evshare, HandleState};
use evshare_km::driver::{Device, Dispatch, DriverObject, SymbolicLink};
use evshare_km::identity::Identity;
use evshare_km::irp::{Completed, Irp};
use evshare_km::irql::Passive;
use evshare_km::sync::SpinLock;
use evshare_km::unicode::UnicodeStr;
use evshare_km::{log, utf16, NtStatus};
use evshare_protocol::ioctl::{DEVICE_NAME, DOS_DEVICE_NAME, FILE_DEVICE_EVSHARE};

/// The heartbeat's channel: apps subscribe to it by this name.
const HEARTBEAT: &str = "evshare.heartbeat";
/// A beat a second.
const HEARTBEAT_MS: u32 = 1000;

/// The one instance: evshare's IOCTL space, the default quotas, the heartbeat's channel.
static EVSHARE: Evshare = Evshare::new(Config {
    channels: &[Channel {
        name: HEARTBEAT,
        max_payload: BEAT_LEN,
    }],
    ..Config::EVSHARE
});

/// The heartbeat's timer, from load to unload.
static BEATING: SourceSlot = SourceSlot::new();

/// The control device and its link, deleted (link first) at unload.
static CONTROL: SpinLock<Option<(SymbolicLink, Device)>> = SpinLock::new(None);

const DEVICE: &[u16] = utf16!(DEVICE_NAME);
const DOS_DEVICE: &[u16] = utf16!(DOS_DEVICE_NAME);

/// The driver, as the kernel sees it.
struct Host;

impl Dispatch for Host {
    const IDENTITY: Identity = Identity::EVSHARE;
    type FileState = HandleState;

    fn entry(driver: &mut DriverObject, at: &mut Passive) -> Result<(), NtStatus> {
        EVSHARE.start(at)?;
        let name = UnicodeStr::new(DEVICE)?;
        let device = driver.create_device(at, &name, FILE_DEVICE_EVSHARE)?;
        // On failure `device` drops here and is deleted again.
        let link = SymbolicLink::create(at, DOS_DEVICE, &name)?;
        let heartbeat = EVSHARE
            .channel(HEARTBEAT)
            .ok_or(NtStatus::INVALID_PARAMETER)?;
        BEATING.periodic(at, &EVSHARE, heartbeat, HEARTBEAT_MS)?;
        *CONTROL.lock(at) = Some((link, device));
        log!(Info, "loaded on {:?}", evshare_km::driver::host());
        log!(Info, "built with features: {}", features::Enabled);
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
        // evshare.sys has no IOCTLs of its own: whatever the instance gives back is unknown.
        EVSHARE
            .device_control(irp, state, at)
            .unwrap_or_else(|irp| EVSHARE.refuse_unknown(irp))
    }

    fn unload(at: &mut Passive) {
        // The heartbeat's DPC first, so none publishes into the instance as it unloads.
        let beats = BEATING.stop(at).unwrap_or_default();
        log!(Info, "heartbeat stopped after {} beats", beats.beats);
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

evshare_km::driver_entry!(Host);

/// A panic in a driver has nowhere to unwind to: stop, as the kernel expects. The code is built
/// so that no panic is reachable at all (no `unwrap`, no unchecked indexing): the
/// `no-panic-check` build proves it.
#[cfg(not(feature = "no-panic-check"))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    // MANUALLY_INITIATED_CRASH1 is reserved for drivers that bugcheck on purpose.
    evshare_km::driver::bugcheck(0xDEAD_DEAD, 0xE5)
}

/// The `no-panic-check` build (never installed): the panic handler references a symbol that
/// does not exist, so the image links only if the optimiser removed every panic path of the
/// driver, the library and km.
#[cfg(feature = "no-panic-check")]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    extern "C" {
        fn evshare_driver_panic_path_is_reachable() -> !;
    }
    // SAFETY: never called when the check passes; when a panic path exists the link fails
    // before anything can run.
    unsafe { evshare_driver_panic_path_is_reachable() }
}
