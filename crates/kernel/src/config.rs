//! What a host driver decides about its evshare instance: where its IOCTL codes live, how
//! much one process may take, and the channels it publishes on.

use evshare_protocol::IoctlSpace;
use evshare_protocol::{channel, quota};

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
    /// Subscriber slots of one channel one process may hold (of its
    /// [`MAX_SUBSCRIBERS`](evshare_protocol::channel::MAX_SUBSCRIBERS)).
    pub channel_share_per_process: u32,
}

impl Quotas {
    /// The limits `evshare.sys` enforces (`docs/protocol.md`, "Quotas").
    pub const DEFAULT: Quotas = Quotas {
        registrations_per_handle: quota::MAX_PER_HANDLE,
        registrations_per_process: quota::MAX_PER_PROCESS,
        pending_per_process: quota::MAX_PENDING_PER_PROCESS,
        ring_bytes_per_process: quota::MAX_RING_BYTES_PER_PROCESS,
        timer_budget_microsignals: quota::TIMER_BUDGET_MICROSIGNALS,
        channel_share_per_process: quota::MAX_CHANNEL_SHARE_PER_PROCESS,
    };
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas::DEFAULT
    }
}

/// A channel the host publishes on ([`crate::Evshare::publish`]): its name, which apps
/// subscribe by, and the largest payload it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel {
    /// 1 to [`channel::MAX_NAME_LEN`] ASCII letters, digits, `-`, `_` or `.`.
    pub name: &'static str,
    /// The longest payload the host publishes on it, in bytes. Ring registrations may
    /// subscribe only if it is at most [`channel::MAX_RING_PAYLOAD`].
    pub max_payload: u32,
}

/// An instance's configuration, fixed when the host makes it ([`crate::Evshare::new`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The device type and function base of evshare's IOCTLs on the host's device; any other
    /// code is the host's own and comes back to it untouched.
    pub space: IoctlSpace,
    /// Per-process and per-handle limits.
    pub quotas: Quotas,
    /// The channels the host publishes on (at most [`channel::MAX_CHANNELS`], names unique);
    /// [`crate::Evshare::start`] fails the load otherwise.
    pub channels: &'static [Channel],
}

impl Config {
    /// evshare's own IOCTL space, the default quotas, no channels: the base `evshare.sys`
    /// adds its `evshare.heartbeat` channel to (`..Config::EVSHARE`), and the C API's starting
    /// point.
    pub const EVSHARE: Config = Config {
        space: IoctlSpace::EVSHARE,
        quotas: Quotas::DEFAULT,
        channels: &[],
    };

    /// Whether the channels are few enough, validly named and uniquely.
    pub fn channels_valid(&self) -> bool {
        self.channels.len() <= channel::MAX_CHANNELS
            && self.channels.iter().enumerate().all(|(index, declared)| {
                channel::valid_name(declared.name)
                    && !self
                        .channels
                        .iter()
                        .take(index)
                        .any(|earlier| earlier.name == declared.name)
            })
    }
}
