//! Finds out what a Win32 name holds, for error messages ("`X` is a mutex", "did you mean
//! `Global\X`?"). Each probe opens the name with the least access and closes it at once.

use crate::error::ObjectKind;
use crate::status_map::Probed;
use crate::sys::sync::{self, Probe};
use crate::sys::wide::WideCString;

/// What `name` (`Global\X`, `Local\X`, `X`) holds.
pub(crate) fn probe(name: &str) -> Probed {
    let Ok(wide) = WideCString::new(name) else {
        return Probed::Missing;
    };
    match sync::open_as(Probe::Event, &wide) {
        Ok(_) => return Probed::Event,
        // Objects of every type share one directory, so "no such name" for an event means
        // no object at all; any other failure (type mismatch, access) means something is there.
        Err(error) if is_missing(&error) => return Probed::Missing,
        Err(_) => {}
    }
    let others = [
        (Probe::Mutex, ObjectKind::Mutex),
        (Probe::Semaphore, ObjectKind::Semaphore),
        (Probe::WaitableTimer, ObjectKind::WaitableTimer),
        (Probe::Section, ObjectKind::Section),
    ];
    for (probe, kind) in others {
        if sync::open_as(probe, &wide).is_ok() {
            return Probed::Other(kind);
        }
    }
    Probed::Other(ObjectKind::Other)
}

fn is_missing(error: &std::io::Error) -> bool {
    use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND};
    matches!(
        error.raw_os_error().map(|code| code as u32),
        Some(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND)
    )
}

/// What non-event object `name` holds ([`ObjectKind::Other`] when no probe recognises it).
pub(crate) fn kind_of(name: &str) -> ObjectKind {
    match probe(name) {
        Probed::Other(kind) => kind,
        Probed::Missing | Probed::Event => ObjectKind::Other,
    }
}
