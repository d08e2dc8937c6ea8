//! The crate's one error type: every variant's message names what went wrong **and** what to do
//! about it; OS errors and driver statuses hang off it as `source()`.

use std::fmt;
use std::io;
use std::path::PathBuf;

use evshare_protocol::{Ioctl, ProtocolError};

use crate::service_state::ServiceState;
use evshare_protocol::names::Namespace;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An NTSTATUS the driver completed a request with (`docs/protocol.md`, "Statuses"), or the
/// status it would have completed it with when the client refused the request first. The same
/// type as the kernel layer's and the protocol's (`evshare-ntstatus`).
pub use evshare_ntstatus::NtStatus;

/// What a name turned out to hold when it is not an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectKind {
    /// A mutex (`CreateMutexW`).
    Mutex,
    /// A semaphore (`CreateSemaphoreW`).
    Semaphore,
    /// A waitable timer (`CreateWaitableTimerW`).
    WaitableTimer,
    /// A section, i.e. a file mapping (`CreateFileMappingW`).
    Section,
    /// Something else (a job, a symbolic link, ...), or a kind we could not open to find out.
    Other,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Mutex => "a mutex",
            ObjectKind::Semaphore => "a semaphore",
            ObjectKind::WaitableTimer => "a waitable timer",
            ObjectKind::Section => "a section (file mapping)",
            ObjectKind::Other => "an object of another type",
        })
    }
}

/// Everything that can go wrong in this crate. The `Display` of each variant says the cause and
/// the fix; [`std::error::Error::source`] leads to the OS error or driver status behind it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `\\.\evshare` does not exist and there is no `evshare` service.
    #[error(
        "the evshare driver is not installed (there is no `evshare` service); \
         run `evshare install`, then `evshare start`"
    )]
    DriverNotInstalled {
        /// Why opening `\\.\evshare` failed.
        #[source]
        source: io::Error,
    },

    /// `\\.\evshare` does not exist because the service is not running.
    #[error(
        "the evshare driver is installed but not running (it is {state}); run `evshare start`"
    )]
    DriverNotRunning {
        /// The state the service manager reports.
        state: ServiceState,
        /// Why opening `\\.\evshare` failed.
        #[source]
        source: io::Error,
    },

    /// `\\.\evshare` cannot be opened although the service looks fine (or its state is unknown).
    #[error(
        "cannot open the evshare device `\\\\.\\evshare` although the service is {state}; \
         check `evshare status`, and restart the driver (`evshare stop`, `evshare start`) \
         if it is stuck"
    )]
    DeviceUnavailable {
        /// The state the service manager reports.
        state: ServiceState,
        /// Why opening `\\.\evshare` failed.
        #[source]
        source: io::Error,
    },

    /// The device at a path other than evshare's own (see `Driver::open_at`) cannot be
    /// opened.
    #[error(
        "cannot open the device `{path}`; check the path (`\\\\.\\NAME` opens the device \
         whose driver created the symbolic link `\\DosDevices\\NAME`) and that this driver \
         is loaded"
    )]
    CannotOpenDevice {
        /// The Win32 path given.
        path: String,
        /// Why opening it failed.
        #[source]
        source: io::Error,
    },

    /// The driver and this client speak different protocol versions.
    #[error(
        "the driver speaks evshare protocol version {}, this client speaks version {client}; \
         install a driver and a client built from the same evshare release",
        .driver.map_or_else(|| "other than this one".to_owned(), |v| v.to_string())
    )]
    VersionMismatch {
        /// The driver's version, when its reply said it (`None` when it only refused ours).
        driver: Option<u32>,
        /// [`evshare_protocol::PROTOCOL_VERSION`].
        client: u32,
    },

    /// No object of that name exists where the name resolves.
    #[error("{}", not_found_message(.name, .nt_path, *.namespace, .suggestion.as_deref()))]
    NameNotFound {
        /// The name as the caller gave it.
        name: String,
        /// The NT path it resolves to in the caller's session.
        nt_path: String,
        /// The directory of `nt_path`.
        namespace: Namespace,
        /// The same leaf in the other directory, when an event exists there.
        suggestion: Option<String>,
        /// `STATUS_OBJECT_NAME_NOT_FOUND` or `STATUS_OBJECT_PATH_NOT_FOUND`.
        #[source]
        status: NtStatus,
    },

    /// The name holds an object that is not an event.
    #[error(
        "`{name}` ({nt_path}) is {kind}, not an event; evshare signals events only: create an \
         event (CreateEventW) under a name that no other object uses"
    )]
    NotAnEvent {
        /// The name as the caller gave it.
        name: String,
        /// The NT path it resolves to.
        nt_path: String,
        /// What the name holds instead.
        kind: ObjectKind,
        /// `STATUS_OBJECT_TYPE_MISMATCH`.
        #[source]
        status: NtStatus,
    },

    /// The name lies outside the object directories evshare accepts.
    #[error(
        "`{name}` is outside the namespaces evshare accepts; name the event `Global\\X`, \
         `Local\\X`, `X`, `\\BaseNamedObjects\\X` or `\\Sessions\\{session}\\BaseNamedObjects\\X`"
    )]
    OutsideNamespace {
        /// The name as the caller gave it.
        name: String,
        /// The caller's session.
        session: u32,
        /// `STATUS_OBJECT_PATH_INVALID`.
        #[source]
        status: NtStatus,
    },

    /// The name is in another session's directory.
    #[error(
        "`{name}` is in another session's namespace, but this process runs in session \
         {session}; register an event of your own session (`X`, `Local\\X`, \
         `\\Sessions\\{session}\\BaseNamedObjects\\X`) or a global one (`Global\\X`)"
    )]
    OtherSession {
        /// The name as the caller gave it.
        name: String,
        /// The caller's session.
        session: u32,
        /// `STATUS_ACCESS_DENIED`.
        #[source]
        status: NtStatus,
    },

    /// The name is malformed.
    #[error(
        "`{name}` is not a valid event name ({reason}); use `Global\\X`, `Local\\X` or `X`, \
         where X is 1 to 200 characters without `\\` or NUL and is not `.` or `..`"
    )]
    InvalidName {
        /// The name as the caller gave it (NULs shown as `\0`).
        name: String,
        /// What is wrong with it.
        reason: String,
        /// `STATUS_OBJECT_NAME_INVALID`.
        #[source]
        status: NtStatus,
    },

    /// The name is too long.
    #[error(
        "the name `{name}` is {units} UTF-16 units long; evshare accepts at most 240 for the \
         whole name and 200 for the part after the last `\\`: choose a shorter name"
    )]
    NameTooLong {
        /// The name as the caller gave it.
        name: String,
        /// Its length in UTF-16 units.
        units: usize,
        /// `STATUS_NAME_TOO_LONG`.
        #[source]
        status: NtStatus,
    },

    /// The security descriptor of the named event does not let this process set it, so the
    /// driver, which opens it with the caller's access, refused it.
    #[error(
        "the security descriptor of `{name}` ({nt_path}) does not let this process set the \
         event, and the driver opens events with the caller's access, so it refused; create \
         the event with default security, or grant your user EVENT_MODIFY_STATE in its DACL"
    )]
    EventAccessDenied {
        /// The name as the caller gave it.
        name: String,
        /// The NT path it resolves to.
        nt_path: String,
        /// `STATUS_ACCESS_DENIED`.
        #[source]
        status: NtStatus,
    },

    /// The handle passed to the driver is not an open handle in this process.
    #[error(
        "handle {value:#x} is not an open handle of this process, so the driver cannot \
         reference it; pass the handle CreateEventW or OpenEventW returned while it is still \
         open (not 0, and not a pseudo-handle such as GetCurrentProcess())"
    )]
    InvalidHandle {
        /// The handle value sent.
        value: u64,
        /// `STATUS_INVALID_HANDLE`.
        #[source]
        status: NtStatus,
    },

    /// The handle passed to the driver refers to an object that is not an event.
    #[error(
        "handle {value:#x} refers to {}, not an event; evshare signals events only: pass a \
         handle from CreateEventW or OpenEventW",
        .type_name.as_deref().map_or_else(|| "an object of another type".to_owned(), |t| format!("a `{t}` object"))
    )]
    HandleNotAnEvent {
        /// The handle value sent.
        value: u64,
        /// The object type (`Mutant`, `File`, ...) when it could be asked.
        type_name: Option<String>,
        /// `STATUS_OBJECT_TYPE_MISMATCH`.
        #[source]
        status: NtStatus,
    },

    /// The event handle passed to the driver may not set the event.
    #[error(
        "handle {value:#x} to the event lacks EVENT_MODIFY_STATE{}, so the driver may not \
         signal through it; open it with EVENT_MODIFY_STATE (EVENT_ALL_ACCESS), or duplicate \
         a handle that has it",
        .granted.map(|granted| format!(" (it grants {})", crate::security::access::describe(granted))).unwrap_or_default()
    )]
    HandleLacksModifyAccess {
        /// The handle value sent.
        value: u64,
        /// What the handle grants, when it could be asked.
        granted: Option<u32>,
        /// `STATUS_ACCESS_DENIED`.
        #[source]
        status: NtStatus,
    },

    /// The name of the event the driver was asked to create is already taken.
    #[error(
        "someone already created `{name}` ({nt_path}), and the driver never adopts an existing \
         object as its own; pick another name, or unregister the registration that created it"
    )]
    NameCollision {
        /// The name an app opens it by (`evshare-X`, `Global\evshare-X`).
        name: String,
        /// The NT path the driver tried to create.
        nt_path: String,
        /// `STATUS_OBJECT_NAME_COLLISION`.
        #[source]
        status: NtStatus,
    },

    /// The leaf asked for a driver-created named event is malformed or too long.
    #[error(
        "`{leaf}` cannot name a driver-created event ({reason}); use 1 to 64 characters \
         without `\\` or NUL, other than `.` and `..` (the driver names the event \
         `evshare-<leaf>` in the directory the scope picks)"
    )]
    InvalidLeaf {
        /// The leaf as the caller gave it (NULs shown as `\0`).
        leaf: String,
        /// What is wrong with it.
        reason: String,
        /// `STATUS_OBJECT_NAME_INVALID` or `STATUS_NAME_TOO_LONG`.
        #[source]
        status: NtStatus,
    },

    /// Setting or resetting an event through a handle that may only wait.
    #[error(
        "cannot {operation} the {event}: this handle was not opened with EVENT_MODIFY_STATE{}; \
         open the event with EVENT_MODIFY_STATE, or, for an event the driver created, only \
         wait on it: the driver alone signals it, so nobody can fake or swallow its signals",
        .granted.map(|granted| format!(" (it grants {})", crate::security::access::describe(granted))).unwrap_or_default()
    )]
    NoModifyAccess {
        /// `set` or `reset`.
        operation: &'static str,
        /// Which event ("event `X`", "unnamed event (handle 0x1c)").
        event: String,
        /// What the handle grants, when it could be asked.
        granted: Option<u32>,
        /// `ERROR_ACCESS_DENIED`.
        #[source]
        source: io::Error,
    },

    /// The driver refused access.
    #[error(
        "the driver denied {operation}: this handle may not do it; open the driver with \
         `Driver::open` (read and write access), from a process allowed to use the device"
    )]
    AccessDenied {
        /// The request.
        operation: Ioctl,
        /// `STATUS_ACCESS_DENIED`.
        #[source]
        status: NtStatus,
    },

    /// Too many registrations, on this handle or in all.
    #[error(
        "the driver refused the registration: too many live registrations (on this handle or \
         in all{}); unregister events you no longer need, or close `Driver` handles you no \
         longer use",
        .limit.map(|limit| format!(", at most {limit}")).unwrap_or_default()
    )]
    QuotaExceeded {
        /// The driver's `max_registrations`, when known.
        limit: Option<u32>,
        /// `STATUS_QUOTA_EXCEEDED`.
        #[source]
        status: NtStatus,
    },

    /// The calling process holds as many registrations as one process may.
    #[error(
        "the driver refused {operation}: this process already holds {limit} live \
         registrations, the most one process may hold over all its `Driver` handles (so that \
         no app can take every registration from the others); unregister events you no longer \
         need, or have one registration wake several threads"
    )]
    ProcessRegistrationQuota {
        /// The request.
        operation: Ioctl,
        /// [`evshare_protocol::quota::MAX_PER_PROCESS`].
        limit: u32,
        /// `STATUS_EVSHARE_PROCESS_REGISTRATIONS`.
        #[source]
        status: NtStatus,
    },

    /// The process already keeps as many notification requests pending as one process may.
    #[error(
        "the driver refused {operation}: this process already keeps {limit} requests pending, \
         the most one process may; use a smaller depth for `Notifications`, or drop the ones \
         you no longer need"
    )]
    ProcessPendingQuota {
        /// The request.
        operation: Ioctl,
        /// [`evshare_protocol::quota::MAX_PENDING_PER_PROCESS`].
        limit: u32,
        /// `STATUS_EVSHARE_PROCESS_PENDING`.
        #[source]
        status: NtStatus,
    },

    /// The driver keeps as many pending requests as it may, from all processes together.
    #[error(
        "the driver refused {operation}: it already keeps {limit} requests pending from all \
         processes, the most it holds; try again once other apps' requests complete, or \
         receive through a ring instead (`Driver::register_ring`)"
    )]
    PendingPoolFull {
        /// The request.
        operation: Ioctl,
        /// [`evshare_protocol::quota::MAX_PENDING`].
        limit: u32,
        /// `STATUS_EVSHARE_PENDING_FULL`.
        #[source]
        status: NtStatus,
    },

    /// `VERIFIER` was sent to a driver that is not the verifier build.
    #[error(
        "the driver refused {operation}: it is not the verifier build (build it with \
         `--features verifier`; `cargo xtask test` installs it for its second e2e run)"
    )]
    NotVerifierBuild {
        /// The request.
        operation: Ioctl,
        /// `STATUS_NOT_SUPPORTED`.
        #[source]
        status: NtStatus,
    },

    /// The host driver declares no channel of that name (the client looked it up in
    /// `QUERY_CHANNELS`' list before subscribing).
    #[error(
        "the driver publishes no channel named {name:?}; its channels: {}",
        if available.is_empty() { "none".to_owned() } else { available.join(", ") }
    )]
    NoSuchChannel {
        /// The name asked for.
        name: String,
        /// The names the driver declares.
        available: Vec<String>,
    },

    /// The driver refused `SUBSCRIBE`.
    #[error("the driver refused to subscribe {subscriber} to channel {channel:?}: {why}")]
    SubscribeRefused {
        /// Who was to subscribe: `registration N`, or `the inverted call`.
        subscriber: String,
        /// The channel's name.
        channel: String,
        /// What the refusal means and what to do.
        why: &'static str,
        /// `STATUS_EVSHARE_NO_SUCH_CHANNEL`, `_ALREADY_SUBSCRIBED`, `_CHANNEL_FULL`,
        /// `_CHANNEL_TOO_WIDE` or `_CHANNEL_SHARE`.
        #[source]
        status: NtStatus,
    },

    /// The ring would take the process past its ring-bytes quota.
    #[error(
        "the driver refused {operation}: this ring would take this process's rings past {} MiB \
         of sections, the most one process may have the driver map and lock; use a smaller \
         capacity, or unregister rings you no longer need",
        .limit_bytes >> 20
    )]
    ProcessRingBytesQuota {
        /// The request.
        operation: Ioctl,
        /// [`evshare_protocol::quota::MAX_RING_BYTES_PER_PROCESS`].
        limit_bytes: u64,
        /// `STATUS_EVSHARE_PROCESS_RING_BYTES`.
        #[source]
        status: NtStatus,
    },

    /// The process's periodic timers would signal more often than its budget allows.
    #[error(
        "the driver refused {operation}: this process's periodic registrations would ask for \
         more than {budget} signals per second in all (a period of P ms costs 1000/P per \
         second); use longer periods or fewer periodic registrations, or signal on demand \
         (`SignalMode::OnDemand` and `signal()`)"
    )]
    TimerBudget {
        /// The request.
        operation: Ioctl,
        /// [`evshare_protocol::quota::MAX_SIGNALS_PER_SECOND_PER_PROCESS`].
        budget: u32,
        /// `STATUS_EVSHARE_TIMER_BUDGET`.
        #[source]
        status: NtStatus,
    },

    /// The driver is stopping or has stopped: it refuses new requests, and registrations made
    /// through this handle are gone.
    #[error(
        "the evshare driver stopped ({what}); every registration made through this `Driver` \
         handle is gone: once it runs again (`evshare start`), open a new `Driver` and register \
         again"
    )]
    DriverStopped {
        /// What showed it ("SIGNAL was refused", "registration 7 is gone while waiting").
        what: String,
        /// `STATUS_DELETE_PENDING` (the driver refused), `STATUS_FILE_DELETED` (the device is
        /// gone), or none (the registration vanished).
        #[source]
        status: Option<NtStatus>,
    },

    /// The registration id is not one this handle owns.
    #[error(
        "registration {id} is unknown to the driver ({operation}): it was unregistered \
         already, or it belongs to another handle (a registration lives and dies with the \
         `Driver` handle that made it)"
    )]
    UnknownRegistration {
        /// The id.
        id: u64,
        /// The request.
        operation: Ioctl,
        /// `STATUS_NOT_FOUND`.
        #[source]
        status: NtStatus,
    },

    /// The kernel is out of pool memory.
    #[error(
        "the driver ran out of kernel memory during {operation}; unregister events you no \
         longer need and try again"
    )]
    OutOfResources {
        /// The request.
        operation: Ioctl,
        /// `STATUS_INSUFFICIENT_RESOURCES` or `STATUS_NO_MEMORY`.
        #[source]
        status: NtStatus,
    },

    /// The driver refused a request for a reason the client does not expect from a
    /// well-formed request; the two sides are probably out of step.
    #[error(
        "the driver rejected {operation}; the driver and this client may come from different \
         evshare builds: compare `evshare status` with `evshare --version`"
    )]
    DriverRejected {
        /// The request.
        operation: Ioctl,
        /// The status.
        #[source]
        status: NtStatus,
    },

    /// The driver's reply does not follow the protocol.
    #[error(
        "the driver's reply to {operation} is malformed; the driver and this client may come \
         from different evshare builds: install matching ones"
    )]
    BadReply {
        /// The request.
        operation: Ioctl,
        /// What is wrong with the reply.
        #[source]
        source: ProtocolError,
    },

    /// This client refused to send a request it could not encode.
    #[error(
        "this client refused to send {operation}: the request breaks the protocol; fix the \
         arguments named below"
    )]
    InvalidRequest {
        /// The request.
        operation: Ioctl,
        /// What is wrong with it.
        #[source]
        source: ProtocolError,
    },

    /// The driver's reply is well-formed but does not answer the request that was sent.
    #[error(
        "the driver's reply to {operation} does not fit the request ({what}); the driver and \
         this client may come from different evshare builds: install matching ones"
    )]
    UnexpectedReply {
        /// The request.
        operation: Ioctl,
        /// What does not fit.
        what: &'static str,
    },

    /// A signal mode the protocol does not allow.
    #[error(
        "invalid signal mode {mode}: a period must be 1 to 3,600,000 ms and a delay 0 to \
         3,600,000 ms"
    )]
    InvalidMode {
        /// The mode.
        mode: evshare_protocol::SignalMode,
        /// The protocol's verdict.
        #[source]
        source: ProtocolError,
    },

    /// Creating a named object found the name taken.
    #[error(
        "an object named `{name}` already exists{}; pick another name, or open the existing \
         event with `Event::open` if it is yours",
        .kind.map(|kind| format!(" ({kind})")).unwrap_or_default()
    )]
    NameTaken {
        /// The name.
        name: String,
        /// What holds it, if it is not the type we tried to create.
        kind: Option<ObjectKind>,
    },

    /// A Win32 call failed.
    #[error("could not {operation}")]
    Os {
        /// What we were doing ("open event `X`").
        operation: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// A service-manager call failed; `hint` says what to do.
    #[error("could not {operation}: {hint}")]
    Service {
        /// What we were doing ("start the evshare service").
        operation: &'static str,
        /// What to do about it.
        hint: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The service did not reach the wanted state in time.
    #[error(
        "the evshare service did not become {wanted} within {} s (it is {state}); check \
         `evshare status`; a driver that does not stop usually still has open handles or \
         registrations",
        .waited.as_secs()
    )]
    ServiceTimeout {
        /// The state waited for.
        wanted: ServiceState,
        /// The state at the deadline.
        state: ServiceState,
        /// How long we waited.
        waited: std::time::Duration,
    },

    /// The driver binary to install does not exist or cannot be read.
    #[error(
        "cannot read the driver binary `{}`; build it (`cargo xtask build-driver`) or pass \
         its path with `evshare install --sys PATH`",
        .path.display()
    )]
    DriverFileMissing {
        /// The path tried.
        path: PathBuf,
        /// Why reading it failed.
        #[source]
        source: io::Error,
    },

    /// Installing over a running driver.
    #[error(
        "the evshare driver is running, so its binary cannot be replaced; run `evshare stop` \
         first"
    )]
    DriverRunning,
}

impl Error {
    /// The NTSTATUS behind this error: the driver's, or the one it would have returned for a
    /// request the client refused before sending.
    pub fn status(&self) -> Option<NtStatus> {
        match self {
            Error::NameNotFound { status, .. }
            | Error::NotAnEvent { status, .. }
            | Error::OutsideNamespace { status, .. }
            | Error::OtherSession { status, .. }
            | Error::EventAccessDenied { status, .. }
            | Error::InvalidHandle { status, .. }
            | Error::HandleNotAnEvent { status, .. }
            | Error::HandleLacksModifyAccess { status, .. }
            | Error::NameCollision { status, .. }
            | Error::InvalidLeaf { status, .. }
            | Error::InvalidName { status, .. }
            | Error::NameTooLong { status, .. }
            | Error::AccessDenied { status, .. }
            | Error::QuotaExceeded { status, .. }
            | Error::ProcessRegistrationQuota { status, .. }
            | Error::ProcessRingBytesQuota { status, .. }
            | Error::ProcessPendingQuota { status, .. }
            | Error::PendingPoolFull { status, .. }
            | Error::NotVerifierBuild { status, .. }
            | Error::TimerBudget { status, .. }
            | Error::SubscribeRefused { status, .. }
            | Error::UnknownRegistration { status, .. }
            | Error::OutOfResources { status, .. }
            | Error::DriverRejected { status, .. } => Some(*status),
            Error::DriverStopped { status, .. } => *status,
            Error::VersionMismatch { .. } => {
                Some(NtStatus(evshare_protocol::status::STATUS_REVISION_MISMATCH))
            }
            _ => None,
        }
    }

    /// True for the errors that mean "the driver is not there": not installed, not running,
    /// its device (evshare's or the one given to `Driver::open_at`) cannot be opened, or it
    /// stopped under an open handle.
    pub fn is_driver_unavailable(&self) -> bool {
        matches!(
            self,
            Error::DriverNotInstalled { .. }
                | Error::DriverNotRunning { .. }
                | Error::DeviceUnavailable { .. }
                | Error::CannotOpenDevice { .. }
                | Error::DriverStopped { .. }
        )
    }

    pub(crate) fn os(operation: impl Into<String>, source: io::Error) -> Self {
        Error::Os {
            operation: operation.into(),
            source,
        }
    }
}

fn not_found_message(
    name: &str,
    nt_path: &str,
    namespace: Namespace,
    suggestion: Option<&str>,
) -> String {
    let leaf = nt_path.rsplit('\\').next().unwrap_or(name);
    let directory = crate::hints::describe(namespace);
    let mut message = format!("no event named `{name}` in {directory} ({nt_path})");
    match (namespace, suggestion) {
        (Namespace::Session(_), Some(global)) => message.push_str(&format!(
            "; an event `{global}` exists in the global namespace: did you mean `{global}`?"
        )),
        (Namespace::Global, Some(local)) => message.push_str(&format!(
            "; an event `{leaf}` exists in this session's namespace: did you mean `{local}` \
             (without `Global\\`)?"
        )),
        (Namespace::Session(_), None) => message.push_str(&format!(
            "; create it first (the driver opens events, it never creates them), or if it was \
             created with the `Global\\` prefix, register `Global\\{leaf}`"
        )),
        (Namespace::Global, None) => message.push_str(&format!(
            "; create it first with the `Global\\` prefix (`CreateEventW(.., \"Global\\\\{leaf}\")`); \
             the driver opens events, it never creates them"
        )),
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use evshare_protocol::status::*;

    fn chain(error: &dyn std::error::Error) -> Vec<String> {
        let mut out = vec![error.to_string()];
        let mut next = error.source();
        while let Some(e) = next {
            out.push(e.to_string());
            next = e.source();
        }
        out
    }

    #[test]
    fn bare_name_not_found_explains_the_session_and_the_global_prefix() {
        let error = Error::NameNotFound {
            name: "X".into(),
            nt_path: r"\Sessions\1\BaseNamedObjects\X".into(),
            namespace: Namespace::Session(1),
            suggestion: None,
            status: NtStatus(STATUS_OBJECT_NAME_NOT_FOUND),
        };
        let text = error.to_string();
        assert!(text.contains(r"no event named `X` in session 1 (\Sessions\1\BaseNamedObjects\X)"));
        assert!(text.contains("create it first"));
        assert!(text.contains(r"register `Global\X`"));
        assert!(!text.contains("did you mean"), "{text}");
        assert_eq!(
            chain(&error)[1],
            "STATUS_OBJECT_NAME_NOT_FOUND (0xC0000034)"
        );
        assert_eq!(error.status(), Some(NtStatus(STATUS_OBJECT_NAME_NOT_FOUND)));
    }

    #[test]
    fn suggestions_appear_only_when_the_other_event_exists() {
        let error = Error::NameNotFound {
            name: "X".into(),
            nt_path: r"\Sessions\1\BaseNamedObjects\X".into(),
            namespace: Namespace::Session(1),
            suggestion: Some(r"Global\X".into()),
            status: NtStatus(STATUS_OBJECT_NAME_NOT_FOUND),
        };
        assert!(error.to_string().contains(r"did you mean `Global\X`?"));

        let error = Error::NameNotFound {
            name: r"Global\X".into(),
            nt_path: r"\BaseNamedObjects\X".into(),
            namespace: Namespace::Global,
            suggestion: Some("X".into()),
            status: NtStatus(STATUS_OBJECT_NAME_NOT_FOUND),
        };
        let text = error.to_string();
        assert!(text.contains("in the global namespace"), "{text}");
        assert!(
            text.contains("did you mean `X` (without `Global\\`)?"),
            "{text}"
        );
    }

    #[test]
    fn type_mismatch_names_the_kind() {
        let error = Error::NotAnEvent {
            name: "M".into(),
            nt_path: r"\Sessions\1\BaseNamedObjects\M".into(),
            kind: ObjectKind::Mutex,
            status: NtStatus(STATUS_OBJECT_TYPE_MISMATCH),
        };
        assert!(error
            .to_string()
            .starts_with(r"`M` (\Sessions\1\BaseNamedObjects\M) is a mutex, not an event"));
    }

    #[test]
    fn driver_unavailable_errors_say_which_command_fixes_them() {
        let gone = || io::Error::from(io::ErrorKind::NotFound);
        let error = Error::DriverNotInstalled { source: gone() };
        assert!(error.to_string().contains("run `evshare install`"));
        assert!(error.is_driver_unavailable());
        let error = Error::DriverNotRunning {
            state: ServiceState::Stopped,
            source: gone(),
        };
        assert_eq!(
            error.to_string(),
            "the evshare driver is installed but not running (it is stopped); run `evshare start`"
        );
        assert!(error.is_driver_unavailable());
    }

    #[test]
    fn another_device_that_cannot_be_opened_is_named_with_the_os_error() {
        let error = Error::CannotOpenDevice {
            path: r"\\.\mydriver".into(),
            source: io::Error::from_raw_os_error(2),
        };
        let text = error.to_string();
        assert!(
            text.starts_with(r"cannot open the device `\\.\mydriver`; check the path"),
            "{text}"
        );
        assert!(text.contains(r"`\DosDevices\NAME`"), "{text}");
        assert!(!text.contains("evshare start"), "{text}");
        assert_eq!(
            chain(&error)[1],
            io::Error::from_raw_os_error(2).to_string()
        );
        assert!(error.is_driver_unavailable());
        assert_eq!(error.status(), None);
    }

    #[test]
    fn unknown_statuses_print_their_value() {
        assert_eq!(NtStatus(0xC000_0BAD).to_string(), "NTSTATUS 0xC0000BAD");
        let error = Error::DriverRejected {
            operation: Ioctl::Signal,
            status: NtStatus(0xC000_0BAD),
        };
        assert!(error.to_string().starts_with("the driver rejected SIGNAL"));
    }

    #[test]
    fn version_mismatch_with_and_without_the_driver_version() {
        let error = Error::VersionMismatch {
            driver: Some(2),
            client: 1,
        };
        assert!(error
            .to_string()
            .contains("version 2, this client speaks version 1"));
        let error = Error::VersionMismatch {
            driver: None,
            client: 1,
        };
        assert!(error.to_string().contains("version other than this one"));
    }
}
