//! Which of a driver's devices a request was sent to.
//!
//! A driver with several devices (one evshare instance per device, say) routes each request by
//! its target: [`crate::irp::Irp::device`] names the device an IRP was sent to,
//! [`crate::driver::Device::id`] names a device the driver created, and the two compare equal
//! when they are the same device. A [`DeviceSlot`] keeps a device's id in a `static`, where a
//! dispatch routine can compare without a lock.
//!
//! An id is only a name: it gives no access to the device, and it stays comparable after the
//! device is deleted (a request that still arrives for a deleted device, such as a close under
//! Wine after unload began, is still told apart from the others' requests).

use core::sync::atomic::{AtomicUsize, Ordering};

/// The identity of a device object: the device an IRP was sent to, or one the driver created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeviceId(usize);

impl DeviceId {
    /// The id of the device object at `address` (0 for none). Made only by the driver-side
    /// modules (and the tests).
    #[cfg(any(target_os = "windows", test))]
    pub(crate) const fn from_address(address: usize) -> DeviceId {
        DeviceId(address)
    }

    /// The object's address (for logs).
    pub fn address(self) -> usize {
        self.0
    }
}

/// A place for one device's id that a `static` can hold: empty until [`set`](Self::set), then
/// compared with [`holds`](Self::holds) from any thread at any IRQL, without a lock.
#[derive(Debug)]
pub struct DeviceSlot(AtomicUsize);

impl DeviceSlot {
    /// An empty slot: it holds no device's id, so [`holds`](Self::holds) is `false` for all.
    pub const fn new() -> DeviceSlot {
        DeviceSlot(AtomicUsize::new(0))
    }

    /// Keeps `id` (replacing whatever the slot held). Set it when the device is created, before
    /// its symbolic link exists, so that apps' requests find it set.
    pub fn set(&self, id: DeviceId) {
        self.0.store(id.0, Ordering::Release);
    }

    /// Whether the slot holds `id`. Never true for an empty slot, even for an IRP whose device
    /// is missing.
    pub fn holds(&self, id: DeviceId) -> bool {
        id.0 != 0 && self.0.load(Ordering::Acquire) == id.0
    }
}

impl Default for DeviceSlot {
    fn default() -> Self {
        DeviceSlot::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_slot_holds_no_device_not_even_a_missing_one() {
        let slot = DeviceSlot::new();
        assert!(!slot.holds(DeviceId::from_address(0)));
        assert!(!slot.holds(DeviceId::from_address(0x1000)));
    }

    #[test]
    fn a_slot_holds_only_the_device_it_was_given() {
        let first = DeviceSlot::new();
        let second = DeviceSlot::default();
        first.set(DeviceId::from_address(0x1000));
        second.set(DeviceId::from_address(0x2000));
        assert!(first.holds(DeviceId::from_address(0x1000)));
        assert!(!first.holds(DeviceId::from_address(0x2000)));
        assert!(second.holds(DeviceId::from_address(0x2000)));
        assert!(!second.holds(DeviceId::from_address(0x1000)));
        assert!(!first.holds(DeviceId::from_address(0)));
    }

    #[test]
    fn setting_again_replaces_the_id() {
        let slot = DeviceSlot::new();
        slot.set(DeviceId::from_address(0x1000));
        slot.set(DeviceId::from_address(0x3000));
        assert!(!slot.holds(DeviceId::from_address(0x1000)));
        assert!(slot.holds(DeviceId::from_address(0x3000)));
        assert_eq!(DeviceId::from_address(0x3000).address(), 0x3000);
    }
}
