//! `DriverEntry`, the per-handle lifecycle, IOCTL routing and unload.
//!
//! Registrations belong to the file object that made them. They are torn down at
//! `IRP_MJ_CLEANUP` (Windows: last handle closed) **and** at `IRP_MJ_CLOSE` (Wine never sends
//! cleanup; on Windows, close also catches a registration that raced in after cleanup). Both
//! are idempotent.

use crate::handlers::{self, Caller};
use crate::registry::retire_all;
use crate::stats::STATS;
use core::sync::atomic::{AtomicU32, Ordering};
use evshare_km::driver::{detect_host, Device, Dispatch, DriverObject, Host, SymbolicLink};
use evshare_km::irp::{Completed, Irp};
use evshare_km::sync::SpinLock;
use evshare_km::unicode::UnicodeStr;
use evshare_km::{log, utf16, NtStatus};
use evshare_protocol::ioctl::{DEVICE_NAME, DOS_DEVICE_NAME, FILE_DEVICE_EVSHARE};
use evshare_protocol::reply::HostKind;
use evshare_protocol::stats::RejectReason;

/// The driver, as the kernel sees it.
pub struct Evshare;

/// The control device and its link; dropped (link first) at unload.
struct ControlDevice {
    _link: SymbolicLink,
    _device: Device,
}

static CONTROL: SpinLock<Option<ControlDevice>> = SpinLock::new(None);
static HOST: AtomicU32 = AtomicU32::new(HostKind::Windows as u32);

/// The kernel we run on, decided once in `DriverEntry`.
pub fn host() -> HostKind {
    if HOST.load(Ordering::Relaxed) == HostKind::Wine as u32 {
        HostKind::Wine
    } else {
        HostKind::Windows
    }
}

const DEVICE: &[u16] = utf16!(DEVICE_NAME);
const DOS_DEVICE: &[u16] = utf16!(DOS_DEVICE_NAME);

impl Dispatch for Evshare {
    fn entry(driver: &mut DriverObject) -> Result<(), NtStatus> {
        let host = detect_host();
        let kind = match host {
            Host::Wine => HostKind::Wine,
            Host::Windows => HostKind::Windows,
        };
        HOST.store(kind as u32, Ordering::Relaxed);
        let name = UnicodeStr::new(DEVICE)?;
        let device = driver.create_device(&name, FILE_DEVICE_EVSHARE)?;
        // On failure `device` drops here and is deleted again.
        let link = SymbolicLink::create(DOS_DEVICE, &name)?;
        *CONTROL.lock() = Some(ControlDevice {
            _link: link,
            _device: device,
        });
        log!(Info, "loaded on {:?}", host);
        Ok(())
    }

    fn create(irp: Irp) -> Completed {
        STATS.open_handles.fetch_add(1, Ordering::Relaxed);
        irp.complete(NtStatus::SUCCESS, 0)
    }

    fn cleanup(irp: Irp) -> Completed {
        retire_all(Some(irp.file()));
        irp.complete(NtStatus::SUCCESS, 0)
    }

    fn close(irp: Irp) -> Completed {
        let retired = retire_all(Some(irp.file()));
        if retired > 0 {
            log!(
                Info,
                "released {} registration(s) left by a closed handle",
                retired
            );
        }
        // Saturating: a handle opened before a restart of our counters must not wrap them.
        let _ = STATS
            .open_handles
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        irp.complete(NtStatus::SUCCESS, 0)
    }

    fn device_control(mut irp: Irp) -> Completed {
        let caller = Caller {
            file: irp.file(),
            process: irp.requestor(),
        };
        let Some(mut ioctl) = irp.buffered_ioctl() else {
            STATS.reject(RejectReason::UnknownIoctl);
            return irp.complete(NtStatus::INVALID_DEVICE_REQUEST, 0);
        };
        match handlers::handle(&caller, &mut ioctl) {
            Ok(written) => irp.complete(NtStatus::SUCCESS, written),
            Err(rejection) => {
                STATS.reject(rejection.reason);
                irp.complete(rejection.status, 0)
            }
        }
    }

    fn unload() {
        let retired = retire_all(None);
        // Take the device out first: deleting it needs PASSIVE_LEVEL, not the spin lock.
        let control = CONTROL.lock().take();
        drop(control);
        log!(Info, "unloaded; released {} registration(s)", retired);
    }
}
