//! The sample's devices, each with the evshare instance it serves: a [`HostedDevice`] is a
//! device's names, the device and its link once created, and its id kept for routing, so the
//! dispatch routines send each request to the instance of the device it targets
//! ([`HostedDevice::serves`]).

use evshare_kernel::Evshare;
use evshare_km::device_id::DeviceSlot;
use evshare_km::driver::{Device, DriverObject, SymbolicLink};
use evshare_km::irp::Irp;
use evshare_km::irql::Passive;
use evshare_km::sync::SpinLock;
use evshare_km::unicode::UnicodeStr;
use evshare_km::NtStatus;

/// One device of the sample and the instance behind it.
pub struct HostedDevice {
    /// `\Device\…`.
    name: &'static [u16],
    /// `\DosDevices\…`, what apps open.
    link: &'static [u16],
    /// The instance its requests go to.
    evshare: &'static Evshare,
    /// The device and its link, deleted (link first) by [`remove`](Self::remove).
    control: SpinLock<Option<(SymbolicLink, Device)>>,
    /// The device's id, kept after removal: a close that arrives late still finds its instance.
    id: DeviceSlot,
}

impl HostedDevice {
    /// A device named `name`, linked as `link`, serving `evshare`; nothing exists until
    /// [`create`](Self::create).
    pub const fn new(
        name: &'static [u16],
        link: &'static [u16],
        evshare: &'static Evshare,
    ) -> HostedDevice {
        HostedDevice {
            name,
            link,
            evshare,
            control: SpinLock::new(None),
            id: DeviceSlot::new(),
        }
    }

    /// Creates the device (of `device_type`) and then its link; its id is kept before the link
    /// exists, so every app's request finds it.
    ///
    /// IRQL: `PASSIVE_LEVEL` (`DriverEntry`).
    pub fn create(
        &self,
        driver: &mut DriverObject,
        at: &mut Passive,
        device_type: u32,
    ) -> Result<(), NtStatus> {
        let name = UnicodeStr::new(self.name)?;
        let device = driver.create_device(at, &name, device_type)?;
        self.id.set(device.id());
        // On failure `device` drops here and is deleted again.
        let link = SymbolicLink::create(at, self.link, &name)?;
        // Should it already hold a device (created twice), that one is deleted, outside the lock.
        let previous = self.control.lock(at).replace((link, device));
        Self::delete(previous, at);
        Ok(())
    }

    /// Whether `irp` was sent to this device.
    pub fn serves(&self, irp: &Irp) -> bool {
        self.id.holds(irp.device())
    }

    /// The instance this device's requests go to.
    pub fn evshare(&self) -> &'static Evshare {
        self.evshare
    }

    /// Deletes the link, then the device (if created): in `DriverUnload`, from the instance's
    /// unload callback, once its requests have stopped; or when `DriverEntry` fails.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn remove(&self, at: &mut Passive) {
        // Deleting the device needs PASSIVE_LEVEL, not the spin lock: take it out first.
        let control = self.control.lock(at).take();
        Self::delete(control, at);
    }

    fn delete(control: Option<(SymbolicLink, Device)>, at: &Passive) {
        if let Some((link, device)) = control {
            drop(link);
            device.close(at);
        }
    }
}
