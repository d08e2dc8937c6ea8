//! How a registration was made: the **method** every registration records (`docs/protocol.md`,
//! "Device"), reported in `RegisterReply`, `RegistrationInfo`, and counted per method in
//! `StatsReply::live_by_method` and `HoldersReply`.

use crate::error::ProtocolError;
use crate::ioctl::Ioctl;

/// How many methods there are (the length of the `by_method` counters).
pub const METHODS: usize = 5;

/// How a registration was made; its wire value indexes the `by_method` counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Method {
    /// `REGISTER_BY_NAME`: the driver opened an existing named event.
    ByName = 0,
    /// `REGISTER_BY_HANDLE`: the driver referenced an event through the app's own handle.
    ByHandle = 1,
    /// `CREATE_EVENT`: the driver created an unnamed event and gave the app a handle to it.
    DriverHandle = 2,
    /// `CREATE_NAMED_EVENT`: the driver created a named event (`...\evshare-<leaf>`).
    DriverNamed = 3,
    /// `REGISTER_RING`: the driver mapped the app's ring section and referenced its two
    /// events (data ready, space free).
    Ring = 4,
}

impl Method {
    /// Every method, in wire-value order (`ALL[i].index() == i`).
    pub const ALL: [Method; METHODS] = [
        Method::ByName,
        Method::ByHandle,
        Method::DriverHandle,
        Method::DriverNamed,
        Method::Ring,
    ];

    /// The wire value (0..=4).
    pub const fn to_wire(self) -> u32 {
        self as u32
    }

    /// The method a wire value names, or [`ProtocolError::UnknownMethod`].
    pub const fn from_wire(method: u32) -> Result<Method, ProtocolError> {
        match method {
            0 => Ok(Method::ByName),
            1 => Ok(Method::ByHandle),
            2 => Ok(Method::DriverHandle),
            3 => Ok(Method::DriverNamed),
            4 => Ok(Method::Ring),
            _ => Err(ProtocolError::UnknownMethod { method }),
        }
    }

    /// The index of this method's counter in the `by_method` arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The method with counter index `index`, if there is one.
    pub fn from_index(index: usize) -> Option<Method> {
        Self::ALL.get(index).copied()
    }

    /// A short, stable label for tables and logs, e.g. `"by name"`.
    pub const fn label(self) -> &'static str {
        match self {
            Method::ByName => "by name",
            Method::ByHandle => "by handle",
            Method::DriverHandle => "driver-created",
            Method::DriverNamed => "driver-created named",
            Method::Ring => "ring",
        }
    }

    /// The IOCTL that makes registrations of this method.
    pub const fn ioctl(self) -> Ioctl {
        match self {
            Method::ByName => Ioctl::RegisterByName,
            Method::ByHandle => Ioctl::RegisterByHandle,
            Method::DriverHandle => Ioctl::CreateEvent,
            Method::DriverNamed => Ioctl::CreateNamedEvent,
            Method::Ring => Ioctl::RegisterRing,
        }
    }

    /// Whether registrations of this method have a name (the replies' `resolved` field):
    /// [`ByName`](Self::ByName) and [`DriverNamed`](Self::DriverNamed). A
    /// [`Ring`](Self::Ring) opens three objects and reports none of them there (`QUERY_RING`
    /// describes a ring).
    pub const fn has_name(self) -> bool {
        matches!(self, Method::ByName | Method::DriverNamed)
    }

    /// Whether the driver returns a handle for this method (`RegisterReply::handle`): only
    /// [`DriverHandle`](Self::DriverHandle).
    pub const fn returns_handle(self) -> bool {
        matches!(self, Method::DriverHandle)
    }
}

impl core::fmt::Display for Method {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_wire_order_and_labels_are_distinct() {
        for (i, method) in Method::ALL.into_iter().enumerate() {
            assert_eq!(method.index(), i);
            assert_eq!(method.to_wire() as usize, i);
            assert_eq!(Method::from_index(i), Some(method));
            assert_eq!(Method::from_wire(method.to_wire()), Ok(method));
            for other in Method::ALL.get(i + 1..).unwrap_or(&[]) {
                assert_ne!(method.label(), other.label());
            }
        }
        assert_eq!(Method::from_index(METHODS), None);
        assert_eq!(
            Method::from_wire(5),
            Err(ProtocolError::UnknownMethod { method: 5 })
        );
    }
}
