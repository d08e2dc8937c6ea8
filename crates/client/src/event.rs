//! Named events and mutexes through kernel32, for apps to create what the driver will open.
//!
//! A bare name lands in the caller's session (`\Sessions\N\BaseNamedObjects\X`), `Global\X` in
//! `\BaseNamedObjects\X` — the namespace rules of
//! <https://learn.microsoft.com/windows/win32/termserv/kernel-object-namespaces>.

use std::os::windows::io::{AsHandle, BorrowedHandle, OwnedHandle};
use std::time::Duration;

use crate::error::{Error, ObjectKind, Result};
use crate::sys::sync::{self, Created};
use crate::sys::wide::WideCString;

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

/// A named Win32 event owned by this process.
#[derive(Debug)]
pub struct Event {
    handle: OwnedHandle,
    name: String,
}

impl Event {
    /// Creates a new, non-signalled named event. Fails with [`Error::NameTaken`] if an object
    /// of that name already exists, so you never share a squatter's event by accident.
    pub fn create(name: &str, reset: ResetKind) -> Result<Event> {
        let wide = wide_name(name)?;
        match sync::create_event(&wide, reset == ResetKind::Manual) {
            Ok((_, Created::AlreadyExisted)) => Err(Error::NameTaken {
                name: name.to_owned(),
                kind: None,
            }),
            Ok((handle, Created::New)) => Ok(Event {
                handle,
                name: name.to_owned(),
            }),
            Err(error) if is_type_clash(&error) => Err(Error::NameTaken {
                name: name.to_owned(),
                kind: Some(crate::probe::kind_of(name)),
            }),
            Err(source) => Err(Error::os(format!("create event `{name}`"), source)),
        }
    }

    /// [`Event::create`] with [`ResetKind::Auto`].
    pub fn create_auto_reset(name: &str) -> Result<Event> {
        Self::create(name, ResetKind::Auto)
    }

    /// [`Event::create`] with [`ResetKind::Manual`].
    pub fn create_manual_reset(name: &str) -> Result<Event> {
        Self::create(name, ResetKind::Manual)
    }

    /// Opens an existing named event for waiting, setting and resetting.
    pub fn open(name: &str) -> Result<Event> {
        let wide = wide_name(name)?;
        sync::open_event(&wide)
            .map(|handle| Event {
                handle,
                name: name.to_owned(),
            })
            .map_err(|source| Error::os(format!("open event `{name}`"), source))
    }

    /// The name it was created or opened with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Waits until the event is signalled or `timeout` passes (rounded down to milliseconds;
    /// `Duration::MAX` waits forever).
    pub fn wait(&self, timeout: Duration) -> Result<WaitOutcome> {
        let millis = u32::try_from(timeout.as_millis())
            .unwrap_or(u32::MAX)
            .min(u32::MAX - 1);
        let millis = if timeout == Duration::MAX {
            u32::MAX
        } else {
            millis
        };
        match sync::wait(self.handle.as_handle(), millis) {
            Ok(true) => Ok(WaitOutcome::Signaled),
            Ok(false) => Ok(WaitOutcome::TimedOut),
            Err(source) => Err(Error::os(format!("wait for event `{}`", self.name), source)),
        }
    }

    /// True if the event is signalled right now. For an auto-reset event this consumes the
    /// signal, like any satisfied wait.
    pub fn is_signaled(&self) -> Result<bool> {
        self.wait(Duration::ZERO)
            .map(|outcome| outcome == WaitOutcome::Signaled)
    }

    /// Sets the event (`SetEvent`).
    pub fn set(&self) -> Result<()> {
        sync::set_event(self.handle.as_handle())
            .map_err(|source| Error::os(format!("set event `{}`", self.name), source))
    }

    /// Resets the event (`ResetEvent`).
    pub fn reset(&self) -> Result<()> {
        sync::reset_event(self.handle.as_handle())
            .map_err(|source| Error::os(format!("reset event `{}`", self.name), source))
    }
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
