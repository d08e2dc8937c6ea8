//! The states of the `evshare` service, as the service control manager reports them.

use std::fmt;

/// Where the `evshare` service stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServiceState {
    /// There is no `evshare` service.
    NotInstalled,
    /// Installed, not loaded (`SERVICE_STOPPED`).
    Stopped,
    /// Loading (`SERVICE_START_PENDING`).
    StartPending,
    /// Unloading (`SERVICE_STOP_PENDING`).
    StopPending,
    /// Loaded (`SERVICE_RUNNING`).
    Running,
    /// Any other `SERVICE_*` state value (drivers are never paused).
    Other(u32),
    /// The service manager could not be asked.
    Unknown,
}

impl ServiceState {
    /// The state for a `dwCurrentState` value.
    pub const fn from_raw(state: u32) -> Self {
        match state {
            1 => ServiceState::Stopped,
            2 => ServiceState::StartPending,
            3 => ServiceState::StopPending,
            4 => ServiceState::Running,
            other => ServiceState::Other(other),
        }
    }

    /// True while the service is between two states.
    pub const fn is_pending(self) -> bool {
        matches!(self, ServiceState::StartPending | ServiceState::StopPending)
    }
}

impl fmt::Display for ServiceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceState::NotInstalled => f.write_str("not installed"),
            ServiceState::Stopped => f.write_str("stopped"),
            ServiceState::StartPending => f.write_str("starting"),
            ServiceState::StopPending => f.write_str("stopping"),
            ServiceState::Running => f.write_str("running"),
            ServiceState::Other(state) => write!(f, "in service state {state}"),
            ServiceState::Unknown => f.write_str("in an unknown state"),
        }
    }
}
