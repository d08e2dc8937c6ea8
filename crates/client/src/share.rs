//! [`Share`]: the four ways an app and the driver can come to share an event — OSR's "Sharing
//! Is Caring" methods, each made safe by the driver. Which one to use is a choice; what follows
//! is the same for all of them: [`Driver::register`](crate::Driver::register) returns a
//! [`Registration`](crate::Registration) whose [`wait`](crate::Registration::wait) waits for
//! the driver's signals and whose drop unregisters.

use std::os::windows::io::{AsHandle, BorrowedHandle};

use evshare_protocol::{EventKind, Method, Scope};

/// How an event comes to be shared with the driver. Whatever the method, the
/// [`Registration`](crate::Registration) is used the same way; what differs is who creates the
/// event and what the app waits on:
///
/// | method | who creates the event | what the app waits on |
/// |---|---|---|
/// | [`ByName`](Share::ByName) | the app, named | its event, opened again by name (`SYNCHRONIZE`) |
/// | [`ByHandle`](Share::ByHandle) | the app, named or not | a `SYNCHRONIZE` duplicate of its handle |
/// | [`DriverCreated`](Share::DriverCreated) | the driver, unnamed | the `SYNCHRONIZE`-only handle the driver gives |
/// | [`DriverNamed`](Share::DriverNamed) | the driver, `evshare-<leaf>` | the event opened by name (`SYNCHRONIZE \| READ_CONTROL`) |
#[derive(Clone, Copy, Debug)]
pub enum Share<'a> {
    /// The app created a named event (`CreateEventW(.., "X")`); the driver opens it by that
    /// name, resolved in the app's session as the app meant it (`X`, `Local\X`, `Global\X`,
    /// or an NT path), and never creates it: a misspelled name is an error, not a silent
    /// success. The article's recommendation.
    ByName(&'a str),
    /// The app passes a handle to an event it opened with `EVENT_MODIFY_STATE`
    /// ([`Share::by_handle`] takes an [`Event`](crate::Event)). The driver duplicates it out of
    /// this process, checks the type and access itself, and keeps a reference: the app may
    /// close its handle afterwards.
    ByHandle(BorrowedHandle<'a>),
    /// The driver creates an unnamed event and puts a handle to it into this process with
    /// `SYNCHRONIZE` access only: the app can wait on it but neither set nor reset it, so it
    /// can neither fake nor swallow the driver's signals.
    DriverCreated {
        /// Auto- or manual-reset.
        kind: EventKind,
    },
    /// The driver creates the named event `evshare-<leaf>` in this session's directory (or the
    /// global one), with a DACL that lets only this process's user wait on it, and refuses a
    /// name that already exists instead of adopting someone else's object.
    DriverNamed {
        /// The app's part of the name: 1 to 64 characters, no `\`, not `.` or `..`.
        leaf: &'a str,
        /// This session's directory (`evshare-<leaf>`) or the global one
        /// (`Global\evshare-<leaf>`).
        scope: Scope,
        /// Auto- or manual-reset.
        kind: EventKind,
    },
}

impl<'a> Share<'a> {
    /// [`Share::ByHandle`] for an event (or anything else that has a handle).
    pub fn by_handle(event: &'a impl AsHandle) -> Self {
        Share::ByHandle(event.as_handle())
    }

    /// The method this share records in the driver's registration and stats.
    pub fn method(&self) -> Method {
        match self {
            Share::ByName(_) => Method::ByName,
            Share::ByHandle(_) => Method::ByHandle,
            Share::DriverCreated { .. } => Method::DriverHandle,
            Share::DriverNamed { .. } => Method::DriverNamed,
        }
    }
}
