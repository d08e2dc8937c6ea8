//! Looking before registering: where a name resolves for this process, what is there, whether
//! the driver could open it, and who holds registrations. What `evshare doctor` prints.

use evshare_protocol::names::{Namespace, ResolvedName};

use crate::error::{Error, ObjectKind, Result};
use crate::event::{current_session_id, Event};
use crate::hints;
use crate::probe;
use crate::security::{access, SecurityInfo};
use crate::status_map::{self, NameRequest, Probed};

/// What a name holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// Nothing of that name.
    Missing,
    /// An event.
    Event,
    /// Something that is not an event.
    Other(ObjectKind),
}

impl From<Probed> for Found {
    fn from(probed: Probed) -> Self {
        match probed {
            Probed::Missing => Found::Missing,
            Probed::Event => Found::Event,
            Probed::Other(kind) => Found::Other(kind),
        }
    }
}

/// What [`name`] found out about a name, for this process.
#[derive(Debug)]
pub struct NameReport {
    /// The name as given.
    pub name: String,
    /// This process's session.
    pub session: u32,
    /// Where the driver would look ([`Driver::register`](crate::Driver::register) with
    /// [`Share::ByName`](crate::Share::ByName)), or why it would refuse the name without
    /// looking.
    pub resolved: std::result::Result<ResolvedName, Error>,
    /// The name to open it with from this process (`Global\X`, `X`), when it resolves.
    pub win32_name: Option<String>,
    /// What is at the resolved path.
    pub found: Found,
    /// The same leaf in the other directory (the global one for a session name and back),
    /// and what is there; `None` in session 0, where both are one directory.
    pub counterpart: Option<(String, Found)>,
    /// When an event is there: its owner and DACL, or why they could not be read.
    pub security: Option<std::result::Result<SecurityInfo, Error>>,
    /// When an event is there: whether this process may set it (`EVENT_MODIFY_STATE`), which
    /// the driver checks with the caller's access when it opens the event.
    pub may_set: Option<bool>,
}

impl NameReport {
    /// The name in the other directory, when an event is there but not here: the likely fix
    /// ("did you mean `Global\X`?").
    pub fn suggestion(&self) -> Option<&str> {
        match (&self.found, &self.counterpart) {
            (Found::Missing, Some((name, Found::Event))) => Some(name),
            _ => None,
        }
    }

    /// The directory the name resolves to, described ("session 1", "the global namespace").
    pub fn directory(&self) -> Option<String> {
        self.resolved
            .as_ref()
            .ok()
            .map(|resolved| hints::describe(resolved.namespace()))
    }
}

/// Resolves `name` as the driver would for this process, and looks at what is there.
pub fn name(name: &str) -> Result<NameReport> {
    let session = current_session_id()?;
    let resolved = match hints::resolve_str(name, session) {
        Ok(resolved) => resolved,
        Err(refusal) => {
            let request = NameRequest {
                name,
                session,
                resolved: Err(refusal),
            };
            let error = status_map::register_error(refusal.status(), &request, None, &probe::probe);
            return Ok(NameReport {
                name: name.to_owned(),
                session,
                resolved: Err(error),
                win32_name: None,
                found: Found::Missing,
                counterpart: None,
                security: None,
                may_set: None,
            });
        }
    };
    let win32 = hints::win32_name_for(&resolved, session);
    let found = Found::from(probe::probe(&win32));
    let counterpart = hints::counterpart(&resolved, session).map(|other| {
        let other_name = match other.namespace() {
            Namespace::Global => hints::win32_name(&other),
            Namespace::Session(_) => hints::leaf(&other),
        };
        let found = Found::from(probe::probe(&hints::win32_name(&other)));
        (other_name, found)
    });
    let (security, may_set) = if found == Found::Event {
        let security = Event::open_with_access(&win32, access::READ_CONTROL)
            .and_then(|event| event.security());
        let may_set = match Event::open_with_access(&win32, access::EVENT_MODIFY_STATE) {
            Ok(_) => Some(true),
            Err(Error::Os { source, .. })
                if source.raw_os_error()
                    == Some(windows_sys::Win32::Foundation::ERROR_ACCESS_DENIED as i32) =>
            {
                Some(false)
            }
            Err(_) => None,
        };
        (Some(security), may_set)
    } else {
        (None, None)
    };
    Ok(NameReport {
        name: name.to_owned(),
        session,
        resolved: Ok(resolved),
        win32_name: Some(win32),
        found,
        counterpart,
        security,
        may_set,
    })
}

/// The executable path of process `pid`, if this process may ask.
pub fn process_image(pid: u32) -> Option<String> {
    crate::sys::process::image_path(pid).ok()
}
