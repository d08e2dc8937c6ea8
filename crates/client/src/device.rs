//! [`Driver`]: an open handle to the evshare control device (`\\.\evshare`, or the device of
//! a driver that embeds evshare) and the requests of `docs/protocol.md`, sent with
//! `NtDeviceIoControlFile` so failures keep the driver's exact NTSTATUS.

use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, OwnedHandle};

use evshare_protocol::ioctl::USER_PATH;
use evshare_protocol::names::{driver_created, ResolvedName};
use evshare_protocol::request::{
    leaf_to_wire, name_to_wire, MAX_CREATED_LEAF_BYTES, MAX_NAME_BYTES, MAX_REQUEST_LEN,
};
use evshare_protocol::status::STATUS_ACCESS_DENIED;
use evshare_protocol::{
    EventKind, HoldersReply, Ioctl, IoctlSpace, Method, ProtocolError, RegisterReply,
    RegistrationInfo, Request, Scope, SignalMode, StatsReply, VerifierFigures, VerifierOp,
    VerifierReply, VersionReply, PROTOCOL_VERSION,
};
use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND};

use crate::error::{Error, NtStatus, Result};
use crate::event::{current_session_id, Event};
use crate::hints;
use crate::registration::{Parts, Registration};
use crate::security::access;
use crate::service::{self, ServiceState};
use crate::share::Share;
use crate::status_map::{self, HandleFacts, LeafRequest, NameRequest};
use crate::sys;
use crate::sys::wide::WideCString;
use crate::wire::encode_in;

/// An open handle to the evshare driver. Registrations made through it belong to it: the
/// driver drops them all when the handle closes (or the process dies).
#[derive(Debug)]
pub struct Driver {
    handle: OwnedHandle,
    /// The Win32 path it was opened at; handles it opens later (notifications) open the same.
    path: String,
    /// Where the driver at `path` keeps evshare's IOCTL codes; every request is sent with its
    /// code in this space.
    space: IoctlSpace,
    session: u32,
    version: VersionReply,
    writable: bool,
}

impl Driver {
    /// Opens `\\.\evshare` for reading and writing and checks that the driver speaks this
    /// client's protocol version: [`open_at`](Self::open_at) with
    /// [`DEFAULT_DEVICE_PATH`](crate::DEFAULT_DEVICE_PATH).
    ///
    /// When the device is missing, the error says why: [`Error::DriverNotInstalled`]
    /// (run `evshare install`), [`Error::DriverNotRunning`] (run `evshare start`) or
    /// [`Error::DeviceUnavailable`].
    pub fn open() -> Result<Driver> {
        Self::open_at(USER_PATH)
    }

    /// Opens the evshare device at the Win32 path `path` (`\\.\mydriver` for a driver that
    /// embeds evshare and created the symbolic link `\DosDevices\mydriver`) for reading and
    /// writing, and checks that it speaks this client's protocol version. Every handle the
    /// `Driver` opens later ([`notifications`](Self::notifications)) opens the same path.
    ///
    /// The requests go out with evshare.sys's own IOCTL codes ([`IoctlSpace::EVSHARE`]): for
    /// a driver that puts them in a space of its own, use [`open_in`](Self::open_in).
    ///
    /// For the default path the errors are those of [`open`](Self::open); for any other,
    /// [`Error::CannotOpenDevice`] names the path and carries the OS error.
    pub fn open_at(path: &str) -> Result<Driver> {
        Self::open_in(path, IoctlSpace::EVSHARE)
    }

    /// Opens the device at `path` of a driver that embeds evshare with its IOCTLs in `space`
    /// (the space the driver gave its instance: its device type and function base), as
    /// [`open_at`](Self::open_at) does. Every request this `Driver` sends, and those of the
    /// [`Notifications`](crate::Notifications) it opens, carries its code in `space`; the
    /// bytes are the protocol's, whatever the space. The version check is the first such
    /// request: a wrong space fails here, with the driver's refusal (an unknown IOCTL).
    ///
    #[doc = "```no_run"]
    /// use evshare::{Driver, IoctlSpace};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // The sample host (samples/rust-host): device type 0x9A11, evshare's functions from 0x900.
    /// let space = IoctlSpace::new(0x9A11, 0x900).map_err(|e| format!("{e:?}"))?;
    /// let driver = Driver::open_in(r"\\.\EvshareSampleRust", space)?;
    /// println!("{:?}", driver.version()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn open_in(path: &str, space: IoctlSpace) -> Result<Driver> {
        Self::open_with(path, space, true)
    }

    /// Opens `\\.\evshare` for reading only: enough for the queries (version, stats,
    /// holders), and the I/O manager refuses every request that changes the driver's state
    /// with [`Error::AccessDenied`]. For tools that only look, such as `evshare doctor`.
    pub fn open_read_only() -> Result<Driver> {
        Self::open_read_only_at(USER_PATH)
    }

    /// [`open_read_only`](Self::open_read_only) for the device at `path`, as
    /// [`open_at`](Self::open_at) opens it.
    pub fn open_read_only_at(path: &str) -> Result<Driver> {
        Self::open_read_only_in(path, IoctlSpace::EVSHARE)
    }

    /// [`open_read_only`](Self::open_read_only) for the device at `path` whose evshare IOCTLs
    /// are in `space`, as [`open_in`](Self::open_in) opens it.
    pub fn open_read_only_in(path: &str, space: IoctlSpace) -> Result<Driver> {
        Self::open_with(path, space, false)
    }

    fn open_with(path: &str, space: IoctlSpace, writable: bool) -> Result<Driver> {
        let wide = wide_path(path)?;
        let handle =
            sys::device::open(&wide, writable).map_err(|source| open_failure(path, source))?;
        let session = current_session_id()?;
        let version = query_version(&handle, space)?;
        Ok(Driver {
            handle,
            path: path.to_owned(),
            space,
            session,
            version,
            writable,
        })
    }

    /// The Win32 path this handle was opened at (`\\.\evshare` unless
    /// [`open_at`](Self::open_at) was given another).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where this driver keeps evshare's IOCTL codes ([`IoctlSpace::EVSHARE`] unless
    /// [`open_in`](Self::open_in) was given another). [`raw_ioctl`](Self::raw_ioctl) sends
    /// codes as given: `space().code_of(ioctl)` is an evshare request's code here.
    pub fn space(&self) -> IoctlSpace {
        self.space
    }

    /// Whether this handle may change the driver's state (opened with [`Driver::open`]).
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// Shares an event with the driver by any of the four methods, and has the driver signal
    /// it in `mode`. Whatever the method, the [`Registration`] waits the same way
    /// ([`Registration::wait`]) and unregisters when dropped.
    ///
    #[doc = "```no_run"]
    /// use evshare::{Driver, Event, EventKind, ResetKind, Scope, Share, SignalMode};
    /// # fn main() -> evshare::Result<()> {
    /// let driver = Driver::open()?;
    /// let mode = SignalMode::Periodic { period_ms: 100 };
    /// let mine = Event::new(ResetKind::Auto)?;
    /// for share in [
    ///     Share::ByName("my-event"),
    ///     Share::by_handle(&mine),
    ///     Share::DriverCreated { kind: EventKind::AutoReset },
    ///     Share::DriverNamed { leaf: "my-app", scope: Scope::Session, kind: EventKind::AutoReset },
    /// ] {
    ///     let registration = driver.register(share, mode)?;
    ///     registration.wait(std::time::Duration::from_secs(5))?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn register(&self, share: Share<'_>, mode: SignalMode) -> Result<Registration<'_>> {
        match share {
            Share::ByName(name) => self.register_by_name(name, mode),
            Share::ByHandle(handle) => self.register_by_handle(handle, mode),
            Share::DriverCreated { kind } => self.create_event(kind, mode),
            Share::DriverNamed { leaf, scope, kind } => {
                self.create_named_event(leaf, scope, kind, mode)
            }
        }
    }

    /// Asks the driver for its version, host and limits (`QUERY_VERSION`).
    pub fn version(&self) -> Result<VersionReply> {
        query_version(&self.handle, self.space)
    }

    /// The session this process runs in: where bare names resolve.
    pub fn session_id(&self) -> u32 {
        self.session
    }

    /// Registers the event called `name` so the driver signals it in `mode`: the same as
    /// [`register`](Self::register) with [`Share::ByName`].
    ///
    /// `name` is what you passed to `CreateEventW`: `Global\X`, `Local\X` or a bare `X` (this
    /// session's namespace), or an NT path `\BaseNamedObjects\X` /
    /// `\Sessions\<your session>\BaseNamedObjects\X`. The name is checked here first, by the
    /// rules the driver applies, so a bad one fails with a precise error without a round trip.
    /// The driver *opens* the event and never creates it: a misspelled name fails with
    /// [`Error::NameNotFound`] instead of silently registering an event nobody waits on.
    pub fn register_by_name(&self, name: &str, mode: SignalMode) -> Result<Registration<'_>> {
        let resolved = hints::resolve_str(name, self.session);
        if let Err(refusal) = resolved {
            let request = NameRequest {
                name,
                session: self.session,
                resolved: Err(refusal),
            };
            return Err(status_map::register_error(
                refusal.status(),
                &request,
                Some(self.version.max_registrations),
                &crate::probe::probe,
            ));
        }
        self.register_name(name, mode, resolved.as_ref().map_err(|e| *e))
    }

    /// [`register_by_name`](Self::register_by_name) without the local name check: the name
    /// goes to the driver as is (it must still be non-empty, at most 240 UTF-16 units and
    /// NUL-free to be encodable). For testing and demonstrating the driver's own checks.
    pub fn register_by_name_unchecked(
        &self,
        name: &str,
        mode: SignalMode,
    ) -> Result<Registration<'_>> {
        let resolved = hints::resolve_str(name, self.session);
        self.register_name(name, mode, resolved.as_ref().map_err(|e| *e))
    }

    fn register_name(
        &self,
        name: &str,
        mode: SignalMode,
        resolved: std::result::Result<&ResolvedName, evshare_protocol::NameError>,
    ) -> Result<Registration<'_>> {
        let request = NameRequest {
            name,
            session: self.session,
            resolved,
        };
        let limit = Some(self.version.max_registrations);
        let refuse =
            |status: u32| status_map::register_error(status, &request, limit, &crate::probe::probe);
        let mode = validate(mode)?;
        let mut name_bytes = [0u8; MAX_NAME_BYTES];
        let name_len = name_to_wire(name, &mut name_bytes).map_err(|e| refuse(e.status()))?;
        let message = Request::RegisterByName {
            mode,
            name_bytes: &name_bytes[..name_len],
        };
        let reply = self.send_register(&message, Method::ByName, &refuse)?;
        let resolved = self.resolved_of(&reply)?;
        // The app's own event, opened once more to wait on: least access, the app keeps its own.
        let win32 = hints::win32_name_for(&resolved, reply.session_id);
        let event = Event::open_with_access(&win32, access::SYNCHRONIZE)
            .map_err(|error| cannot_wait_on(&win32, error));
        self.finish(&reply, event, |event| Parts {
            name: Some(name.to_owned()),
            handle_value: None,
            event,
            mode,
        })
    }

    /// `REGISTER_BY_HANDLE`: the driver duplicates `handle` out of this process.
    fn register_by_handle(
        &self,
        handle: BorrowedHandle<'_>,
        mode: SignalMode,
    ) -> Result<Registration<'_>> {
        let mode = validate(mode)?;
        let value = handle.as_raw_handle() as usize as u64;
        let facts = || HandleFacts {
            type_name: sys::handle::type_name(handle).ok(),
            granted: sys::handle::granted_access(handle).ok(),
        };
        let refuse = |status: u32| status_map::handle_error(status, value, &facts);
        let message = Request::RegisterByHandle {
            handle: value,
            mode,
        };
        let reply = self.send_register(&message, Method::ByHandle, &refuse)?;
        // A handle of our own to wait on, so the app may close its handle, as the driver allows.
        let event = sys::handle::duplicate(handle, access::SYNCHRONIZE)
            .map(|handle| Event::from_handle(handle, None))
            .map_err(|source| Error::os("duplicate the registered handle to wait on", source));
        self.finish(&reply, event, |event| Parts {
            name: None,
            handle_value: Some(value),
            event,
            mode,
        })
    }

    /// `CREATE_EVENT`: the driver creates an unnamed event and hands this process a
    /// `SYNCHRONIZE`-only handle to it.
    fn create_event(&self, kind: EventKind, mode: SignalMode) -> Result<Registration<'_>> {
        let mode = validate(mode)?;
        let refuse = |status: u32| status_map::request_error(status, Ioctl::CreateEvent, None);
        let reply = self.send_register(
            &Request::CreateEvent { kind, mode },
            Method::DriverHandle,
            &refuse,
        )?;
        let event = self.adopt_created_handle(&reply);
        self.finish(&reply, event, |event| Parts {
            name: None,
            handle_value: Some(reply.handle),
            event,
            mode,
        })
    }

    /// Takes ownership of the handle a `CREATE_EVENT` reply names, and checks it is what the
    /// protocol promises: an event this process may wait on but not set.
    fn adopt_created_handle(&self, reply: &RegisterReply) -> Result<Event> {
        let unexpected = |what| Error::UnexpectedReply {
            operation: Ioctl::CreateEvent,
            what,
        };
        if reply.handle == 0 {
            return Err(unexpected("no handle for a driver-created event"));
        }
        // SAFETY: the driver has just put this handle into this process's handle table for
        // this request (`docs/protocol.md`, CREATE_EVENT); nothing else in the process knows
        // its value, so we are its only owner.
        let handle = unsafe { sys::handle::adopt_foreign(reply.handle) };
        if sys::handle::type_name(handle.as_handle()).as_deref() != Ok("Event") {
            return Err(unexpected("the returned handle is not an event"));
        }
        let granted = sys::handle::granted_access(handle.as_handle()).unwrap_or(0);
        if granted & access::EVENT_MODIFY_STATE != 0 || granted & access::SYNCHRONIZE == 0 {
            return Err(unexpected(
                "the returned handle does not grant exactly the right to wait",
            ));
        }
        Ok(Event::from_handle(handle, None))
    }

    /// `CREATE_NAMED_EVENT`: the driver creates `evshare-<leaf>` for this user only.
    fn create_named_event(
        &self,
        leaf: &str,
        scope: Scope,
        kind: EventKind,
        mode: SignalMode,
    ) -> Result<Registration<'_>> {
        let units: Vec<u16> = leaf.encode_utf16().collect();
        let created = driver_created(&units, scope, self.session);
        let request = LeafRequest {
            leaf,
            session: self.session,
            created: created.as_ref().map_err(|e| *e),
        };
        let refuse = |status: u32| status_map::named_error(status, &request);
        if let Err(refusal) = created {
            return Err(refuse(refusal.status()));
        }
        let mode = validate(mode)?;
        let mut leaf_bytes = [0u8; MAX_CREATED_LEAF_BYTES];
        let leaf_len = leaf_to_wire(leaf, &mut leaf_bytes).map_err(|e| refuse(e.status()))?;
        let message = Request::CreateNamedEvent {
            kind,
            scope,
            mode,
            leaf_bytes: &leaf_bytes[..leaf_len],
        };
        let reply = self.send_register(&message, Method::DriverNamed, &refuse)?;
        let resolved = self.resolved_of(&reply)?;
        // All its DACL grants this user: wait on it and read the descriptor.
        let win32 = hints::win32_name_for(&resolved, reply.session_id);
        let event = Event::open_with_access(&win32, access::SYNCHRONIZE | access::READ_CONTROL);
        self.finish(&reply, event, |event| Parts {
            name: Some(win32.clone()),
            handle_value: None,
            event,
            mode,
        })
    }

    /// Sends a registering request and checks that the reply answers it with `method`.
    fn send_register(
        &self,
        message: &Request<'_>,
        method: Method,
        refuse: &dyn Fn(u32) -> Error,
    ) -> Result<RegisterReply> {
        let operation = message.ioctl();
        let mut reply = [0u8; RegisterReply::LEN];
        let written = self
            .send(message, &mut reply)
            .map_err(|failure| match failure {
                SendFailure::Status(status) if self.refused_by_device(operation, status) => {
                    Error::AccessDenied {
                        operation,
                        status: NtStatus(status),
                    }
                }
                SendFailure::Status(status) => refuse(status),
                SendFailure::Encode(source) => refuse(source.status()),
            })?;
        let reply = parse_reply(operation, &reply[..written], RegisterReply::parse)?;
        if reply.method != method {
            // Whatever it is, it is not ours to keep.
            self.unregister_quietly(reply.id);
            return Err(Error::UnexpectedReply {
                operation,
                what: "the registration's method is not the one asked for",
            });
        }
        Ok(reply)
    }

    /// The path a named method's reply carries (the protocol guarantees one; should it be
    /// missing, the registration is undone).
    fn resolved_of(&self, reply: &RegisterReply) -> Result<ResolvedName> {
        reply.resolved.ok_or_else(|| {
            self.unregister_quietly(reply.id);
            Error::UnexpectedReply {
                operation: reply.method.ioctl(),
                what: "a named registration without its name",
            }
        })
    }

    /// Makes the [`Registration`] once the handle to wait on is there; if getting that handle
    /// failed, undoes the registration and reports why.
    fn finish(
        &self,
        reply: &RegisterReply,
        event: Result<Event>,
        parts: impl FnOnce(Event) -> Parts,
    ) -> Result<Registration<'_>> {
        match event {
            Ok(event) => Ok(Registration::new(self, reply, parts(event))),
            Err(error) => {
                self.unregister_quietly(reply.id);
                Err(error)
            }
        }
    }

    fn unregister_quietly(&self, id: u64) {
        let _ = self.send(&Request::Unregister { id }, &mut []);
    }

    /// True when `status` is the I/O manager refusing a state change through this read-only
    /// handle, before the driver saw the request.
    fn refused_by_device(&self, operation: Ioctl, status: u32) -> bool {
        !self.writable && status == STATUS_ACCESS_DENIED && operation.changes_state()
    }

    /// Which processes hold live registrations, and how many by method (`QUERY_HOLDERS`; the
    /// first 32 processes the driver finds).
    pub fn holders(&self) -> Result<HoldersReply> {
        let mut reply = [0u8; HoldersReply::LEN];
        let written = self
            .send(&Request::QueryHolders, &mut reply)
            .map_err(|failure| failure.into_error(Ioctl::QueryHolders, None))?;
        parse_reply(Ioctl::QueryHolders, &reply[..written], HoldersReply::parse)
    }

    /// The driver's counters (`QUERY_STATS`); with `Some(pid)`, `live_for_pid` counts that
    /// process's live registrations.
    pub fn stats(&self, pid_filter: Option<u32>) -> Result<StatsReply> {
        let message = Request::QueryStats {
            pid: pid_filter.unwrap_or(0),
        };
        let mut reply = [0u8; StatsReply::LEN];
        let written = self
            .send(&message, &mut reply)
            .map_err(|failure| failure.into_error(Ioctl::QueryStats, None))?;
        parse_reply(Ioctl::QueryStats, &reply[..written], StatsReply::parse)
    }

    /// `VERIFIER`: carries out `op` in the driver's verifier build (query, fault injection,
    /// or one check provoked) and returns its figures. Fails with [`Error::NotVerifierBuild`]
    /// against the shipped driver. A provoked `irp-at-unload` never completes: send it with
    /// a handle you then close, never through this call.
    pub fn verifier(&self, op: VerifierOp) -> Result<VerifierFigures> {
        let mut reply = [0u8; VerifierReply::LEN];
        let written = self
            .send(&Request::Verifier { op }, &mut reply)
            .map_err(|failure| failure.into_error(Ioctl::Verifier, None))?;
        parse_reply(Ioctl::Verifier, &reply[..written], VerifierReply::parse)
            .map(|reply| reply.figures)
    }

    /// What the driver knows about registration `id` of this handle (`QUERY_REGISTRATION`).
    /// Fails with [`Error::UnknownRegistration`] once it is unregistered.
    pub fn query_registration(&self, id: u64) -> Result<RegistrationInfo> {
        let message = Request::QueryRegistration { id };
        let mut reply = [0u8; RegistrationInfo::LEN];
        let written = self
            .send(&message, &mut reply)
            .map_err(|failure| failure.into_error(Ioctl::QueryRegistration, Some(id)))?;
        parse_reply(
            Ioctl::QueryRegistration,
            &reply[..written],
            RegistrationInfo::parse,
        )
    }

    /// Sends raw bytes with any IOCTL code and returns the driver's verdict unmapped. For
    /// diagnostics, for testing how the driver handles malformed requests, and for a host
    /// driver's own IOCTLs; everything else should use the typed methods. The code goes out
    /// as given, whatever this driver's [`space`](Self::space).
    pub fn raw_ioctl(
        &self,
        code: u32,
        input: &[u8],
        output: &mut [u8],
    ) -> std::result::Result<usize, NtStatus> {
        sys::device::ioctl(self.handle.as_handle(), code, input, output).map_err(NtStatus)
    }

    /// Encodes `message`, sends it with its code in this driver's space, and returns how many
    /// reply bytes the driver wrote.
    pub(crate) fn send(
        &self,
        message: &Request<'_>,
        reply: &mut [u8],
    ) -> std::result::Result<usize, SendFailure> {
        send_on(&self.handle, self.space, message, reply)
    }
}

/// Why [`Driver::send`] failed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SendFailure {
    /// The request could not be encoded (the client refused it).
    Encode(ProtocolError),
    /// The driver completed it with this NTSTATUS.
    Status(u32),
}

impl SendFailure {
    /// The status the driver completed the request with, if it got that far.
    pub(crate) fn status(self) -> Option<u32> {
        match self {
            SendFailure::Status(status) => Some(status),
            SendFailure::Encode(_) => None,
        }
    }

    /// The error for a request that is not a registration by name.
    pub(crate) fn into_error(self, operation: Ioctl, id: Option<u64>) -> Error {
        match self {
            SendFailure::Status(status) => status_map::request_error(status, operation, id),
            SendFailure::Encode(source) => Error::InvalidRequest { operation, source },
        }
    }
}

fn send_on(
    handle: &OwnedHandle,
    space: IoctlSpace,
    message: &Request<'_>,
    reply: &mut [u8],
) -> std::result::Result<usize, SendFailure> {
    let mut input = [0u8; MAX_REQUEST_LEN];
    let (code, len) = encode_in(space, message, &mut input).map_err(SendFailure::Encode)?;
    sys::device::ioctl(handle.as_handle(), code, &input[..len], reply).map_err(SendFailure::Status)
}

fn query_version(handle: &OwnedHandle, space: IoctlSpace) -> Result<VersionReply> {
    let mut reply = [0u8; VersionReply::LEN];
    let written = send_on(handle, space, &Request::QueryVersion, &mut reply)
        .map_err(|failure| failure.into_error(Ioctl::QueryVersion, None))?;
    parse_reply(Ioctl::QueryVersion, &reply[..written], VersionReply::parse)
}

/// Why a by-name registration's own handle to wait on could not be opened.
fn cannot_wait_on(name: &str, error: Error) -> Error {
    match error {
        Error::Os { source, .. } => Error::os(
            format!(
                "open `{name}` to wait on it after the driver registered it (its DACL must \
                 grant this user SYNCHRONIZE too; or share it with `Share::by_handle`)"
            ),
            source,
        ),
        other => other,
    }
}

/// Checks a mode before it is sent.
fn validate(mode: SignalMode) -> Result<SignalMode> {
    mode.validate()
        .map_err(|source| Error::InvalidMode { mode, source })
}

/// Parses a reply; a reply of another protocol version is a version mismatch, anything else
/// malformed is [`Error::BadReply`]. Shared by every typed request of the crate.
pub(crate) fn parse_reply<T>(
    operation: Ioctl,
    bytes: &[u8],
    parse: fn(&[u8]) -> std::result::Result<T, ProtocolError>,
) -> Result<T> {
    parse(bytes).map_err(|source| reply_error(operation, source))
}

/// What a reply that did not parse means: another protocol version is a version mismatch,
/// anything else is [`Error::BadReply`].
pub(crate) fn reply_error(operation: Ioctl, source: ProtocolError) -> Error {
    match source {
        ProtocolError::UnsupportedVersion { got } => Error::VersionMismatch {
            driver: Some(got),
            client: PROTOCOL_VERSION,
        },
        _ => Error::BadReply { operation, source },
    }
}

/// `path` as `CreateFileW` takes it; a path with a NUL inside names no device.
pub(crate) fn wide_path(path: &str) -> Result<WideCString> {
    WideCString::new(path).map_err(|_| Error::CannotOpenDevice {
        path: path.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path contains a NUL character",
        ),
    })
}

/// The error for a device that `CreateFileW` could not open at `path`: for evshare's own
/// device, why (from the `evshare` service's state); for any other, the path and the OS error,
/// since the evshare service says nothing about another driver's device.
pub(crate) fn open_failure(path: &str, source: std::io::Error) -> Error {
    if path.eq_ignore_ascii_case(USER_PATH) {
        diagnose_open_failure(source)
    } else {
        Error::CannotOpenDevice {
            path: path.to_owned(),
            source,
        }
    }
}

/// Explains why `CreateFileW(\\.\evshare)` failed, from the service's state.
fn diagnose_open_failure(source: std::io::Error) -> Error {
    let missing = matches!(
        source.raw_os_error().map(|code| code as u32),
        Some(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND)
    );
    let state = service::state_for_diagnosis();
    match state {
        ServiceState::NotInstalled if missing => Error::DriverNotInstalled { source },
        ServiceState::Stopped | ServiceState::StopPending | ServiceState::StartPending
            if missing =>
        {
            Error::DriverNotRunning { state, source }
        }
        _ => Error::DeviceUnavailable { state, source },
    }
}
