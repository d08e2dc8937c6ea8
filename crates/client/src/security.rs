//! Access rights of events and what an event's security descriptor says, read back with
//! [`Event::security`](crate::Event::security): who owns it and which ACEs its DACL holds.
//!
//! The driver creates named events with a DACL that grants the requesting user
//! `SYNCHRONIZE | READ_CONTROL` and nobody anything else; tests and `evshare doctor` use these
//! types to show (and check) exactly that.

use std::fmt;

/// Access rights of event handles (`winnt.h`), for [`Event::open_with_access`],
/// [`Event::duplicate`] and for reading masks.
///
/// [`Event::open_with_access`]: crate::Event::open_with_access
/// [`Event::duplicate`]: crate::Event::duplicate
pub mod access {
    /// Read the event's state (`EVENT_QUERY_STATE`).
    pub const EVENT_QUERY_STATE: u32 = 0x0001;
    /// Set and reset the event (`EVENT_MODIFY_STATE`): what the driver needs to signal it.
    pub const EVENT_MODIFY_STATE: u32 = 0x0002;
    /// Delete the object (`DELETE`).
    pub const DELETE: u32 = 0x0001_0000;
    /// Read the security descriptor (`READ_CONTROL`).
    pub const READ_CONTROL: u32 = 0x0002_0000;
    /// Change the DACL (`WRITE_DAC`).
    pub const WRITE_DAC: u32 = 0x0004_0000;
    /// Change the owner (`WRITE_OWNER`).
    pub const WRITE_OWNER: u32 = 0x0008_0000;
    /// Wait on the object (`SYNCHRONIZE`).
    pub const SYNCHRONIZE: u32 = 0x0010_0000;
    /// Everything an event handle can grant (`EVENT_ALL_ACCESS`).
    pub const EVENT_ALL_ACCESS: u32 = 0x001F_0003;

    /// The names of the bits, in the order [`describe`] prints them.
    const NAMES: [(u32, &str); 7] = [
        (SYNCHRONIZE, "SYNCHRONIZE"),
        (READ_CONTROL, "READ_CONTROL"),
        (EVENT_MODIFY_STATE, "EVENT_MODIFY_STATE"),
        (EVENT_QUERY_STATE, "EVENT_QUERY_STATE"),
        (DELETE, "DELETE"),
        (WRITE_DAC, "WRITE_DAC"),
        (WRITE_OWNER, "WRITE_OWNER"),
    ];

    /// `SYNCHRONIZE | READ_CONTROL`, `EVENT_ALL_ACCESS`, `0` or, for bits without a name here,
    /// their hex value (`SYNCHRONIZE | 0x10000000`).
    pub fn describe(mask: u32) -> String {
        if mask == 0 {
            return "0 (no access)".to_owned();
        }
        if mask == EVENT_ALL_ACCESS {
            return "EVENT_ALL_ACCESS".to_owned();
        }
        let mut parts: Vec<String> = NAMES
            .iter()
            .filter(|(bit, _)| mask & bit != 0)
            .map(|(_, name)| (*name).to_owned())
            .collect();
        let named = NAMES.iter().fold(0, |all, (bit, _)| all | bit);
        if mask & !named != 0 {
            parts.push(format!("{:#x}", mask & !named));
        }
        parts.join(" | ")
    }
}

/// Well-known SIDs, as `ConvertSidToStringSid` writes them.
pub mod sids {
    /// `LocalSystem` (`NT AUTHORITY\SYSTEM`).
    pub const LOCAL_SYSTEM: &str = "S-1-5-18";
    /// `Everyone`.
    pub const EVERYONE: &str = "S-1-1-0";
    /// `BUILTIN\Administrators`.
    pub const ADMINISTRATORS: &str = "S-1-5-32-544";
}

/// What kind of ACE an entry of a DACL is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AceKind {
    /// `ACCESS_ALLOWED_ACE_TYPE`: grants its mask to its SID.
    Allowed,
    /// `ACCESS_DENIED_ACE_TYPE`: denies its mask to its SID.
    Denied,
    /// Any other ACE type (object, callback, audit ...), by its `AceType` value.
    Other(u8),
}

impl AceKind {
    /// The kind for an `ACE_HEADER::AceType` value.
    pub const fn from_raw(ace_type: u8) -> AceKind {
        match ace_type {
            0 => AceKind::Allowed,
            1 => AceKind::Denied,
            other => AceKind::Other(other),
        }
    }
}

/// One entry of a DACL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ace {
    /// Allow, deny, or another type.
    pub kind: AceKind,
    /// `ACE_HEADER::AceFlags` (inheritance bits).
    pub flags: u8,
    /// The access mask (0 for [`AceKind::Other`]).
    pub mask: u32,
    /// The SID it applies to, `S-1-...` (empty for [`AceKind::Other`]).
    pub sid: String,
}

impl fmt::Display for Ace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            AceKind::Allowed => write!(f, "allow {}: {}", self.sid, access::describe(self.mask)),
            AceKind::Denied => write!(f, "deny {}: {}", self.sid, access::describe(self.mask)),
            AceKind::Other(kind) => write!(f, "ACE of type {kind}"),
        }
    }
}

/// An object's owner and DACL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SecurityInfo {
    /// The owner's SID, if the descriptor names one.
    pub owner: Option<String>,
    /// The DACL's entries in order; `None` for a NULL DACL, which grants everyone everything.
    pub dacl: Option<Vec<Ace>>,
}

impl SecurityInfo {
    /// The access the DACL grants `sid` through ACEs naming it exactly (allowed minus denied;
    /// group memberships are not considered). A NULL DACL grants everything.
    pub fn granted_to(&self, sid: &str) -> u32 {
        let Some(aces) = &self.dacl else {
            return u32::MAX;
        };
        let mut allowed = 0;
        let mut denied = 0;
        for ace in aces.iter().filter(|ace| ace.sid == sid) {
            match ace.kind {
                AceKind::Allowed => allowed |= ace.mask & !denied,
                AceKind::Denied => denied |= ace.mask & !allowed,
                AceKind::Other(_) => {}
            }
        }
        allowed
    }
}

impl fmt::Display for SecurityInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.owner {
            Some(owner) => write!(f, "owner {owner}; ")?,
            None => f.write_str("no owner; ")?,
        }
        match &self.dacl {
            None => f.write_str("NULL DACL (everyone has full access)"),
            Some(aces) if aces.is_empty() => f.write_str("empty DACL (nobody has access)"),
            Some(aces) => {
                f.write_str("DACL: ")?;
                for (i, ace) in aces.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{ace}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::access::*;
    use super::*;

    #[test]
    fn masks_are_described_by_name() {
        assert_eq!(
            describe(SYNCHRONIZE | READ_CONTROL),
            "SYNCHRONIZE | READ_CONTROL"
        );
        assert_eq!(describe(EVENT_ALL_ACCESS), "EVENT_ALL_ACCESS");
        assert_eq!(describe(0), "0 (no access)");
        assert_eq!(
            describe(SYNCHRONIZE | 0x1000_0000),
            "SYNCHRONIZE | 0x10000000"
        );
    }

    #[test]
    fn granted_to_follows_allow_and_deny_in_order() {
        let user = "S-1-5-21-1-2-3-1000";
        let ace = |kind, mask: u32, sid: &str| Ace {
            kind,
            flags: 0,
            mask,
            sid: sid.to_owned(),
        };
        let info = SecurityInfo {
            owner: Some(sids::LOCAL_SYSTEM.to_owned()),
            dacl: Some(vec![
                ace(AceKind::Denied, EVENT_MODIFY_STATE, user),
                ace(AceKind::Allowed, EVENT_ALL_ACCESS, user),
                ace(AceKind::Allowed, SYNCHRONIZE, sids::EVERYONE),
            ]),
        };
        assert_eq!(
            info.granted_to(user),
            EVENT_ALL_ACCESS & !EVENT_MODIFY_STATE
        );
        assert_eq!(info.granted_to(sids::EVERYONE), SYNCHRONIZE);
        assert_eq!(info.granted_to("S-1-5-32-545"), 0);
        assert_eq!(
            info.to_string(),
            format!(
                "owner S-1-5-18; DACL: deny {user}: EVENT_MODIFY_STATE; allow {user}: \
                 EVENT_ALL_ACCESS; allow S-1-1-0: SYNCHRONIZE"
            )
        );
        let null = SecurityInfo {
            owner: None,
            dacl: None,
        };
        assert_eq!(null.granted_to(user), u32::MAX);
        assert!(null.to_string().contains("NULL DACL"));
    }
}
