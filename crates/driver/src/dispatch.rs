//! `DriverEntry`, the per-handle lifecycle, IOCTL routing and unload.
//!
//! Registrations belong to the file object that made them. They are torn down at
//! `IRP_MJ_CLEANUP` (Windows: last handle closed) **and** at `IRP_MJ_CLOSE` (Wine never sends
//! cleanup; on Windows, close also catches a registration that raced in after cleanup). Both
//! are idempotent.
//!
//! Unload races dispatch under Wine (`DriverUnload` runs on the service thread while the
//! dispatch thread goes on): every request runs inside the [`RUNDOWN`]. Once unload begins, new
//! requests are refused with `STATUS_DELETE_PENDING` (counted as `DriverStopping`) and unload
//! waits for the ones in flight before it cancels pended IRPs and retires registrations, so
//! nothing admitted survives it. Cleanup and close are never refused.

use crate::file_state::{self, FileState};
use crate::handlers::{self, Caller, Rejection};
use crate::inverted;
use crate::registry::retire_all;
use crate::stats::STATS;
use core::sync::atomic::{AtomicU32, Ordering};
use evshare_km::driver::{detect_host, Device, Dispatch, DriverObject, Host, SymbolicLink};
use evshare_km::host_switch::{branch, Switch};
use evshare_km::irp::{Completed, Irp};
use evshare_km::irql::Passive;
use evshare_km::remove_lock::{KernelRemoveLock, Rundown};
use evshare_km::sync::SpinLock;
use evshare_km::unicode::UnicodeStr;
use evshare_km::{log, utf16, NtStatus};
use evshare_protocol::ioctl::{Ioctl, DEVICE_NAME, DOS_DEVICE_NAME, FILE_DEVICE_EVSHARE};
use evshare_protocol::reply::HostKind;
use evshare_protocol::request;
use evshare_protocol::stats::RejectReason;
use evshare_protocol::status::STATUS_DELETE_PENDING;

/// The driver, as the kernel sees it.
pub struct Evshare;

/// The control device and its link; dropped (link first) at unload.
struct ControlDevice {
    _link: SymbolicLink,
    _device: Device,
}

static CONTROL: SpinLock<Option<ControlDevice>> = SpinLock::new(None);

/// Admits requests until unload begins, and lets unload wait for those in flight.
static RUNDOWN: Rundown<KernelRemoveLock> =
    Rundown::new(KernelRemoveLock::new(), KernelRemoveLock::new());

/// What a request gets once unload has begun.
fn stopping() -> Rejection {
    Rejection {
        status: NtStatus::from_u32(STATUS_DELETE_PENDING),
        reason: RejectReason::DriverStopping,
    }
}
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
    type FileState = FileState;

    fn entry(driver: &mut DriverObject, at: &mut Passive) -> Result<(), NtStatus> {
        let host = detect_host(at);
        let kind = match host {
            Host::Wine => HostKind::Wine,
            Host::Windows => HostKind::Windows,
        };
        // The host as detected, in every build: a `windows-branches` build forces branches,
        // not what it reports.
        HOST.store(kind as u32, Ordering::Relaxed);
        // Under Wine a broken SEH frame fails the load here, and the suite sees it. On Windows
        // the self-test would turn the same defect into a bugcheck at every load, so it does
        // not run there: the frame is checked by the PE lint, and raised for real only when
        // locking a ring's pages fails.
        if branch(Switch::SehSelfTest) == Host::Wine {
            evshare_km::seh::self_test(at)?;
        }
        // Before the device exists, so before any request can arrive.
        RUNDOWN.init(at);
        if !evshare_km::time::init() {
            log!(
                Error,
                "KeQueryPerformanceCounter not found; timestamps will be 0"
            );
        }
        let name = UnicodeStr::new(DEVICE)?;
        let device = driver.create_device(at, &name, FILE_DEVICE_EVSHARE)?;
        // On failure `device` drops here and is deleted again.
        let link = SymbolicLink::create(at, DOS_DEVICE, &name)?;
        *CONTROL.lock(at) = Some(ControlDevice {
            _link: link,
            _device: device,
        });
        log!(Info, "loaded on {:?}", host);
        log!(Info, "built with features: {}", crate::features::Enabled);
        Ok(())
    }

    fn new_file_state() -> FileState {
        FileState::new()
    }

    fn create(irp: Irp, _at: &mut Passive) -> Completed {
        // Under Wine the open succeeds anyway, and every request through the handle is refused
        // like any other during the stop. On Windows no CLOSE follows a refused open: km frees
        // the handle's state itself.
        let Ok(_admitted) = RUNDOWN.enter() else {
            return stopping().refuse(irp);
        };
        STATS.open_handles.fetch_add(1, Ordering::Relaxed);
        irp.complete(NtStatus::SUCCESS, 0)
    }

    fn cleanup(irp: Irp, at: &mut Passive) -> Completed {
        let _closing = RUNDOWN.enter_close();
        // Windows sends CLOSE only once every IRP of the file object is done: finish them here.
        inverted::cancel_all(Some(irp.file()));
        retire_all(Some(irp.file()), at);
        irp.complete(NtStatus::SUCCESS, 0)
    }

    fn close(irp: Irp, _state: Option<&FileState>, at: &mut Passive) -> Completed {
        // Never refused: the handle's state must go even while the driver stops.
        let _closing = RUNDOWN.enter_close();
        // Wine sends CLOSE even with IRPs still pending on the file object.
        inverted::cancel_all(Some(irp.file()));
        let retired = retire_all(Some(irp.file()), at);
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

    fn device_control(irp: Irp, at: &mut Passive) -> Completed {
        let Ok(_admitted) = RUNDOWN.enter() else {
            return stopping().refuse(irp);
        };
        let irp = match park_if_pending_request(irp, at) {
            Ok(done) => return done,
            Err(irp) => irp,
        };
        #[cfg(feature = "verifier")]
        let irp = match crate::verifier_ops::provoke_with_irp(irp) {
            Ok(done) => return done,
            Err(irp) => irp,
        };
        let mut irp = irp;
        let caller = Caller {
            file: irp.file(),
            process: irp.requestor(),
            state: file_state::of(&irp),
        };
        let Some(mut ioctl) = irp.buffered_ioctl() else {
            let unknown = Rejection {
                status: NtStatus::INVALID_DEVICE_REQUEST,
                reason: RejectReason::UnknownIoctl,
            };
            return unknown.refuse(irp);
        };
        match handlers::handle(&caller, &mut ioctl, at) {
            Ok(written) => irp.complete(NtStatus::SUCCESS, written),
            Err(rejection) => rejection.refuse(irp),
        }
    }

    fn unload(at: &mut Passive) {
        // Refuse new requests and wait for those in flight: after this, no registration or
        // pended IRP can arrive, so the teardown below gets every one.
        RUNDOWN.stop_requests(at);
        let cancelled = inverted::cancel_all(None);
        let retired = retire_all(None, at);
        // Take the device out first: deleting it needs PASSIVE_LEVEL, not the spin lock.
        let control = CONTROL.lock(at).take();
        drop(control);
        // Closes still running (they were admitted while stopping) finish before the image
        // can go.
        RUNDOWN.stop_closes(at);
        log!(
            Info,
            "unloaded; released {} registration(s), cancelled {} pending request(s)",
            retired,
            cancelled
        );
    }
}

/// `PEND_NOTIFICATION` does not complete in its dispatch routine: it is checked here (code,
/// input, output size) and parked. Any other request comes back unchanged as `Err`.
fn park_if_pending_request(mut irp: Irp, at: &mut Passive) -> Result<Completed, Irp> {
    let Some(ioctl) = irp.buffered_ioctl() else {
        return Err(irp);
    };
    let code = ioctl.code();
    if Ioctl::from_code(code) != Some(Ioctl::PendNotification) {
        return Err(irp);
    }
    let checked = request::parse(code, ioctl.input())
        .map(|_| ())
        .map_err(Rejection::from)
        .and_then(|()| handlers::check_output(Ioctl::PendNotification, ioctl.output_len()));
    if let Err(rejection) = checked {
        return Ok(rejection.refuse(irp));
    }
    match inverted::pend(irp, at) {
        Ok(completed) => Ok(completed),
        Err((irp, rejection)) => Ok(rejection.refuse(irp)),
    }
}
