//! [`Evshare`]: one instance, as the host driver sees it. The host forwards create, cleanup,
//! close and device-control requests of its device here, and gets back untouched every
//! device-control request that is not evshare's.
//!
//! Registrations belong to the file object that made them. They are torn down at
//! `IRP_MJ_CLEANUP` (Windows: last handle closed) **and** at `IRP_MJ_CLOSE` (Wine never sends
//! cleanup; on Windows, close also catches a registration that raced in after cleanup). Both
//! are idempotent.
//!
//! Unload races dispatch under Wine (`DriverUnload` runs on the service thread while the
//! dispatch thread goes on): every request runs inside the instance's rundown. Once
//! [`Evshare::unload`] begins, new requests are refused with `STATUS_DELETE_PENDING` (counted as
//! `DriverStopping`) and unload waits for the ones in flight before it cancels pended IRPs and
//! retires registrations, so nothing admitted survives it. Cleanup and close are never refused.

use crate::caller::{check_output, Caller, Rejection};
use crate::channel::{ChannelId, Published};
use crate::config::Config;
use crate::handle_state::HandleState;
use crate::handlers;
use crate::inverted;
use crate::state::State;
use core::sync::atomic::Ordering;
use evshare_km::driver::Host;
use evshare_km::host_switch::{branch, Switch};
use evshare_km::irp::{Completed, Irp};
use evshare_km::irql::{Irql, Passive};
use evshare_km::remove_lock::{KernelRemoveLock, Rundown};
use evshare_km::{log, NtStatus};
use evshare_protocol::ioctl::Ioctl;
use evshare_protocol::reply::HostKind;
use evshare_protocol::request;
use evshare_protocol::stats::RejectReason;
use evshare_protocol::status::STATUS_DELETE_PENDING;

/// One evshare instance: its registrations, parked IRPs, quotas and counters. Make it with the
/// `const` [`Evshare::new`] in a `static` of the host driver (registrations and timer DPCs point
/// back into it, so it must outlive them: every method takes `&'static self`), call
/// [`start`](Self::start) in `DriverEntry` before the device exists, and
/// [`unload`](Self::unload) in `DriverUnload`. A driver may hold several, one per device,
/// routing each request by its device (km's `Irp::device` and `DeviceSlot`; the Rust sample
/// host does, `samples/rust-host/src/devices.rs`).
pub struct Evshare {
    state: State,
    /// Admits requests until unload begins, and lets unload wait for those in flight.
    rundown: Rundown<KernelRemoveLock>,
}

/// Why [`Evshare::publish`] refused a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublishError {
    /// The channel is not one the host declared.
    NoSuchChannel,
    /// The payload is longer than the channel's `max_payload`.
    TooLong {
        /// The channel's `max_payload`.
        max: u32,
    },
}

/// What a request gets once unload has begun.
fn stopping() -> Rejection {
    Rejection {
        status: NtStatus::from_u32(STATUS_DELETE_PENDING),
        reason: RejectReason::DriverStopping,
    }
}

impl Evshare {
    /// An instance configured by `config`, doing nothing until [`start`](Self::start).
    pub const fn new(config: Config) -> Evshare {
        Evshare {
            state: State::new(config),
            rundown: Rundown::new(KernelRemoveLock::new(), KernelRemoveLock::new()),
        }
    }

    /// Replaces the configuration of an instance not started yet, which is then as if
    /// [`new`](Self::new) had been given `config`. For a host that cannot build its instance in
    /// a `static` initialiser (the C API builds it in the C driver's storage: a copy of a
    /// compile-time instance, configured afterwards, so no instance-sized value ever sits on
    /// the kernel stack). `&mut self`: nothing can use the instance meanwhile.
    pub fn configure(&mut self, config: Config) {
        self.state.configure(config);
    }

    /// The configuration the host gave.
    pub fn config(&self) -> &Config {
        &self.state.config
    }

    /// Readies the instance: call it in `DriverEntry` before the device that forwards to it
    /// exists, so before any request can arrive. Under Wine it first checks km's SEH frame
    /// (an error fails the load, and the suite sees it; on Windows the same defect would be a
    /// bugcheck at every load, so there the frame is checked by the PE lint instead).
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn start(&'static self, at: &mut Passive) -> Result<(), NtStatus> {
        if branch(Switch::SehSelfTest) == Host::Wine {
            evshare_km::seh::self_test(at)?;
        }
        if !evshare_km::time::init() {
            log!(
                Error,
                "KeQueryPerformanceCounter not found; timestamps will be 0"
            );
        }
        // The host as km detected it, in every build: a `windows-branches` build forces
        // branches, not what the instance reports.
        let host = match evshare_km::driver::host() {
            Host::Wine => HostKind::Wine,
            Host::Windows => HostKind::Windows,
        };
        if !self.state.config.channels_valid() {
            log!(
                Error,
                "channels refused: at most {} with unique names of 1 to {} of [A-Za-z0-9._-]",
                evshare_protocol::channel::MAX_CHANNELS,
                evshare_protocol::channel::MAX_NAME_LEN
            );
            return Err(NtStatus::INVALID_PARAMETER);
        }
        self.state.set_host(host);
        self.rundown.init(at);
        Ok(())
    }

    /// The channel the host declared as `name`.
    pub fn channel(&self, name: &str) -> Option<ChannelId> {
        let index = self
            .state
            .config
            .channels
            .iter()
            .position(|declared| declared.name == name)?;
        Some(ChannelId(index as u32))
    }

    /// Publishes `payload` on `channel`: every registration subscribed to it gets it (an event
    /// is signalled once, a ring gets one record carrying the payload, its consumer woken).
    /// Callable from any context at `IRQL <= DISPATCH_LEVEL` (a DPC, a completion routine, a
    /// dispatch routine), on any CPU, concurrently. Never waits: a full ring drops the record
    /// and counts it, in the ring and in the result.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn publish(
        &'static self,
        at: &mut impl Irql,
        channel: ChannelId,
        payload: &[u8],
    ) -> Result<Published, PublishError> {
        let declared = self
            .state
            .config
            .channels
            .get(channel.index())
            .ok_or(PublishError::NoSuchChannel)?;
        if payload.len() > declared.max_payload as usize {
            return Err(PublishError::TooLong {
                max: declared.max_payload,
            });
        }
        Ok(self
            .state
            .channels
            .publish(at, channel, payload, &self.state.pending))
    }

    /// `IRP_MJ_CREATE` on the host's device: counts the handle, or refuses it once unload has
    /// begun. Under Wine the open succeeds anyway, and every request through the handle is
    /// refused like any other during the stop.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn create(&'static self, irp: Irp, _at: &mut Passive) -> Completed {
        let Ok(_admitted) = self.rundown.enter() else {
            return stopping().refuse(irp, &self.state.stats);
        };
        self.state
            .stats
            .open_handles
            .fetch_add(1, Ordering::Relaxed);
        irp.complete(NtStatus::SUCCESS, 0)
    }

    /// `IRP_MJ_CLEANUP`: the handle's pended IRPs are cancelled, its registrations retired and
    /// its inverted call taken off every channel (Windows sends `IRP_MJ_CLOSE` only once every
    /// IRP of the file object is done).
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn cleanup(&'static self, irp: Irp, at: &mut Passive) -> Completed {
        let _closing = self.rundown.enter_close();
        // Off the channels first, so no publication completes an IRP of the handle after its
        // IRPs were cancelled.
        self.state
            .channels
            .unsubscribe_inboxes(at, Some(irp.file()));
        inverted::cancel_all(&self.state, Some(irp.file()));
        self.state.retire_all(Some(irp.file()), at);
        irp.complete(NtStatus::SUCCESS, 0)
    }

    /// `IRP_MJ_CLOSE`: releases whatever the handle still holds. Never refused: the handle's
    /// state must go even while the driver stops. (Wine sends it even with IRPs still pending
    /// on the file object, and never sends cleanup.)
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn close(&'static self, irp: Irp, at: &mut Passive) -> Completed {
        let _closing = self.rundown.enter_close();
        self.state
            .channels
            .unsubscribe_inboxes(at, Some(irp.file()));
        inverted::cancel_all(&self.state, Some(irp.file()));
        let retired = self.state.retire_all(Some(irp.file()), at);
        if retired > 0 {
            log!(
                Info,
                "released {} registration(s) left by a closed handle",
                retired
            );
        }
        // Saturating: a handle opened before a restart of our counters must not wrap them.
        let _ =
            self.state
                .stats
                .open_handles
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        irp.complete(NtStatus::SUCCESS, 0)
    }

    /// `IRP_MJ_DEVICE_CONTROL` through a handle whose state is `handle`: handles every request
    /// in the instance's IOCTL space and returns any other IRP untouched as `Err`, for the host
    /// to handle (its own IOCTLs) or refuse ([`refuse_unknown`](Self::refuse_unknown)).
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn device_control(
        &'static self,
        mut irp: Irp,
        handle: Option<&HandleState>,
        at: &mut Passive,
    ) -> Result<Completed, Irp> {
        let Some(kind) = irp
            .buffered_ioctl()
            .and_then(|ioctl| self.state.config.space.ioctl_of(ioctl.code()))
        else {
            return Err(irp);
        };
        let Ok(_admitted) = self.rundown.enter() else {
            return Ok(stopping().refuse(irp, &self.state.stats));
        };
        if kind == Ioctl::PendNotification {
            return Ok(self.park(irp, handle, at));
        }
        #[cfg(feature = "verifier")]
        let mut irp = match crate::verifier_ops::provoke_with_irp(&self.state.stats, kind, irp) {
            Ok(done) => return Ok(done),
            Err(irp) => irp,
        };
        let caller = Caller {
            file: irp.file(),
            process: irp.requestor(),
            state: handle,
        };
        let result = match irp.buffered_ioctl() {
            Some(mut ioctl) => handlers::handle(&self.state, &caller, kind, &mut ioctl, at),
            None => Err(Rejection::from(NtStatus::INVALID_PARAMETER)),
        };
        Ok(match result {
            Ok(written) => irp.complete(NtStatus::SUCCESS, written),
            Err(rejection) => rejection.refuse(irp, &self.state.stats),
        })
    }

    /// Refuses a device-control request nobody recognised with `STATUS_INVALID_DEVICE_REQUEST`,
    /// counted as `UnknownIoctl`: what a host with no IOCTLs of its own does with the IRPs
    /// [`device_control`](Self::device_control) gives back.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn refuse_unknown(&'static self, irp: Irp) -> Completed {
        let unknown = Rejection {
            status: NtStatus::INVALID_DEVICE_REQUEST,
            reason: RejectReason::UnknownIoctl,
        };
        unknown.refuse(irp, &self.state.stats)
    }

    /// `PEND_NOTIFICATION` does not complete in its dispatch routine: it is checked here
    /// (input, output size) and parked.
    fn park(
        &'static self,
        mut irp: Irp,
        handle: Option<&HandleState>,
        at: &mut Passive,
    ) -> Completed {
        let checked = match irp.buffered_ioctl() {
            Some(ioctl) => request::parse(Ioctl::PendNotification.code(), ioctl.input())
                .map(|_| ())
                .map_err(Rejection::from)
                .and_then(|()| check_output(Ioctl::PendNotification, ioctl.output_len())),
            None => Err(Rejection::from(NtStatus::INVALID_PARAMETER)),
        };
        if let Err(rejection) = checked {
            return rejection.refuse(irp, &self.state.stats);
        }
        match inverted::pend(&self.state, irp, handle, at) {
            Ok(completed) => completed,
            Err((irp, rejection)) => rejection.refuse(irp, &self.state.stats),
        }
    }

    /// `DriverUnload`'s part for this instance: refuses new requests and waits for those in
    /// flight, cancels every pended IRP and retires every registration, then runs
    /// `remove_devices` (the host deletes the devices that forward here: deleting needs
    /// `PASSIVE_LEVEL`), and last waits for closes still running, so the image can go.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn unload(&'static self, at: &mut Passive, remove_devices: impl FnOnce(&mut Passive)) {
        // After this, no registration or pended IRP can arrive, so the teardown below gets
        // every one.
        self.rundown.stop_requests(at);
        self.state.channels.unsubscribe_inboxes(at, None);
        let cancelled = inverted::cancel_all(&self.state, None);
        let retired = self.state.retire_all(None, at);
        remove_devices(at);
        // Closes still running (they were admitted while stopping) finish before the image
        // can go.
        self.rundown.stop_closes(at);
        log!(
            Info,
            "unloaded; released {} registration(s), cancelled {} pending request(s)",
            retired,
            cancelled
        );
    }
}
