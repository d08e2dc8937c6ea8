//! The table of live registrations, behind a spin lock.
//!
//! The lock guards only the table: nothing that waits or needs `PASSIVE_LEVEL` runs under it.
//! Registrations leave the table by value ([`PoolArc`]) and are retired and dropped by the caller
//! after the lock is released, because dropping one waits for its timer's DPC.

use crate::registration::Registration;
use evshare_km::irp::FileId;
use evshare_km::pool::PoolArc;
use evshare_km::process::ProcessId;
use evshare_km::sync::SpinLock;
use evshare_km::NtStatus;
use evshare_protocol::method::METHODS;
use evshare_protocol::reply::{HoldersReply, MAX_HOLDERS};
use evshare_protocol::status::STATUS_QUOTA_EXCEEDED;

/// Live registrations the driver holds in all.
pub const MAX_REGISTRATIONS: usize = 256;
/// Live registrations one handle may hold.
pub const MAX_PER_HANDLE: usize = 64;

type Slot = Option<PoolArc<Registration>>;

/// Every live registration, by slot.
pub struct Registry {
    slots: SpinLock<[Slot; MAX_REGISTRATIONS]>,
}

/// Live registrations: in all, for one process, and by method.
pub struct Counts {
    /// In all.
    pub live: u32,
    /// Owned by the process asked about.
    pub for_pid: u32,
    /// By [`Method`](evshare_protocol::method::Method), indexed by its wire value.
    pub by_method: [u32; METHODS],
}

/// The driver's registrations.
pub static REGISTRY: Registry = Registry {
    slots: SpinLock::new([const { None }; MAX_REGISTRATIONS]),
};

impl Registry {
    /// Adds a registration, unless its handle or the driver is at its cap
    /// (`STATUS_QUOTA_EXCEEDED`). On failure the registration comes back, to be dropped after
    /// the lock is released.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn insert(
        &self,
        registration: PoolArc<Registration>,
    ) -> Result<(), (NtStatus, PoolArc<Registration>)> {
        let quota = NtStatus::from_u32(STATUS_QUOTA_EXCEEDED);
        let mut slots = self.slots.lock();
        let file = registration.origin().file;
        let of_handle = slots
            .iter()
            .flatten()
            .filter(|r| r.origin().file == file)
            .count();
        if of_handle >= MAX_PER_HANDLE {
            return Err((quota, registration));
        }
        match slots.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => {
                *slot = Some(registration);
                Ok(())
            }
            None => Err((quota, registration)),
        }
    }

    /// The registration `id` if `file` owns it.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn find(&self, file: FileId, id: u64) -> Option<PoolArc<Registration>> {
        let slots = self.slots.lock();
        slots
            .iter()
            .flatten()
            .find(|r| r.id() == id && r.origin().file == file)
            .cloned()
    }

    /// Takes out the registration `id` if `file` owns it.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn remove(&self, file: FileId, id: u64) -> Option<PoolArc<Registration>> {
        self.take_first(|r| r.id() == id && r.origin().file == file)
    }

    /// Takes out one registration owned by `file`, or any when `file` is `None`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn take_one(&self, file: Option<FileId>) -> Option<PoolArc<Registration>> {
        self.take_first(|r| file.is_none_or(|f| r.origin().file == f))
    }

    fn take_first(&self, matches: impl Fn(&Registration) -> bool) -> Option<PoolArc<Registration>> {
        let mut slots = self.slots.lock();
        slots
            .iter_mut()
            .find(|slot| slot.as_ref().is_some_and(|r| matches(r)))
            .and_then(Option::take)
    }

    /// How many registrations are live, in all and for `pid`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn counts(&self, pid: Option<ProcessId>) -> Counts {
        let slots = self.slots.lock();
        let mut counts = Counts {
            live: 0,
            for_pid: 0,
            by_method: [0; METHODS],
        };
        for registration in slots.iter().flatten() {
            counts.live += 1;
            if Some(registration.origin().owner) == pid {
                counts.for_pid += 1;
            }
            if let Some(n) = counts
                .by_method
                .get_mut(registration.origin().method as usize)
            {
                *n += 1;
            }
        }
        counts
    }

    /// Which processes hold registrations, and how many by method (the first
    /// [`MAX_HOLDERS`] processes found; a diagnostic, not an inventory).
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn holders(&self) -> HoldersReply {
        let mut reply = HoldersReply::default();
        let slots = self.slots.lock();
        for registration in slots.iter().flatten() {
            let origin = registration.origin();
            let pid = origin.owner.0;
            let used = reply.count as usize;
            let index = match reply.holders.iter().take(used).position(|h| h.pid == pid) {
                Some(i) => i,
                None if used < MAX_HOLDERS => {
                    reply.count += 1;
                    used
                }
                None => continue,
            };
            if let Some(holder) = reply.holders.get_mut(index) {
                holder.pid = pid;
                if let Some(n) = holder.by_method.get_mut(origin.method as usize) {
                    *n += 1;
                }
            }
        }
        reply
    }
}

/// Retires every registration `file` owns (or every one, for `None`), outside the lock.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn retire_all(file: Option<FileId>) -> u32 {
    let mut retired = 0;
    while let Some(registration) = REGISTRY.take_one(file) {
        registration.retire();
        retired += 1;
    }
    retired
}
