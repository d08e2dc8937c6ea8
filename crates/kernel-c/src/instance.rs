//! What an `EVSHARE_INSTANCE` holds: the [`Evshare`] itself, the channels its configuration
//! names (copied out of the C configuration, so the instance never points into the caller's
//! data) and where it is in its life.
//!
//! The C driver provides the storage, zeroed (a C `static`), and keeps it until its image
//! unloads: every [`Evshare`] method wants `&'static self`, since registrations and timer DPCs
//! point back into it. The instance is built in that storage field by field, never as a whole
//! value on the stack (its tables are tens of kilobytes, more than a kernel stack holds).

use core::ffi::{c_char, CStr};
use core::ptr::{addr_of, addr_of_mut};
use core::sync::atomic::{AtomicU32, Ordering};
use evshare_kernel::{Channel, ChannelId, Config, Evshare, HandleState, IoctlSpace, Quotas};
use evshare_km::driver::Requests;
use evshare_km::irp::{Completed, Irp};
use evshare_km::irql::Passive;
use evshare_km::{log, NtStatus};
use evshare_protocol::channel::{MAX_CHANNELS, MAX_NAME_LEN};

/// Where an instance is in its life ([`Instance::phase`]). Zeroed storage is [`NEW`].
pub mod phase {
    /// Zeroed storage: never started (or a start that failed).
    pub const NEW: u32 = 0;
    /// `evshare_instance_start` is building it.
    pub const STARTING: u32 = 1;
    /// Started: requests and publishing reach the [`evshare_kernel::Evshare`].
    pub const STARTED: u32 = 2;
    /// `evshare_instance_unload` ran (or runs): the [`evshare_kernel::Evshare`] refuses new
    /// requests itself, and closes still arriving (Wine) are handled.
    pub const UNLOADED: u32 = 3;
}

/// One channel's name, copied from the C configuration.
type Name = [u8; MAX_NAME_LEN];

/// The contents of an `EVSHARE_INSTANCE`.
#[repr(C)]
pub struct Instance {
    /// One of [`phase`]'s values; first, so zeroed storage reads [`phase::NEW`].
    phase: AtomicU32,
    /// The channels' names; written once, while [`phase::STARTING`].
    names: [Name; MAX_CHANNELS],
    /// The channels `evshare`'s configuration points at (names into `names`).
    channels: [Channel; MAX_CHANNELS],
    /// The instance; valid from [`phase::STARTING`]'s end on.
    evshare: Evshare,
    /// The id of each declared channel, by its index in the C configuration.
    ids: [Option<ChannelId>; MAX_CHANNELS],
}

/// The C driver's description of one channel, checked.
pub struct ChannelSpec<'c> {
    /// 1 to [`MAX_NAME_LEN`] bytes (the instance checks the characters).
    pub name: &'c [u8],
    /// The longest payload the driver publishes on it.
    pub max_payload: u32,
}

/// The bytes of the NUL-terminated `name`, if it has at most [`MAX_NAME_LEN`] of them; never
/// reads past `MAX_NAME_LEN + 1` bytes.
///
/// # Safety
/// `name` is null or points to readable bytes up to its NUL or `MAX_NAME_LEN + 1` bytes,
/// whichever comes first.
pub unsafe fn name_bytes<'c>(name: *const c_char) -> Option<&'c [u8]> {
    if name.is_null() {
        return None;
    }
    let mut len = 0;
    // SAFETY: the caller's contract: every byte read is before the NUL or within the bound.
    while unsafe { name.wrapping_add(len).read() } != 0 {
        len += 1;
        if len > MAX_NAME_LEN {
            return None;
        }
    }
    // SAFETY: `len` bytes before the NUL, readable (as above), and the caller keeps them.
    Some(unsafe { core::slice::from_raw_parts(name.cast::<u8>(), len) })
}

impl Instance {
    /// The instance in `storage`, once started (or unloaded: the [`Evshare`] stays valid and
    /// refuses what it must).
    ///
    /// # Safety
    /// `storage` is null or the C driver's storage for an instance, aligned, of
    /// `EVSHARE_INSTANCE` size and kept until its image unloads.
    pub unsafe fn get(storage: *mut Instance) -> Option<&'static Instance> {
        if storage.is_null() {
            return None;
        }
        // SAFETY: the caller's contract: valid storage, whose first field, the phase, is
        // valid in any bytes.
        let phase = unsafe { &*storage.cast::<AtomicU32>() }.load(Ordering::Acquire);
        if phase != phase::STARTED && phase != phase::UNLOADED {
            return None;
        }
        // SAFETY: STARTED (with Acquire) means `start` wrote every field before it published
        // the phase, and nothing writes them again; the storage lives until the image unloads.
        Some(unsafe { &*storage })
    }

    /// Builds and starts an instance in `storage`: IOCTLs in `space`, default quotas, the
    /// `channels`; then [`Evshare::start`].
    ///
    /// # Safety
    /// As for [`Instance::get`], and `storage` is not in use by anyone else.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub unsafe fn start(
        storage: *mut Instance,
        space: IoctlSpace,
        channels: &[ChannelSpec<'_>],
        at: &mut Passive,
    ) -> Result<(), NtStatus> {
        if storage.is_null() || channels.len() > MAX_CHANNELS {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        // SAFETY: the caller's contract: valid storage, whose first field, the phase, is
        // valid in any bytes.
        let phase = unsafe { &*storage.cast::<AtomicU32>() };
        if phase
            .compare_exchange(
                phase::NEW,
                phase::STARTING,
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_err()
        {
            log!(Error, "an instance was started twice");
            return Err(NtStatus::from_u32(STATUS_INVALID_DEVICE_STATE));
        }
        // SAFETY: STARTING is ours alone (the exchange above): nobody reads the other fields
        // until STARTED is published, so writing them through the pointer is exclusive.
        let result = unsafe { Self::build(storage, space, channels) };
        let started = result.and_then(|()| {
            // SAFETY: valid storage (the caller's contract).
            let evshare = unsafe { addr_of!((*storage).evshare) };
            // SAFETY: `build` wrote it; the storage outlives the image's requests.
            let evshare: &'static Evshare = unsafe { &*evshare };
            evshare.start(at)
        });
        match started {
            Ok(()) => phase.store(phase::STARTED, Ordering::Release),
            Err(_) => phase.store(phase::NEW, Ordering::Release),
        }
        started
    }

    /// Writes the names, the channels and the [`Evshare`] into `storage`.
    ///
    /// # Safety
    /// `storage` is valid, aligned, and exclusively the caller's; it outlives every use of the
    /// configuration (the names are `'static` because the storage is).
    unsafe fn build(
        storage: *mut Instance,
        space: IoctlSpace,
        specs: &[ChannelSpec<'_>],
    ) -> Result<(), NtStatus> {
        // SAFETY: the caller's contract: valid storage.
        let names = unsafe { addr_of_mut!((*storage).names) };
        // SAFETY: as above.
        let channels = unsafe { addr_of_mut!((*storage).channels) };
        // SAFETY: exclusive storage (the caller's contract); distinct fields, plain data
        // valid in any bytes.
        let names: &'static mut [Name; MAX_CHANNELS] = unsafe { &mut *names };
        // SAFETY: as above.
        let channels: &'static mut [Channel; MAX_CHANNELS] = unsafe { &mut *channels };
        for ((spec, name), channel) in specs.iter().zip(names).zip(channels.iter_mut()) {
            let copied = name
                .get_mut(..spec.name.len())
                .ok_or(NtStatus::INVALID_PARAMETER)?;
            copied.copy_from_slice(spec.name);
            let copied: &'static [u8] = copied;
            *channel = Channel {
                name: core::str::from_utf8(copied).map_err(|_| NtStatus::INVALID_PARAMETER)?,
                max_payload: spec.max_payload,
            };
        }
        let channels: &'static [Channel; MAX_CHANNELS] = channels;
        let declared = channels
            .get(..specs.len())
            .ok_or(NtStatus::INVALID_PARAMETER)?;
        let config = Config {
            space,
            quotas: Quotas::DEFAULT,
            channels: declared,
        };
        // SAFETY: as above; a distinct field.
        let evshare = unsafe { addr_of_mut!((*storage).evshare) };
        // SAFETY: as above: valid, exclusive, aligned. The instance is a compile-time
        // constant (inline `const`), copied straight into the storage: no instance-sized
        // value on the kernel stack (13 KiB, where `DriverEntry` may have 24), which
        // `Evshare::new(config)` at run time would leave there.
        unsafe { evshare.write(const { Evshare::new(Config::EVSHARE) }) };
        // SAFETY: written just now; exclusive (the caller's contract).
        let evshare = unsafe { &mut *evshare };
        evshare.configure(config);
        let mut ids = [None; MAX_CHANNELS];
        for (id, channel) in ids.iter_mut().zip(declared) {
            *id = evshare.channel(channel.name);
        }
        // SAFETY: as above; a distinct field.
        let slot = unsafe { addr_of_mut!((*storage).ids) };
        // SAFETY: as above: valid, exclusive, aligned.
        unsafe { slot.write(ids) };
        Ok(())
    }

    /// The channel the C configuration declared at `index`.
    pub fn channel(&self, index: u32) -> Option<ChannelId> {
        self.ids
            .get(usize::try_from(index).ok()?)
            .copied()
            .flatten()
    }

    /// The instance's [`Evshare`].
    pub fn evshare(&'static self) -> &'static Evshare {
        &self.evshare
    }

    /// Unloads the instance once: [`Evshare::unload`], running `remove_devices` where it
    /// should. A second call (or one on an instance never started) does nothing and says so.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn unload(
        &'static self,
        at: &mut Passive,
        remove_devices: impl FnOnce(&mut Passive),
    ) -> bool {
        if self
            .phase
            .compare_exchange(
                phase::STARTED,
                phase::UNLOADED,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return false;
        }
        self.evshare.unload(at, remove_devices);
        true
    }
}

/// `STATUS_INVALID_DEVICE_STATE`.
pub const STATUS_INVALID_DEVICE_STATE: u32 = 0xC000_0184;

/// A started instance, as km's dispatch sees it: km's per-handle state is evshare's
/// [`HandleState`], and device-control requests outside the instance's IOCTL space go back to
/// the C driver.
pub struct Started(pub &'static Instance);

impl Requests for Started {
    type FileState = HandleState;

    fn new_file_state(&self) -> HandleState {
        HandleState::new()
    }

    fn create(&self, irp: Irp, at: &mut Passive) -> Completed {
        self.0.evshare.create(irp, at)
    }

    fn cleanup(&self, irp: Irp, at: &mut Passive) -> Completed {
        self.0.evshare.cleanup(irp, at)
    }

    fn close(&self, irp: Irp, _state: Option<&HandleState>, at: &mut Passive) -> Completed {
        self.0.evshare.close(irp, at)
    }

    fn device_control(
        &self,
        irp: Irp,
        state: Option<&HandleState>,
        at: &mut Passive,
    ) -> Result<Completed, Irp> {
        self.0.evshare.device_control(irp, state, at)
    }
}

/// The C driver's log prefix as a `&'static CStr`.
///
/// # Safety
/// `prefix` is null or a NUL-terminated string that lives until the image unloads.
pub unsafe fn static_prefix(prefix: *const c_char) -> Option<&'static CStr> {
    if prefix.is_null() {
        return None;
    }
    // SAFETY: the caller's contract.
    Some(unsafe { CStr::from_ptr(prefix) })
}
