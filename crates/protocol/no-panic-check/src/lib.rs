//! Every protocol entry point the driver calls, exported so the linker keeps them, in a DLL
//! whose panic handler references a symbol that does not exist: the DLL links only if the
//! optimiser removed every panic path, i.e. if no input can make these functions panic.
//!
//! `Display` impls are left out on purpose: the driver does not format errors.

#![no_std]

use core::slice;
use evshare_protocol::method::METHODS;
use evshare_protocol::names::{self, ResolvedName, MAX_CREATED_LEAF_UNITS, MAX_INPUT_UNITS};
use evshare_protocol::reply::NOTIFICATION_PAYLOAD_LEN;
use evshare_protocol::request::{self, Request, MAX_REQUEST_LEN};
use evshare_protocol::stats::{KNOWN_REJECT_REASONS, REJECT_REASONS};
use evshare_protocol::{
    EventKind, Holder, HoldersReply, HostKind, Ioctl, Method, Notification, NotifyReply,
    ProduceReply, ProtocolError, RegisterReply, RegistrationInfo, RejectReason, RingInfo,
    RingReply, Scope, SignalReply, StatsReply, VersionReply,
};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    extern "C" {
        fn evshare_protocol_panic_path_is_reachable() -> !;
    }
    // SAFETY: never called when the check passes; when a panic path exists the link fails
    // before anything can run.
    unsafe { evshare_protocol_panic_path_is_reachable() }
}

/// Entry point, so the DLL links without a CRT.
#[no_mangle]
pub extern "system" fn DllMain(_: usize, _: u32, _: usize) -> i32 {
    1
}

/// What the driver does with one IOCTL: parse, resolve, encode the reply.
///
/// # Safety
/// `input` and `output` must be valid for `input_len` and `output_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn handle(
    code: u32,
    input: *const u8,
    input_len: usize,
    output: *mut u8,
    output_len: usize,
    session: u32,
) -> u32 {
    // SAFETY: the caller guarantees `input` is valid for `input_len` bytes.
    let input = unsafe { slice::from_raw_parts(input, input_len) };
    // SAFETY: the caller guarantees `output` is valid for `output_len` bytes.
    let output = unsafe { slice::from_raw_parts_mut(output, output_len) };
    let failed = |error: ProtocolError| error.status() ^ error.reject_reason().index() as u32;
    if let Some(ioctl) = Ioctl::from_code(code) {
        if let Err(error) = ioctl.check_output_len(output_len) {
            return failed(error);
        }
    }
    let request = match request::parse(code, input) {
        Ok(request) => request,
        Err(error) => return failed(error),
    };
    let written = match request {
        Request::RegisterByName { mode, name_bytes } => {
            let mut units = [0_u16; MAX_INPUT_UNITS];
            let resolved = match names::decode_wire_name(name_bytes, &mut units)
                .and_then(|units| names::resolve(units, session))
            {
                Ok(resolved) => resolved,
                Err(error) => return failed(error.into()),
            };
            registered(output, session, mode, Method::ByName, Some(resolved), 0)
        }
        Request::RegisterByHandle { handle, mode } => {
            registered(output, session, mode, Method::ByHandle, None, 0)
                .map(|len| len ^ (handle as usize & 1))
        }
        Request::CreateEvent { kind, mode } => {
            let handle = u64::from(kind.manual_reset()) + 4;
            registered(output, session, mode, Method::DriverHandle, None, handle)
        }
        Request::CreateNamedEvent {
            kind,
            scope,
            mode,
            leaf_bytes,
        } => {
            let mut units = [0_u16; MAX_CREATED_LEAF_UNITS];
            let resolved = match names::decode_wire_leaf(leaf_bytes, &mut units)
                .and_then(|leaf| names::driver_created(leaf, scope, session))
            {
                Ok(resolved) => resolved,
                Err(error) => return failed(error.into()),
            };
            let mut win32 = 0_usize;
            if let Ok(name) = resolved.win32_name(session) {
                win32 = name.count();
            }
            let kind = kind.to_wire() as usize ^ win32;
            registered(
                output,
                session,
                mode,
                Method::DriverNamed,
                Some(resolved),
                0,
            )
            .map(|len| len ^ kind)
        }
        Request::QueryStats { pid } => {
            let mut rejected = [0; REJECT_REASONS];
            if let Some(count) = rejected.get_mut(pid as usize % KNOWN_REJECT_REASONS) {
                *count = u64::from(session);
            }
            StatsReply {
                host: HostKind::Wine,
                live_registrations: 0,
                live_for_pid: pid,
                open_handles: 1,
                registrations_total: 0,
                signals_sent: 0,
                rejected,
                live_by_method: [pid; METHODS],
                live_rings: session,
                pending_irps: pid,
                ring_produced: 1,
                ring_dropped: 2,
                ring_corrupt: 3,
                notifications: 4,
                verifier: evshare_protocol::VerifierFigures {
                    enabled: session & 1 != 0,
                    faults_injected: session,
                    calls_checked: 5,
                    violations: [session; 8],
                },
            }
            .encode(output)
        }
        Request::Signal { id } => SignalReply { timestamp: id }.encode(output),
        Request::RegisterRing {
            capacity,
            mode,
            watermark,
            section,
            data_ready,
            space_free,
        } => {
            let mut resolved = None;
            for name in [section, data_ready, space_free] {
                let mut units = [0_u16; MAX_INPUT_UNITS];
                match names::decode_wire_name(name, &mut units)
                    .and_then(|units| names::resolve(units, session))
                {
                    Ok(name) => resolved = Some(name),
                    Err(error) => return failed(error.into()),
                }
            }
            let len = resolved.map_or(0, |name| name.as_units().len());
            let _ = registered(output, session, mode, Method::Ring, None, 0);
            RingReply {
                session_id: session,
                id: u64::from(watermark),
                capacity,
                record_size: len as u32,
            }
            .encode(output)
        }
        Request::Produce { id, count } => ProduceReply {
            written: u64::from(count),
            dropped: id,
            wakeups: 1,
        }
        .encode(output),
        Request::PendNotification => {
            let mut payload = [0_u8; NOTIFICATION_PAYLOAD_LEN];
            if let Some(byte) = payload.get_mut(session as usize % NOTIFICATION_PAYLOAD_LEN) {
                *byte = 1;
            }
            Notification {
                seq: u64::from(session),
                timestamp: 7,
                payload,
                ..Notification::EMPTY
            }
            .encode(output)
        }
        Request::Notify { count } => NotifyReply {
            completed: u64::from(count),
            owed: u64::from(session),
        }
        .encode(output),
        Request::Verifier { op } => evshare_protocol::VerifierReply {
            figures: evshare_protocol::VerifierFigures {
                enabled: matches!(op, evshare_protocol::VerifierOp::Query),
                ..Default::default()
            },
        }
        .encode(output),
        Request::QueryRing { id } => RingInfo {
            poisoned: session & 1 != 0,
            id,
            produced: 1,
            dropped: 2,
            corrupt: 3,
            wakeups: 4,
            space_free_seen: 5,
        }
        .encode(output),
        Request::QueryHolders => {
            let mut reply = HoldersReply::EMPTY;
            for pid in 0..session {
                let mut holder = Holder {
                    pid,
                    ..Holder::EMPTY
                };
                if let Some(count) = holder.by_method.get_mut(pid as usize % METHODS) {
                    *count = session;
                }
                if reply.push(holder).is_err() {
                    break;
                }
            }
            reply.encode(output)
        }
        Request::QueryVersion => VersionReply {
            host: HostKind::Windows,
            driver_version: [0, 1, 0],
            max_registrations: 1,
        }
        .encode(output),
        other => {
            let mut again = [0_u8; MAX_REQUEST_LEN];
            request::encode(&other, &mut again).map(|(_, len)| len)
        }
    };
    match written {
        Ok(len) => len as u32 ^ RejectReason::from_status(code).index() as u32,
        Err(error) => failed(error),
    }
}

/// What the driver answers for a new registration: the `QUERY_REGISTRATION` reply, then the
/// `RegisterReply` (both into `output`, the second overwriting the first).
fn registered(
    output: &mut [u8],
    session: u32,
    mode: evshare_protocol::SignalMode,
    method: Method,
    resolved: Option<ResolvedName>,
    handle: u64,
) -> Result<usize, ProtocolError> {
    let info = RegistrationInfo {
        owner_pid: 4,
        id: 1,
        mode,
        signals_sent: 0,
        method,
        resolved,
    };
    let _ = info.encode(output);
    RegisterReply {
        session_id: session,
        id: 1,
        method,
        resolved,
        handle,
    }
    .encode(output)
}

/// The small wire enums, decoded (the driver decodes them through `parse`, this keeps them in
/// the check on their own too).
#[no_mangle]
pub extern "C" fn decode_enums(value: u32) -> u32 {
    let mut seen = 0_u32;
    if let Ok(kind) = EventKind::from_wire(value) {
        seen ^= kind.to_wire();
    }
    if let Ok(scope) = Scope::from_wire(value) {
        seen ^= u32::from(scope.namespace(value) == evshare_protocol::Namespace::Global);
    }
    if let Ok(method) = Method::from_wire(value) {
        seen ^= method.index() as u32 ^ u32::from(method.has_name());
    }
    if let Some(method) = Method::from_index(value as usize) {
        seen ^= method.to_wire();
    }
    if let Some(reason) = RejectReason::from_index(value as usize) {
        seen ^= reason.index() as u32;
    }
    if let Ok(capacity) = evshare_protocol::ring::check_capacity(value) {
        seen ^= capacity;
        if let Ok(watermark) = evshare_protocol::ring::check_watermark(value >> 3, capacity) {
            seen ^= watermark;
        }
    }
    if let Ok(count) = evshare_protocol::ring::check_count(value) {
        seen ^= count;
    }
    seen
}

/// What the client does with a reply.
///
/// # Safety
/// `bytes` must be valid for `len` bytes and 2-aligned.
#[no_mangle]
pub unsafe extern "C" fn parse_replies(bytes: *const u8, len: usize) -> u64 {
    // SAFETY: the caller guarantees `bytes` is valid for `len` bytes.
    let bytes_slice = unsafe { slice::from_raw_parts(bytes, len) };
    // SAFETY: the caller guarantees `bytes` is 2-aligned and valid for `len` bytes.
    let units = unsafe { slice::from_raw_parts(bytes.cast::<u16>(), len / 2) };
    let mut seen = 0_u64;
    if let Ok(reply) = RegisterReply::parse(bytes_slice) {
        seen ^= reply.resolved.map_or(0, |name| name.leaf().len() as u64) ^ reply.handle;
    }
    if let Ok(reply) = RegistrationInfo::parse(bytes_slice) {
        seen ^= reply.signals_sent ^ reply.method.index() as u64;
    }
    if let Ok(reply) = StatsReply::parse(bytes_slice) {
        seen ^= reply.rejected_for(RejectReason::HandleAccessDenied);
        seen ^= u64::from(reply.live_by(Method::DriverNamed));
    }
    if let Ok(reply) = HoldersReply::parse(bytes_slice) {
        for holder in reply.iter() {
            seen ^= u64::from(holder.live()) ^ u64::from(holder.live_by(Method::ByHandle));
        }
    }
    if let Ok(reply) = VersionReply::parse(bytes_slice) {
        seen ^= u64::from(reply.max_registrations);
    }
    if let Ok(reply) = StatsReply::parse(bytes_slice) {
        seen ^= reply.ring_corrupt ^ u64::from(reply.live_by(Method::Ring));
        seen ^= reply.rejected_for(RejectReason::BadRing);
    }
    if let Ok(reply) = SignalReply::parse(bytes_slice) {
        seen ^= reply.timestamp;
    }
    if let Ok(reply) = RingReply::parse(bytes_slice) {
        seen ^= u64::from(reply.capacity) ^ u64::from(reply.record_size);
    }
    if let Ok(reply) = ProduceReply::parse(bytes_slice) {
        seen ^= reply.written ^ reply.dropped ^ reply.wakeups;
    }
    if let Ok(reply) = RingInfo::parse(bytes_slice) {
        seen ^= reply.space_free_seen ^ u64::from(reply.poisoned);
    }
    if let Ok(reply) = Notification::parse(bytes_slice) {
        seen ^= reply.seq ^ u64::from(reply.payload.iter().fold(0, |sum: u8, b| sum ^ b));
    }
    if let Ok(reply) = NotifyReply::parse(bytes_slice) {
        seen ^= reply.completed ^ reply.owed;
    }
    if let Some(name) = ResolvedName::from_units(units) {
        seen ^= name.as_units().len() as u64;
        seen ^= name.created_leaf().map_or(0, |leaf| leaf.len() as u64);
        if let Ok(win32) = name.win32_name(len as u32) {
            seen ^= win32.fold(0, |sum: u64, unit| sum ^ u64::from(unit));
        }
    }
    seen
}

// Without a CRT the compiler's memory intrinsics need definitions of their own. Byte loops
// through volatile accesses, so they are not turned back into calls to themselves.

/// `memset` for the link.
///
/// # Safety
/// As C's `memset`.
#[no_mangle]
pub unsafe extern "C" fn memset(to: *mut u8, value: i32, len: usize) -> *mut u8 {
    for i in 0..len {
        // SAFETY: the caller guarantees `to` is valid for `len` bytes.
        unsafe { to.add(i).write_volatile(value as u8) };
    }
    to
}

/// `memcpy` for the link.
///
/// # Safety
/// As C's `memcpy`.
#[no_mangle]
pub unsafe extern "C" fn memcpy(to: *mut u8, from: *const u8, len: usize) -> *mut u8 {
    for i in 0..len {
        // SAFETY: the caller guarantees `from` is readable for `len` bytes.
        let byte = unsafe { from.add(i).read_volatile() };
        // SAFETY: the caller guarantees `to` is writable for `len` bytes.
        unsafe { to.add(i).write_volatile(byte) };
    }
    to
}

/// `memcmp` for the link.
///
/// # Safety
/// As C's `memcmp`.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, len: usize) -> i32 {
    for i in 0..len {
        // SAFETY: the caller guarantees `a` is readable for `len` bytes.
        let x = unsafe { a.add(i).read_volatile() };
        // SAFETY: the caller guarantees `b` is readable for `len` bytes.
        let y = unsafe { b.add(i).read_volatile() };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}
