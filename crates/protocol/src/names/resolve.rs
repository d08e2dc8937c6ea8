//! Resolving the name an app asked for to the NT path the driver opens.

use super::units::{
    check_leaf, check_whole_name, parse_session_id, strip_prefix_ignore_ascii_case, BACKSLASH,
};
use super::{NameError, Namespace, ResolvedName};

/// The directory of global named objects, spelled canonically.
pub(super) const GLOBAL_DIRECTORY: &str = r"\BaseNamedObjects\";
/// The directory of per-session directories, spelled canonically.
pub(super) const SESSIONS_DIRECTORY: &str = r"\Sessions\";

/// Resolve what the app asked for against the caller's session (rules in `docs/protocol.md`,
/// "Names", and in the [module documentation](super)).
///
/// The checks run in this order, and the first failure is the answer:
/// 1. the whole name: [`Empty`](NameError::Empty), then
///    [`TooLong`](NameError::TooLong) (over [`MAX_INPUT_UNITS`](super::MAX_INPUT_UNITS)),
///    then the first unpaired surrogate ([`NotUtf16`](NameError::NotUtf16)) or NUL
///    ([`EmbeddedNul`](NameError::EmbeddedNul));
/// 2. the prefix: an NT path outside `\BaseNamedObjects\` and
///    `\Sessions\N\BaseNamedObjects\` (or with a malformed `N`) is
///    [`OutsideNamespace`](NameError::OutsideNamespace); `N` other than the caller's session is
///    [`OtherSession`](NameError::OtherSession);
/// 3. the leaf: a `\` in it (a subdirectory, or a bare name with a `\`) is
///    [`OutsideNamespace`](NameError::OutsideNamespace); empty, too long, `.` or `..` is
///    [`BadLeaf`](NameError::BadLeaf).
pub fn resolve(name: &[u16], caller_session: u32) -> Result<ResolvedName, NameError> {
    check_whole_name(name)?;
    let (namespace, leaf) = split_namespace(name, caller_session)?;
    check_leaf(leaf)?;
    // A leaf of at most 200 units after a prefix of at most 38 always fits in 256; should it
    // not, refusing the name as too long is the safe answer.
    ResolvedName::new(namespace, leaf).ok_or(NameError::TooLong { units: name.len() })
}

/// Splits `name` into the namespace it lives in and its leaf (not yet checked).
fn split_namespace(name: &[u16], caller_session: u32) -> Result<(Namespace, &[u16]), NameError> {
    let callers_own = Namespace::local_to(caller_session);
    if name.first() == Some(&BACKSLASH) {
        if let Some(leaf) = strip_prefix_ignore_ascii_case(name, GLOBAL_DIRECTORY) {
            return Ok((Namespace::Global, leaf));
        }
        let in_sessions = strip_prefix_ignore_ascii_case(name, SESSIONS_DIRECTORY)
            .ok_or(NameError::OutsideNamespace)?;
        let digits_len = in_sessions
            .iter()
            .position(|&unit| unit == BACKSLASH)
            .ok_or(NameError::OutsideNamespace)?;
        let (digits, rest) = in_sessions
            .split_at_checked(digits_len)
            .ok_or(NameError::OutsideNamespace)?;
        let leaf = strip_prefix_ignore_ascii_case(rest, GLOBAL_DIRECTORY)
            .ok_or(NameError::OutsideNamespace)?;
        let asked = parse_session_id(digits).ok_or(NameError::OutsideNamespace)?;
        if asked != caller_session {
            return Err(NameError::OtherSession {
                asked,
                caller: caller_session,
            });
        }
        return Ok((callers_own, leaf));
    }
    if let Some(leaf) = strip_prefix_ignore_ascii_case(name, r"Global\") {
        return Ok((Namespace::Global, leaf));
    }
    if let Some(leaf) = strip_prefix_ignore_ascii_case(name, r"Local\") {
        return Ok((callers_own, leaf));
    }
    Ok((callers_own, name))
}

/// The session id in a `\Sessions\N\...` path, if it has a well-formed one.
pub(super) fn session_in_path(name: &[u16]) -> Option<u32> {
    let in_sessions = strip_prefix_ignore_ascii_case(name, SESSIONS_DIRECTORY)?;
    let digits_len = in_sessions.iter().position(|&unit| unit == BACKSLASH)?;
    parse_session_id(in_sessions.get(..digits_len)?)
}
