//! What a host driver decides about its evshare instance: where its IOCTL codes live and how
//! much one process may take.

use evshare_protocol::quota;
use evshare_protocol::IoctlSpace;

/// How much one process (or one handle) may hold of an instance. The driver-wide pools
/// (registrations, pending IRPs) have the protocol's fixed sizes
/// ([`quota::MAX_REGISTRATIONS`], [`quota::MAX_PENDING`]); these limits share them out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// Live registrations one handle may hold.
    pub registrations_per_handle: u32,
    /// Live registrations one process may hold, over all its handles.
    pub registrations_per_process: u32,
    /// `PEND_NOTIFICATION` IRPs one process may have parked.
    pub pending_per_process: u32,
    /// Bytes of ring sections one process may have mapped into the driver.
    pub ring_bytes_per_process: u64,
    /// Signals per second one process's timers may add up to, in millionths
    /// (see [`quota::microsignals_per_second`]).
    pub timer_budget_microsignals: u64,
}

impl Quotas {
    /// The limits `evshare.sys` enforces (`docs/protocol.md`, "Quotas").
    pub const DEFAULT: Quotas = Quotas {
        registrations_per_handle: quota::MAX_PER_HANDLE,
        registrations_per_process: quota::MAX_PER_PROCESS,
        pending_per_process: quota::MAX_PENDING_PER_PROCESS,
        ring_bytes_per_process: quota::MAX_RING_BYTES_PER_PROCESS,
        timer_budget_microsignals: quota::TIMER_BUDGET_MICROSIGNALS,
    };
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas::DEFAULT
    }
}

/// An instance's configuration, fixed when the host makes it ([`crate::Evshare::new`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The device type and function base of evshare's IOCTLs on the host's device; any other
    /// code is the host's own and comes back to it untouched.
    pub space: IoctlSpace,
    /// Per-process and per-handle limits.
    pub quotas: Quotas,
}

impl Config {
    /// `evshare.sys`'s configuration: its own IOCTL space, the default quotas.
    pub const EVSHARE: Config = Config {
        space: IoctlSpace::EVSHARE,
        quotas: Quotas::DEFAULT,
    };
}
