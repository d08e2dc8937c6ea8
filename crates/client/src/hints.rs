//! Turning a resolved NT path back into what an app would type, and finding the name in the
//! *other* directory, for "did you mean `Global\X`?" hints.

use evshare_protocol::names::{resolve, Namespace, ResolvedName};

/// How messages name a directory: "the global namespace", "session 1".
pub(crate) fn describe(namespace: Namespace) -> String {
    match namespace {
        Namespace::Global => "the global namespace".to_owned(),
        Namespace::Session(session) => format!("session {session}"),
    }
}

/// The object's own name (after the last `\`).
pub(crate) fn leaf(resolved: &ResolvedName) -> String {
    String::from_utf16_lossy(resolved.leaf())
}

/// The Win32 name (for `OpenEventW`, by a process of the resolving session) of `resolved`:
/// `Global\X` for the global directory, `Local\X` for the session's own.
pub(crate) fn win32_name(resolved: &ResolvedName) -> String {
    match resolved.namespace() {
        Namespace::Global => format!("Global\\{}", leaf(resolved)),
        Namespace::Session(_) => format!("Local\\{}", leaf(resolved)),
    }
}

/// The name an app in `session` passes to `OpenEventW` for `resolved`, as short as it can
/// be: `Global\X` for the global directory, the bare `X` for the session's own. (A path in
/// another session's directory, which Win32 names cannot reach, gets the `Local\X` form.)
pub(crate) fn win32_name_for(resolved: &ResolvedName, session: u32) -> String {
    match resolved.win32_name(session) {
        Ok(units) => char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
        Err(_) => win32_name(resolved),
    }
}

/// The same leaf in the other directory (global for a session name, the session's for a
/// global name); `None` when both are one directory (session 0).
pub(crate) fn counterpart(resolved: &ResolvedName, session: u32) -> Option<ResolvedName> {
    let prefix = match resolved.namespace() {
        Namespace::Global => "Local\\",
        Namespace::Session(_) => "Global\\",
    };
    let units: Vec<u16> = prefix
        .encode_utf16()
        .chain(resolved.leaf().iter().copied())
        .collect();
    let other = resolve(&units, session).ok()?;
    (other != *resolved).then_some(other)
}

/// Resolves a `&str` name for a caller in `session`, as the driver will.
pub(crate) fn resolve_str(
    name: &str,
    session: u32,
) -> Result<ResolvedName, evshare_protocol::NameError> {
    let units: Vec<u16> = name.encode_utf16().collect();
    resolve(&units, session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win32_names_and_counterparts() {
        let bare = resolve_str("X", 1).unwrap();
        assert_eq!(bare.to_string(), r"\Sessions\1\BaseNamedObjects\X");
        assert_eq!(win32_name(&bare), r"Local\X");
        let global = counterpart(&bare, 1).unwrap();
        assert_eq!(global.to_string(), r"\BaseNamedObjects\X");
        assert_eq!(win32_name(&global), r"Global\X");
        assert_eq!(counterpart(&global, 1), Some(bare));
        let session0 = resolve_str("X", 0).unwrap();
        assert_eq!(counterpart(&session0, 0), None);
        assert_eq!(describe(bare.namespace()), "session 1");
        assert_eq!(describe(global.namespace()), "the global namespace");
        assert_eq!(win32_name_for(&bare, 1), "X");
        assert_eq!(win32_name_for(&global, 1), r"Global\X");
        assert_eq!(win32_name_for(&bare, 2), r"Local\X");
    }
}
