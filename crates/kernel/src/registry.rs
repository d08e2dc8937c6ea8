//! The table of live registrations, behind a spin lock, and the quotas that admit them.
//!
//! The lock guards only the table: nothing that waits or needs `PASSIVE_LEVEL` runs under it.
//! Registrations leave the table by value ([`PoolArc`]) and are retired and dropped by the caller
//! after the lock is released, because dropping one waits for its timer's DPC.
//!
//! Every quota (per handle, in all, per process, ring bytes per process, the timer budget) is
//! checked and charged in the **same** lock hold as the insert or mode change it admits:
//! Windows runs dispatch routines on several CPUs at once, and a check in one hold followed by
//! an insert in another would let two requests near a limit both pass it. For the same reason a
//! mode is applied (`KeSetTimerEx`/`KeCancelTimer`, both callable at `DISPATCH_LEVEL`) under the
//! lock, so the modes the budget sums are the modes the timers run.

use crate::caller::Rejection;
use crate::config::Quotas;
use crate::registration::Registration;
use evshare_km::irp::FileId;
use evshare_km::irql::Irql;
use evshare_km::pool::PoolArc;
use evshare_km::process::ProcessId;
use evshare_km::sync::SpinLock;
use evshare_km::NtStatus;
use evshare_protocol::method::METHODS;
use evshare_protocol::mode::SignalMode;
use evshare_protocol::quota::{self, microsignals_per_second};
use evshare_protocol::reply::{HoldersReply, MAX_HOLDERS};
use evshare_protocol::stats::RejectReason;
use evshare_protocol::status::{
    STATUS_EVSHARE_PROCESS_REGISTRATIONS, STATUS_EVSHARE_PROCESS_RING_BYTES,
    STATUS_EVSHARE_TIMER_BUDGET, STATUS_NOT_FOUND, STATUS_QUOTA_EXCEEDED,
};

/// Live registrations an instance holds in all.
pub const MAX_REGISTRATIONS: usize = quota::MAX_REGISTRATIONS as usize;

/// A live registration and what it is charged against its process's quotas.
struct Entry {
    registration: PoolArc<Registration>,
    /// Bytes of the ring's section view (0 for an event).
    ring_bytes: u64,
}

impl Entry {
    fn file(&self) -> FileId {
        self.registration.origin().file
    }

    fn owner(&self) -> ProcessId {
        self.registration.origin().owner
    }
}

type Slot = Option<Entry>;

/// Every live registration, by slot, and the quotas that admit them.
pub struct Registry {
    slots: SpinLock<[Slot; MAX_REGISTRATIONS]>,
    quotas: Quotas,
}

/// Why the registry refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The handle holds its quota, or the instance [`MAX_REGISTRATIONS`].
    Full,
    /// The process holds its quota of registrations.
    ProcessRegistrations,
    /// The process's rings would pass its quota of ring bytes.
    ProcessRingBytes,
    /// The process's periodic timers would pass its signal-rate budget.
    TimerBudget,
    /// No registration of that id on that handle.
    NotFound,
}

impl From<Refusal> for Rejection {
    fn from(refusal: Refusal) -> Self {
        let (status, reason) = match refusal {
            Refusal::Full => (STATUS_QUOTA_EXCEEDED, RejectReason::QuotaExceeded),
            Refusal::ProcessRegistrations => (
                STATUS_EVSHARE_PROCESS_REGISTRATIONS,
                RejectReason::ProcessRegistrations,
            ),
            Refusal::ProcessRingBytes => (
                STATUS_EVSHARE_PROCESS_RING_BYTES,
                RejectReason::ProcessRingBytes,
            ),
            Refusal::TimerBudget => (STATUS_EVSHARE_TIMER_BUDGET, RejectReason::TimerBudget),
            Refusal::NotFound => (STATUS_NOT_FOUND, RejectReason::NoSuchRegistration),
        };
        Rejection {
            status: NtStatus::from_u32(status),
            reason,
        }
    }
}

/// What one process holds, summed over the table.
#[derive(Default)]
struct Usage {
    registrations: usize,
    ring_bytes: u64,
    microsignals: u64,
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

/// What `owner` holds in `slots`, leaving out the entry `except` (by slot index).
fn usage_of(slots: &[Slot], owner: ProcessId, except: Option<usize>) -> Usage {
    let mut usage = Usage::default();
    for (index, entry) in slots.iter().enumerate() {
        let Some(entry) = entry else { continue };
        if entry.owner() != owner || Some(index) == except {
            continue;
        }
        usage.registrations += 1;
        usage.ring_bytes = usage.ring_bytes.saturating_add(entry.ring_bytes);
        usage.microsignals = usage
            .microsignals
            .saturating_add(microsignals_per_second(entry.registration.mode()));
    }
    usage
}

impl Registry {
    /// An empty table admitting by `quotas`.
    pub const fn new(quotas: Quotas) -> Registry {
        Registry {
            slots: SpinLock::new([const { None }; MAX_REGISTRATIONS]),
            quotas,
        }
    }

    /// Admits by `quotas` from now on (for an instance not started yet, which the state
    /// reconfigures).
    pub fn set_quotas(&mut self, quotas: Quotas) {
        self.quotas = quotas;
    }

    /// Whether `usage` plus a mode costing `mode` stays within the timer budget.
    fn within_timer_budget(&self, usage: &Usage, mode: SignalMode) -> bool {
        usage
            .microsignals
            .saturating_add(microsignals_per_second(mode))
            <= self.quotas.timer_budget_microsignals
    }

    /// Whether a process holding `usage` may map `more` ring bytes.
    fn within_ring_bytes(&self, usage: &Usage, more: u64) -> bool {
        usage.ring_bytes.saturating_add(more) <= self.quotas.ring_bytes_per_process
    }

    /// Adds a registration charged `ring_bytes` and arms it in `mode`, unless a quota refuses:
    /// its handle or the instance is full, or its process would pass its quota of
    /// registrations, of ring bytes or its timer budget. Checks,
    /// insert and arming happen in one lock hold. On refusal nothing changed and the
    /// registration comes back, to be dropped after the lock is released.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn insert(
        &self,
        at: &mut impl Irql,
        registration: PoolArc<Registration>,
        ring_bytes: u64,
        mode: SignalMode,
    ) -> Result<(), (Refusal, PoolArc<Registration>)> {
        let mut slots = self.slots.lock(at);
        let file = registration.origin().file;
        let owner = registration.origin().owner;
        let of_handle = slots.iter().flatten().filter(|e| e.file() == file).count();
        if of_handle >= self.quotas.registrations_per_handle as usize {
            return Err((Refusal::Full, registration));
        }
        let Some(free) = slots.iter().position(Option::is_none) else {
            return Err((Refusal::Full, registration));
        };
        let usage = usage_of(slots.as_slice(), owner, None);
        if usage.registrations >= self.quotas.registrations_per_process as usize {
            return Err((Refusal::ProcessRegistrations, registration));
        }
        if !self.within_ring_bytes(&usage, ring_bytes) {
            return Err((Refusal::ProcessRingBytes, registration));
        }
        if !self.within_timer_budget(&usage, mode) {
            return Err((Refusal::TimerBudget, registration));
        }
        let Some(slot) = slots.get_mut(free) else {
            return Err((Refusal::Full, registration));
        };
        // Armed before it is visible: nobody can retire it between the two.
        registration.set_mode(mode);
        *slot = Some(Entry {
            registration,
            ring_bytes,
        });
        Ok(())
    }

    /// Whether a ring of at least `ring_bytes` could still fit `owner`'s ring-bytes quota: a
    /// refusal before the section is mapped and locked. (Not the admission itself: that is
    /// [`Registry::insert`], which charges the view's real size.)
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn ring_bytes_fit(
        &self,
        at: &mut impl Irql,
        owner: ProcessId,
        ring_bytes: u64,
    ) -> Result<(), Refusal> {
        let slots = self.slots.lock(at);
        let usage = usage_of(slots.as_slice(), owner, None);
        if !self.within_ring_bytes(&usage, ring_bytes) {
            return Err(Refusal::ProcessRingBytes);
        }
        Ok(())
    }

    /// `SET_SIGNAL_MODE`: switches registration `id` of `file` to `mode`, unless that would
    /// pass its process's timer budget. Check and change happen in one lock hold, so two
    /// changes racing on several CPUs cannot both pass the budget, and a registration being
    /// unregistered is never re-armed after it left the table.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn set_mode(
        &self,
        at: &mut impl Irql,
        file: FileId,
        id: u64,
        mode: SignalMode,
    ) -> Result<(), Refusal> {
        let slots = self.slots.lock(at);
        let Some((index, entry)) = slots.iter().enumerate().find_map(|(index, slot)| {
            slot.as_ref()
                .filter(|e| e.registration.id() == id && e.file() == file)
                .map(|e| (index, e))
        }) else {
            return Err(Refusal::NotFound);
        };
        let usage = usage_of(slots.as_slice(), entry.owner(), Some(index));
        if !self.within_timer_budget(&usage, mode) {
            return Err(Refusal::TimerBudget);
        }
        entry.registration.set_mode(mode);
        Ok(())
    }

    /// The registration `id` if `file` owns it.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn find(&self, at: &mut impl Irql, file: FileId, id: u64) -> Option<PoolArc<Registration>> {
        let slots = self.slots.lock(at);
        slots
            .iter()
            .flatten()
            .find(|e| e.registration.id() == id && e.file() == file)
            .map(|e| e.registration.clone())
    }

    /// Takes out the registration `id` if `file` owns it.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn remove(
        &self,
        at: &mut impl Irql,
        file: FileId,
        id: u64,
    ) -> Option<PoolArc<Registration>> {
        self.take_first(at, |e| e.registration.id() == id && e.file() == file)
    }

    /// Takes out one registration owned by `file`, or any when `file` is `None`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn take_one(
        &self,
        at: &mut impl Irql,
        file: Option<FileId>,
    ) -> Option<PoolArc<Registration>> {
        self.take_first(at, |e| file.is_none_or(|f| e.file() == f))
    }

    fn take_first(
        &self,
        at: &mut impl Irql,
        matches: impl Fn(&Entry) -> bool,
    ) -> Option<PoolArc<Registration>> {
        let mut slots = self.slots.lock(at);
        slots
            .iter_mut()
            .find(|slot| slot.as_ref().is_some_and(&matches))
            .and_then(Option::take)
            .map(|entry| entry.registration)
    }

    /// How many registrations are live, in all and for `pid`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn counts(&self, at: &mut impl Irql, pid: Option<ProcessId>) -> Counts {
        let slots = self.slots.lock(at);
        let mut counts = Counts {
            live: 0,
            for_pid: 0,
            by_method: [0; METHODS],
        };
        for entry in slots.iter().flatten() {
            let registration = &entry.registration;
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
    pub fn holders(&self, at: &mut impl Irql) -> HoldersReply {
        let mut reply = HoldersReply::default();
        let slots = self.slots.lock(at);
        for entry in slots.iter().flatten() {
            let origin = entry.registration.origin();
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
