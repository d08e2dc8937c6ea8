//! The NT path a name resolved to, held in a fixed buffer (no allocation).

use super::created::check_created_leaf;
use super::resolve::{resolve, session_in_path, GLOBAL_DIRECTORY, SESSIONS_DIRECTORY};
use super::{NameError, CREATED_PREFIX, MAX_RESOLVED_UNITS};

/// Which `BaseNamedObjects` directory a resolved name is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// `\BaseNamedObjects`, shared by all sessions (and session 0's own directory).
    Global,
    /// `\Sessions\N\BaseNamedObjects` for session `N` (never 0).
    Session(u32),
}

impl Namespace {
    /// The namespace of `Local\X` and bare names for a caller in `session`: its session's
    /// directory, or the global one for session 0.
    pub const fn local_to(session: u32) -> Namespace {
        if session == 0 {
            Namespace::Global
        } else {
            Namespace::Session(session)
        }
    }
}

impl core::fmt::Display for Namespace {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Namespace::Global => f.write_str("global"),
            Namespace::Session(session) => write!(f, "session {session}"),
        }
    }
}

/// An NT path the driver may open: `\BaseNamedObjects\X` or `\Sessions\N\BaseNamedObjects\X`,
/// spelled canonically, with a leaf that passed the name rules.
///
/// Only [`resolve`], [`driver_created`](super::driver_created) and
/// [`ResolvedName::from_units`] make one, so every value is a path the rules allow. Equality,
/// hashing, `Debug` and `Display` look at the path only.
#[derive(Clone, Copy)]
pub struct ResolvedName {
    /// The path; units past `len` are zero.
    units: [u16; MAX_RESOLVED_UNITS],
    /// INVARIANT: `leaf_start < len <= MAX_RESOLVED_UNITS`.
    len: usize,
    /// Where the leaf starts in `units`.
    leaf_start: usize,
    namespace: Namespace,
}

impl ResolvedName {
    /// The path of `leaf` in `namespace`, or `None` if it does not fit. The leaf must already
    /// have passed the rules.
    pub(super) fn new(namespace: Namespace, leaf: &[u16]) -> Option<ResolvedName> {
        Self::build(namespace, "", leaf)
    }

    /// The path of the driver-created event `evshare-<leaf>` in `namespace`, or `None` if it
    /// does not fit. The leaf must already have passed the rules for created leaves.
    pub(super) fn created(namespace: Namespace, leaf: &[u16]) -> Option<ResolvedName> {
        Self::build(namespace, CREATED_PREFIX, leaf)
    }

    /// The path `<namespace's directory>\<leaf_prefix><leaf>`; `leaf_prefix` must be ASCII.
    fn build(namespace: Namespace, leaf_prefix: &str, leaf: &[u16]) -> Option<ResolvedName> {
        let mut path = PathBuilder::new();
        match namespace {
            Namespace::Global => path.push_ascii(GLOBAL_DIRECTORY)?,
            Namespace::Session(session) => {
                path.push_ascii(SESSIONS_DIRECTORY)?;
                path.push_decimal(session)?;
                path.push_ascii(GLOBAL_DIRECTORY)?;
            }
        }
        let leaf_start = path.len;
        path.push_ascii(leaf_prefix)?;
        path.push_units(leaf)?;
        if leaf_start >= path.len {
            return None;
        }
        Some(ResolvedName {
            units: path.units,
            len: path.len,
            leaf_start,
            namespace,
        })
    }

    /// The path as UTF-16 units, without a terminator.
    pub fn as_units(&self) -> &[u16] {
        self.units.get(..self.len).unwrap_or(&[])
    }

    /// The directory the path is in.
    pub fn namespace(&self) -> Namespace {
        self.namespace
    }

    /// The object's own name: the units after the last `\`.
    pub fn leaf(&self) -> &[u16] {
        self.units.get(self.leaf_start..self.len).unwrap_or(&[])
    }

    /// The app's part of a driver-created event's name: the leaf without
    /// [`CREATED_PREFIX`], if the leaf starts with it (in that exact case) and the rest is a
    /// leaf [`driver_created`](super::driver_created) accepts. `None` for any other name.
    pub fn created_leaf(&self) -> Option<&[u16]> {
        let (prefix, rest) = self.leaf().split_at_checked(CREATED_PREFIX.len())?;
        let prefix_matches = prefix
            .iter()
            .zip(CREATED_PREFIX.bytes())
            .all(|(&unit, byte)| unit == u16::from(byte));
        (prefix_matches && check_created_leaf(rest).is_ok()).then_some(rest)
    }

    /// The name an app in `caller_session` passes to `OpenEvent` (or `CreateEvent`) for this
    /// path, as UTF-16 units without a terminator: `Global\<leaf>` for the global directory
    /// (from any session, session 0 included), the bare `<leaf>` for the caller's own
    /// session directory, and [`NameError::OtherSession`] for another session's directory,
    /// which Win32 names cannot reach.
    pub fn win32_name(
        &self,
        caller_session: u32,
    ) -> Result<impl Iterator<Item = u16> + Clone + '_, NameError> {
        let prefix = match self.namespace {
            Namespace::Global => r"Global\",
            Namespace::Session(session) if session == caller_session => "",
            Namespace::Session(session) => {
                return Err(NameError::OtherSession {
                    asked: session,
                    caller: caller_session,
                })
            }
        };
        Ok(prefix.encode_utf16().chain(self.leaf().iter().copied()))
    }

    /// The path's characters (never replaced: a resolved path is valid UTF-16).
    pub fn chars(&self) -> impl Iterator<Item = char> + '_ {
        char::decode_utf16(self.as_units().iter().copied())
            .map(|decoded| decoded.unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    /// A path the driver reported (the `resolved` field of a reply), if it is one [`resolve`]
    /// produces: canonical spelling, a session directory other than 0's, a valid leaf.
    pub fn from_units(units: &[u16]) -> Option<ResolvedName> {
        Self::try_from_units(units).ok()
    }

    /// Like [`from_units`](Self::from_units), but says what is wrong: the [`resolve`] error
    /// for a path that breaks the rules, or [`NameError::OutsideNamespace`] for one that is
    /// not spelled canonically (`\basenamedobjects\X`, `\Sessions\0\BaseNamedObjects\X`).
    pub fn try_from_units(units: &[u16]) -> Result<ResolvedName, NameError> {
        // A canonical path is exactly the one that resolves to itself for the session it names.
        let resolved = resolve(units, session_in_path(units).unwrap_or(0))?;
        if resolved.as_units() == units {
            Ok(resolved)
        } else {
            Err(NameError::OutsideNamespace)
        }
    }
}

impl PartialEq for ResolvedName {
    fn eq(&self, other: &Self) -> bool {
        self.as_units() == other.as_units()
    }
}

impl Eq for ResolvedName {}

impl core::hash::Hash for ResolvedName {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_units().hash(state);
    }
}

impl core::fmt::Debug for ResolvedName {
    /// The path as a quoted, escaped string, like `str`'s `Debug`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use core::fmt::Write;
        f.write_char('"')?;
        for c in self.chars() {
            for escaped in c.escape_debug() {
                f.write_char(escaped)?;
            }
        }
        f.write_char('"')
    }
}

impl core::fmt::Display for ResolvedName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use core::fmt::Write;
        self.chars().try_for_each(|c| f.write_char(c))
    }
}

/// Appends units to a fixed buffer, refusing (not panicking) when it is full.
struct PathBuilder {
    units: [u16; MAX_RESOLVED_UNITS],
    len: usize,
}

impl PathBuilder {
    const fn new() -> Self {
        PathBuilder {
            units: [0; MAX_RESOLVED_UNITS],
            len: 0,
        }
    }

    fn push(&mut self, unit: u16) -> Option<()> {
        *self.units.get_mut(self.len)? = unit;
        self.len = self.len.checked_add(1)?;
        Some(())
    }

    fn push_units(&mut self, units: &[u16]) -> Option<()> {
        units.iter().try_for_each(|&unit| self.push(unit))
    }

    fn push_ascii(&mut self, text: &str) -> Option<()> {
        text.bytes().try_for_each(|byte| self.push(u16::from(byte)))
    }

    fn push_decimal(&mut self, value: u32) -> Option<()> {
        const DIGITS: &[u8; 10] = b"0123456789";
        let mut reversed = [0_u8; 10];
        let mut count = 0_usize;
        let mut rest = value;
        loop {
            *reversed.get_mut(count)? = *DIGITS.get((rest % 10) as usize)?;
            count = count.checked_add(1)?;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        reversed
            .get(..count)?
            .iter()
            .rev()
            .try_for_each(|&digit| self.push(u16::from(digit)))
    }
}
