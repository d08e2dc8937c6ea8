//! Events (named or not) and named mutexes through kernel32: what apps create for the driver to
//! open or reference, and the handles they wait on.
//!
//! A bare name lands in the caller's session (`\Sessions\N\BaseNamedObjects\X`), `Global\X` in
//! `\BaseNamedObjects\X` — the namespace rules of
//! <https://learn.microsoft.com/windows/win32/termserv/kernel-object-namespaces>.

use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, OwnedHandle};
use std::time::Duration;

use crate::error::{Error, ObjectKind, Result};
use crate::security::{access, SecurityInfo};
use crate::sys::sync::{self, Created};
use crate::sys::wide::WideCString;
use crate::sys::{handle, security};

/// How an event resets after a wait is satisfied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetKind {
    /// One waiter is released per signal and the event resets itself. Signals that arrive
    /// while it is already set coalesce into one.
    Auto,
    /// Stays set until someone calls [`Event::reset`].
    Manual,
}

/// What a wait ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The event was (or became) signalled.
    Signaled,
    /// The timeout passed first.
    TimedOut,
}

/// A Win32 event handle owned by this process: one it created (named or not), opened by name,
/// or received from the driver (then it may only wait: see [`Registration::event`]).
///
/// [`Registration::event`]: crate::Registration::event
#[derive(Debug)]
pub struct Event {
    handle: OwnedHandle,
    name: Option<String>,
}

impl Event {
    /// Creates a new, non-signalled named event. Fails with [`Error::NameTaken`] if an object
    /// of that name already exists, so you never share a squatter's event by accident.
    pub fn create(name: &str, reset: ResetKind) -> Result<Event> {
        let wide = wide_name(name)?;
        let created = sync::create_event(Some(&wide), reset == ResetKind::Manual);
        Self::adopt_new(name, created)
    }

    /// [`Event::create`] with [`ResetKind::Auto`].
    pub fn create_auto_reset(name: &str) -> Result<Event> {
        Self::create(name, ResetKind::Auto)
    }

    /// [`Event::create`] with [`ResetKind::Manual`].
    pub fn create_manual_reset(name: &str) -> Result<Event> {
        Self::create(name, ResetKind::Manual)
    }

    /// [`Event::create`] with the security descriptor `sddl`, in SDDL
    /// (<https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format>).
    /// For example `D:(A;;0x100000;;;WD)` lets everyone only wait on it. The creating handle
    /// gets full access whatever the descriptor says; later opens (the driver's included) are
    /// checked against it.
    pub fn create_with_security(name: &str, reset: ResetKind, sddl: &str) -> Result<Event> {
        let wide = wide_name(name)?;
        let descriptor = WideCString::new(sddl).map_err(|_| {
            Error::os(
                format!("read the security descriptor `{sddl}`"),
                std::io::ErrorKind::InvalidInput.into(),
            )
        })?;
        let created =
            security::create_event_with_sddl(Some(&wide), reset == ResetKind::Manual, &descriptor);
        Self::adopt_new(name, created)
    }

    fn adopt_new(name: &str, created: std::io::Result<(OwnedHandle, Created)>) -> Result<Event> {
        match created {
            Ok((_, Created::AlreadyExisted)) => Err(Error::NameTaken {
                name: name.to_owned(),
                kind: None,
            }),
            Ok((handle, Created::New)) => Ok(Event {
                handle,
                name: Some(name.to_owned()),
            }),
            Err(error) if is_type_clash(&error) => Err(Error::NameTaken {
                name: name.to_owned(),
                kind: Some(crate::probe::kind_of(name)),
            }),
            Err(source) => Err(Error::os(format!("create event `{name}`"), source)),
        }
    }

    /// Creates a new, non-signalled event without a name, with full access: the event to
    /// share with the driver by handle ([`Share::ByHandle`](crate::Share::ByHandle)).
    pub fn new(reset: ResetKind) -> Result<Event> {
        sync::create_event(None, reset == ResetKind::Manual)
            .map(|(handle, _)| Event { handle, name: None })
            .map_err(|source| Error::os("create an unnamed event", source))
    }

    /// Opens an existing named event for waiting, setting and resetting.
    pub fn open(name: &str) -> Result<Event> {
        Self::open_with_access(name, access::SYNCHRONIZE | access::EVENT_MODIFY_STATE)
    }

    /// Opens an existing named event with exactly `access` (see [`access`]); for a
    /// driver-created named event, `SYNCHRONIZE | READ_CONTROL` is all its DACL grants.
    pub fn open_with_access(name: &str, access: u32) -> Result<Event> {
        let wide = wide_name(name)?;
        sync::open_event_with(&wide, access)
            .map(|handle| Event {
                handle,
                name: Some(name.to_owned()),
            })
            .map_err(|source| {
                Error::os(
                    format!("open event `{name}` for {}", access::describe(access)),
                    source,
                )
            })
    }

    /// Adopts a handle known to be an event.
    pub(crate) fn from_handle(handle: OwnedHandle, name: Option<String>) -> Event {
        Event { handle, name }
    }

    /// The name it was created or opened with; `None` for an unnamed event.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// How messages name it: "event `X`", or "unnamed event (handle 0x1c)".
    fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("event `{name}`"),
            None => format!(
                "unnamed event (handle {:#x})",
                self.handle.as_raw_handle() as usize
            ),
        }
    }

    /// Waits until the event is signalled or `timeout` passes (rounded down to milliseconds;
    /// `Duration::MAX` waits forever).
    pub fn wait(&self, timeout: Duration) -> Result<WaitOutcome> {
        match sync::wait(self.handle.as_handle(), millis(timeout)) {
            Ok(true) => Ok(WaitOutcome::Signaled),
            Ok(false) => Ok(WaitOutcome::TimedOut),
            Err(source) => Err(Error::os(format!("wait for {}", self.label()), source)),
        }
    }

    /// True if the event is signalled right now. For an auto-reset event this consumes the
    /// signal, like any satisfied wait.
    pub fn is_signaled(&self) -> Result<bool> {
        self.wait(Duration::ZERO)
            .map(|outcome| outcome == WaitOutcome::Signaled)
    }

    /// Sets the event (`SetEvent`). Needs `EVENT_MODIFY_STATE`: on a handle without it (such
    /// as the one the driver gives for an event it created) this fails with
    /// [`Error::NoModifyAccess`].
    pub fn set(&self) -> Result<()> {
        sync::set_event(self.handle.as_handle()).map_err(|source| self.modify_error("set", source))
    }

    /// Resets the event (`ResetEvent`); needs `EVENT_MODIFY_STATE`, like [`set`](Self::set).
    pub fn reset(&self) -> Result<()> {
        sync::reset_event(self.handle.as_handle())
            .map_err(|source| self.modify_error("reset", source))
    }

    fn modify_error(&self, operation: &'static str, source: std::io::Error) -> Error {
        let denied = source.raw_os_error()
            == Some(windows_sys::Win32::Foundation::ERROR_ACCESS_DENIED as i32);
        if denied {
            Error::NoModifyAccess {
                operation,
                event: self.label(),
                granted: self.granted_access().ok(),
                source,
            }
        } else {
            Error::os(format!("{operation} {}", self.label()), source)
        }
    }

    /// A second handle to the same event with exactly `access` (`DuplicateHandle`): for
    /// example a `SYNCHRONIZE` one to wait on after this one is closed. Asking for more than
    /// this handle's object allows fails (`ERROR_ACCESS_DENIED` in the source).
    pub fn duplicate(&self, access: u32) -> Result<Event> {
        handle::duplicate(self.handle.as_handle(), access)
            .map(|handle| Event {
                handle,
                name: self.name.clone(),
            })
            .map_err(|source| {
                Error::os(
                    format!(
                        "duplicate a handle to {} with {}",
                        self.label(),
                        access::describe(access)
                    ),
                    source,
                )
            })
    }

    /// The access this handle grants (`NtQueryObject`), as bits of [`access`].
    pub fn granted_access(&self) -> Result<u32> {
        handle::granted_access(self.handle.as_handle()).map_err(|status| {
            Error::os(
                format!("ask which access the handle to {} grants", self.label()),
                std::io::Error::other(crate::error::NtStatus(status)),
            )
        })
    }

    /// The event's owner and DACL (`GetSecurityInfo`); the handle needs `READ_CONTROL`.
    pub fn security(&self) -> Result<SecurityInfo> {
        security::security_of(self.handle.as_handle()).map_err(|source| {
            Error::os(
                format!(
                    "read the security descriptor of {} (the handle needs READ_CONTROL)",
                    self.label()
                ),
                source,
            )
        })
    }
}

/// Waits until one of `events` is signalled or `timeout` passes; returns the index of the
/// signalled one (the lowest if several are), or `None` on timeout. At most 64 events.
///
/// The usual use: wait for a registration's signal *or* a request to stop
/// ([`interrupt_event`](crate::interrupt_event)).
pub fn wait_any(events: &[&Event], timeout: Duration) -> Result<Option<usize>> {
    let handles: Vec<BorrowedHandle<'_>> = events.iter().map(|event| event.as_handle()).collect();
    sync::wait_any(&handles, millis(timeout))
        .map_err(|source| Error::os(format!("wait for any of {} events", events.len()), source))
}

/// The SID of the user this process runs as (`S-1-5-21-...`), to compare with the ACEs of
/// [`Event::security`].
pub fn current_user_sid() -> Result<String> {
    security::current_user_sid().map_err(|source| Error::os("read this process's user SID", source))
}

/// A timeout in the milliseconds Win32 waits take (`Duration::MAX` is `INFINITE`).
fn millis(timeout: Duration) -> u32 {
    if timeout == Duration::MAX {
        return u32::MAX;
    }
    u32::try_from(timeout.as_millis())
        .unwrap_or(u32::MAX)
        .min(u32::MAX - 1)
}

impl AsHandle for Event {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.handle.as_handle()
    }
}

/// A named mutex: an object that is *not* an event, for showing what the driver does with one.
#[derive(Debug)]
pub struct NamedMutex {
    _handle: OwnedHandle,
    name: String,
}

impl NamedMutex {
    /// Creates a new named mutex, not owned. Fails with [`Error::NameTaken`] if the name is
    /// already in use.
    pub fn create(name: &str) -> Result<NamedMutex> {
        let wide = wide_name(name)?;
        match sync::create_mutex(&wide) {
            Ok((_, Created::AlreadyExisted)) => Err(Error::NameTaken {
                name: name.to_owned(),
                kind: None,
            }),
            Ok((handle, Created::New)) => Ok(NamedMutex {
                _handle: handle,
                name: name.to_owned(),
            }),
            Err(error) if is_type_clash(&error) => Err(Error::NameTaken {
                name: name.to_owned(),
                kind: Some(ObjectKind::Other),
            }),
            Err(source) => Err(Error::os(format!("create mutex `{name}`"), source)),
        }
    }

    /// The name it was created with.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl AsHandle for NamedMutex {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self._handle.as_handle()
    }
}

/// The session this process runs in (`ProcessIdToSessionId`): where its bare names live.
pub fn current_session_id() -> Result<u32> {
    session_of(std::process::id())
}

/// The session of process `pid`.
pub fn session_of(pid: u32) -> Result<u32> {
    sync::session_of(pid)
        .map_err(|source| Error::os(format!("find the session of process {pid}"), source))
}

/// `Create*W` on a name that holds an object of another type fails with
/// `ERROR_INVALID_HANDLE`.
fn is_type_clash(error: &std::io::Error) -> bool {
    error.raw_os_error() == Some(windows_sys::Win32::Foundation::ERROR_INVALID_HANDLE as i32)
}

pub(crate) fn wide_name(name: &str) -> Result<WideCString> {
    WideCString::new(name).map_err(|_| Error::InvalidName {
        name: name.replace('\0', "\\0"),
        reason: "it contains a NUL character".to_owned(),
        status: crate::error::NtStatus(evshare_protocol::status::STATUS_OBJECT_NAME_INVALID),
    })
}
