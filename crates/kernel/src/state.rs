//! What one instance holds: its configuration, its registrations, its parked IRPs and its
//! counters. Every step below the dispatch routines works on a `&'static State`: the host keeps
//! its [`crate::Evshare`] in a `static`, so registrations and timer DPCs may point back into it.

use crate::channel::Channels;
use crate::config::Config;
use crate::registration::Registration;
use crate::registry::Registry;
use crate::stats::Stats;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use evshare_km::irp::{FileId, ParkedIrp};
use evshare_km::irql::Passive;
use evshare_km::pending::PendingQueue;
use evshare_protocol::quota;
use evshare_protocol::reply::HostKind;

/// Pending IRPs an instance holds in all, from every process.
pub const MAX_PENDING: usize = quota::MAX_PENDING as usize;

/// One instance's state.
pub struct State {
    /// What the host configured.
    pub config: Config,
    /// Live registrations.
    pub registry: Registry,
    /// The host's channels and their subscribers.
    pub channels: Channels,
    /// Parked `PEND_NOTIFICATION` IRPs.
    pub pending: PendingQueue<ParkedIrp, MAX_PENDING>,
    /// Counters for `QUERY_STATS`.
    pub stats: Stats,
    next_id: AtomicU64,
    host: AtomicU32,
}

impl State {
    /// An empty instance. What it derives from `config`, [`State::configure`] sets too.
    pub const fn new(config: Config) -> State {
        State {
            config,
            registry: Registry::new(config.quotas),
            channels: Channels::new(),
            pending: PendingQueue::new(),
            stats: Stats::new(),
            next_id: AtomicU64::new(1),
            host: AtomicU32::new(HostKind::Windows as u32),
        }
    }

    /// Gives an empty instance `config`, as if [`State::new`] had been given it: sets every
    /// field `new` derives from the configuration (keep the two in step).
    pub fn configure(&mut self, config: Config) {
        self.config = config;
        self.registry.set_quotas(config.quotas);
    }

    /// Ends a registration that left the registry: off its channel, timer shut down.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn retire(&self, registration: &Registration, at: &mut Passive) {
        self.channels.unsubscribe(at, registration);
        registration.retire(at);
    }

    /// Retires every registration `file` owns (or every one, for `None`).
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn retire_all(&self, file: Option<FileId>, at: &mut Passive) -> u32 {
        let mut retired = 0;
        while let Some(registration) = self.registry.take_one(at, file) {
            self.retire(&registration, at);
            retired += 1;
        }
        retired
    }

    /// The id of a new registration: unique within the instance, never 0.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Records the kernel the instance runs on (once, when the host starts it).
    pub fn set_host(&self, host: HostKind) {
        self.host.store(host as u32, Ordering::Relaxed);
    }

    /// The kernel the instance runs on, as detected when it started.
    pub fn host(&self) -> HostKind {
        if self.host.load(Ordering::Relaxed) == HostKind::Wine as u32 {
            HostKind::Wine
        } else {
            HostKind::Windows
        }
    }
}
