//! The control device's names and its IOCTL codes.
//!
//! Codes follow the DDK's `CTL_CODE` macro
//! (<https://learn.microsoft.com/windows-hardware/drivers/kernel/defining-i-o-control-codes>):
//! every IOCTL is `METHOD_BUFFERED`; queries need `FILE_READ_DATA` and anything that changes
//! driver state needs `FILE_WRITE_DATA`, so the I/O manager itself refuses a state change
//! through a handle opened read-only.

use crate::error::ProtocolError;
use crate::reply::{
    ChannelsReply, HoldersReply, Notification, NotifyReply, ProduceReply, RegisterReply,
    RegistrationInfo, RingInfo, RingReply, SignalReply, StatsReply, VerifierReply, VersionReply,
};
use crate::request;

/// The device type of the evshare control device (custom range `0x8000..=0xFFFF`).
pub const FILE_DEVICE_EVSHARE: u32 = 0x8E5E;
/// The I/O manager copies input and output through one system buffer.
pub const METHOD_BUFFERED: u32 = 0;
/// `CTL_CODE` access bit: the handle must have been opened with read access.
pub const FILE_READ_DATA: u32 = 1;
/// `CTL_CODE` access bit: the handle must have been opened with write access.
pub const FILE_WRITE_DATA: u32 = 2;

/// The NT name of the control device.
pub const DEVICE_NAME: &str = r"\Device\evshare";
/// The symbolic link that makes the device visible to Win32.
pub const DOS_DEVICE_NAME: &str = r"\DosDevices\evshare";
/// The path user mode passes to `CreateFileW`.
pub const USER_PATH: &str = r"\\.\evshare";
/// The name of the driver's service (the `sc create` / registry key name).
pub const SERVICE_NAME: &str = "evshare";

/// The DDK's `CTL_CODE(device, function, method, access)`:
/// `(device << 16) | (access << 14) | (function << 2) | method`.
///
/// Fields wider than their slot are masked to it (device 16 bits, access 2, function 12,
/// method 2) instead of spilling into their neighbours.
pub const fn ctl_code(device: u32, function: u32, method: u32, access: u32) -> u32 {
    ((device & 0xFFFF) << 16) | ((access & 0x3) << 14) | ((function & 0xFFF) << 2) | (method & 0x3)
}

/// Every IOCTL the driver understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ioctl {
    /// `QUERY_VERSION`: which protocol and driver version, on which host.
    QueryVersion,
    /// `REGISTER_BY_NAME`: open an existing named event and signal it.
    RegisterByName,
    /// `SET_SIGNAL_MODE`: change how a registration is signalled.
    SetSignalMode,
    /// `SIGNAL`: make the driver signal a registration now.
    Signal,
    /// `UNREGISTER`: drop a registration and the driver's reference to its event.
    Unregister,
    /// `QUERY_STATS`: the driver's counters.
    QueryStats,
    /// `QUERY_REGISTRATION`: what the driver knows about one registration.
    QueryRegistration,
    /// `REGISTER_BY_HANDLE`: reference an event through the app's own handle and signal it.
    RegisterByHandle,
    /// `CREATE_EVENT`: create an unnamed event, hand the app a handle to it, and signal it.
    CreateEvent,
    /// `CREATE_NAMED_EVENT`: create a named event (`...\evshare-<leaf>`) and signal it.
    CreateNamedEvent,
    /// `QUERY_HOLDERS`: which processes hold live registrations.
    QueryHolders,
    /// `REGISTER_RING`: hand the driver a ring (a section and two events) to produce into.
    RegisterRing,
    /// `PRODUCE`: make the driver produce records into a ring now.
    Produce,
    /// `PEND_NOTIFICATION`: an IRP the driver keeps pending until a notification completes it.
    PendNotification,
    /// `NOTIFY`: make notifications for the caller's handle (completing pending IRPs).
    Notify,
    /// `QUERY_RING`: a ring's counters.
    QueryRing,
    /// `VERIFIER`: the verifier build's figures, fault injection and self-test.
    Verifier,
    /// `QUERY_CHANNELS`: the channels the host driver publishes on.
    QueryChannels,
    /// `SUBSCRIBE`: have one of the caller's registrations receive a channel's payloads.
    Subscribe,
}

impl Ioctl {
    /// Every IOCTL, in function-number order.
    pub const ALL: [Ioctl; 19] = [
        Ioctl::QueryVersion,
        Ioctl::RegisterByName,
        Ioctl::SetSignalMode,
        Ioctl::Signal,
        Ioctl::Unregister,
        Ioctl::QueryStats,
        Ioctl::QueryRegistration,
        Ioctl::RegisterByHandle,
        Ioctl::CreateEvent,
        Ioctl::CreateNamedEvent,
        Ioctl::QueryHolders,
        Ioctl::RegisterRing,
        Ioctl::Produce,
        Ioctl::PendNotification,
        Ioctl::Notify,
        Ioctl::QueryRing,
        Ioctl::Verifier,
        Ioctl::QueryChannels,
        Ioctl::Subscribe,
    ];

    /// The `CTL_CODE` function number (`0x800..=0x812`; `0x813..` are reserved).
    pub const fn function(self) -> u32 {
        match self {
            Ioctl::QueryVersion => 0x800,
            Ioctl::RegisterByName => 0x801,
            Ioctl::SetSignalMode => 0x802,
            Ioctl::Signal => 0x803,
            Ioctl::Unregister => 0x804,
            Ioctl::QueryStats => 0x805,
            Ioctl::QueryRegistration => 0x806,
            Ioctl::RegisterByHandle => 0x807,
            Ioctl::CreateEvent => 0x808,
            Ioctl::CreateNamedEvent => 0x809,
            Ioctl::QueryHolders => 0x80A,
            Ioctl::RegisterRing => 0x80B,
            Ioctl::Produce => 0x80C,
            Ioctl::PendNotification => 0x80D,
            Ioctl::Notify => 0x80E,
            Ioctl::QueryRing => 0x80F,
            Ioctl::Verifier => 0x810,
            Ioctl::QueryChannels => 0x811,
            Ioctl::Subscribe => 0x812,
        }
    }

    /// The access bit the handle needs: [`FILE_WRITE_DATA`] if the IOCTL changes driver
    /// state, [`FILE_READ_DATA`] otherwise.
    pub const fn access(self) -> u32 {
        if self.changes_state() {
            FILE_WRITE_DATA
        } else {
            FILE_READ_DATA
        }
    }

    /// The IOCTL code passed to `DeviceIoControl`.
    pub const fn code(self) -> u32 {
        ctl_code(
            FILE_DEVICE_EVSHARE,
            self.function(),
            METHOD_BUFFERED,
            self.access(),
        )
    }

    /// The IOCTL with this exact code (device, function, method and access all match).
    pub fn from_code(code: u32) -> Option<Ioctl> {
        Self::ALL.into_iter().find(|ioctl| ioctl.code() == code)
    }

    /// The name `docs/protocol.md` uses, e.g. `"REGISTER_BY_NAME"`.
    pub const fn name(self) -> &'static str {
        match self {
            Ioctl::QueryVersion => "QUERY_VERSION",
            Ioctl::RegisterByName => "REGISTER_BY_NAME",
            Ioctl::SetSignalMode => "SET_SIGNAL_MODE",
            Ioctl::Signal => "SIGNAL",
            Ioctl::Unregister => "UNREGISTER",
            Ioctl::QueryStats => "QUERY_STATS",
            Ioctl::QueryRegistration => "QUERY_REGISTRATION",
            Ioctl::RegisterByHandle => "REGISTER_BY_HANDLE",
            Ioctl::CreateEvent => "CREATE_EVENT",
            Ioctl::CreateNamedEvent => "CREATE_NAMED_EVENT",
            Ioctl::QueryHolders => "QUERY_HOLDERS",
            Ioctl::RegisterRing => "REGISTER_RING",
            Ioctl::Produce => "PRODUCE",
            Ioctl::PendNotification => "PEND_NOTIFICATION",
            Ioctl::Notify => "NOTIFY",
            Ioctl::QueryRing => "QUERY_RING",
            Ioctl::Verifier => "VERIFIER",
            Ioctl::QueryChannels => "QUERY_CHANNELS",
            Ioctl::Subscribe => "SUBSCRIBE",
        }
    }

    /// Whether the IOCTL changes driver state (and so needs [`FILE_WRITE_DATA`]).
    pub const fn changes_state(self) -> bool {
        match self {
            Ioctl::RegisterByName
            | Ioctl::SetSignalMode
            | Ioctl::Signal
            | Ioctl::Unregister
            | Ioctl::RegisterByHandle
            | Ioctl::CreateEvent
            | Ioctl::CreateNamedEvent
            | Ioctl::RegisterRing
            | Ioctl::Produce
            | Ioctl::Notify
            | Ioctl::Verifier
            | Ioctl::Subscribe => true,
            Ioctl::QueryVersion
            | Ioctl::QueryStats
            | Ioctl::QueryRegistration
            | Ioctl::QueryHolders
            | Ioctl::PendNotification
            | Ioctl::QueryRing
            | Ioctl::QueryChannels => false,
        }
    }

    /// The size of the fixed part of the request (the whole request except `REGISTER_BY_NAME`'s
    /// name, `CREATE_NAMED_EVENT`'s leaf and `REGISTER_RING`'s three names).
    pub const fn request_fixed_len(self) -> usize {
        match self {
            Ioctl::QueryVersion
            | Ioctl::QueryHolders
            | Ioctl::PendNotification
            | Ioctl::QueryChannels => request::HEADER_LEN,
            Ioctl::RegisterByName => request::REGISTER_BY_NAME_FIXED_LEN,
            Ioctl::SetSignalMode => request::SET_SIGNAL_MODE_LEN,
            Ioctl::Signal | Ioctl::Unregister | Ioctl::QueryRegistration | Ioctl::QueryRing => {
                request::REGISTRATION_REQUEST_LEN
            }
            Ioctl::QueryStats => request::STATS_REQUEST_LEN,
            Ioctl::RegisterByHandle => request::REGISTER_BY_HANDLE_LEN,
            Ioctl::CreateEvent => request::CREATE_EVENT_LEN,
            Ioctl::CreateNamedEvent => request::CREATE_NAMED_EVENT_FIXED_LEN,
            Ioctl::RegisterRing => request::REGISTER_RING_FIXED_LEN,
            Ioctl::Produce => request::PRODUCE_LEN,
            Ioctl::Notify => request::NOTIFY_LEN,
            Ioctl::Verifier => request::VERIFIER_LEN,
            Ioctl::Subscribe => request::SUBSCRIBE_LEN,
        }
    }

    /// Whether the request has a variable-size tail after its fixed part (`REGISTER_BY_NAME`'s
    /// name, `CREATE_NAMED_EVENT`'s leaf, `REGISTER_RING`'s three names).
    pub const fn request_has_tail(self) -> bool {
        matches!(
            self,
            Ioctl::RegisterByName | Ioctl::CreateNamedEvent | Ioctl::RegisterRing
        )
    }

    /// The size of the reply, or 0 if the IOCTL has none.
    pub const fn reply_len(self) -> usize {
        match self {
            Ioctl::QueryVersion => VersionReply::LEN,
            Ioctl::RegisterByName
            | Ioctl::RegisterByHandle
            | Ioctl::CreateEvent
            | Ioctl::CreateNamedEvent => RegisterReply::LEN,
            Ioctl::SetSignalMode | Ioctl::Unregister | Ioctl::Subscribe => 0,
            Ioctl::Signal => SignalReply::LEN,
            Ioctl::QueryStats => StatsReply::LEN,
            Ioctl::QueryRegistration => RegistrationInfo::LEN,
            Ioctl::QueryHolders => HoldersReply::LEN,
            Ioctl::RegisterRing => RingReply::LEN,
            Ioctl::Produce => ProduceReply::LEN,
            Ioctl::PendNotification => Notification::LEN,
            Ioctl::Notify => NotifyReply::LEN,
            Ioctl::QueryRing => RingInfo::LEN,
            Ioctl::Verifier => VerifierReply::LEN,
            Ioctl::QueryChannels => ChannelsReply::LEN,
        }
    }

    /// Checks the caller's output buffer before any work is done, so that a request is never
    /// carried out only to find its reply cannot be returned (nor a `PEND_NOTIFICATION` left
    /// pending with no room for its `Notification`).
    pub const fn check_output_len(self, output_len: usize) -> Result<(), ProtocolError> {
        let needed = self.reply_len();
        if output_len < needed {
            Err(ProtocolError::OutputTooSmall {
                needed,
                got: output_len,
            })
        } else {
            Ok(())
        }
    }
}

impl core::fmt::Display for Ioctl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctl_code_packs_fields_like_the_ddk_macro() {
        // CTL_CODE(FILE_DEVICE_UNKNOWN=0x22, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) = 0x222000.
        assert_eq!(ctl_code(0x22, 0x800, 0, 0), 0x0022_2000);
        // CTL_CODE(0x22, 0x801, METHOD_NEITHER=3, FILE_READ_DATA|FILE_WRITE_DATA).
        assert_eq!(ctl_code(0x22, 0x801, 3, 3), 0x0022_E007);
        assert_eq!(ctl_code(0x1_0000, 0x1000, 4, 4), 0);
    }

    #[test]
    fn codes_are_the_documented_ones() {
        let expected = [
            (Ioctl::QueryVersion, 0x8E5E_6000, "QUERY_VERSION"),
            (Ioctl::RegisterByName, 0x8E5E_A004, "REGISTER_BY_NAME"),
            (Ioctl::SetSignalMode, 0x8E5E_A008, "SET_SIGNAL_MODE"),
            (Ioctl::Signal, 0x8E5E_A00C, "SIGNAL"),
            (Ioctl::Unregister, 0x8E5E_A010, "UNREGISTER"),
            (Ioctl::QueryStats, 0x8E5E_6014, "QUERY_STATS"),
            (Ioctl::QueryRegistration, 0x8E5E_6018, "QUERY_REGISTRATION"),
            (Ioctl::RegisterByHandle, 0x8E5E_A01C, "REGISTER_BY_HANDLE"),
            (Ioctl::CreateEvent, 0x8E5E_A020, "CREATE_EVENT"),
            (Ioctl::CreateNamedEvent, 0x8E5E_A024, "CREATE_NAMED_EVENT"),
            (Ioctl::QueryHolders, 0x8E5E_6028, "QUERY_HOLDERS"),
            (Ioctl::RegisterRing, 0x8E5E_A02C, "REGISTER_RING"),
            (Ioctl::Produce, 0x8E5E_A030, "PRODUCE"),
            (Ioctl::PendNotification, 0x8E5E_6034, "PEND_NOTIFICATION"),
            (Ioctl::Notify, 0x8E5E_A038, "NOTIFY"),
            (Ioctl::QueryRing, 0x8E5E_603C, "QUERY_RING"),
            (Ioctl::Verifier, 0x8E5E_A040, "VERIFIER"),
            (Ioctl::QueryChannels, 0x8E5E_6044, "QUERY_CHANNELS"),
            (Ioctl::Subscribe, 0x8E5E_A048, "SUBSCRIBE"),
        ];
        assert_eq!(expected.map(|(ioctl, ..)| ioctl), Ioctl::ALL);
        for (ioctl, code, name) in expected {
            assert_eq!(ioctl.code(), code, "{name}");
            assert_eq!(ioctl.name(), name);
            assert_eq!(Ioctl::from_code(code), Some(ioctl));
            assert_eq!(ioctl.code() >> 16, FILE_DEVICE_EVSHARE);
            assert_eq!(ioctl.code() & 3, METHOD_BUFFERED);
        }
    }

    #[test]
    fn state_changes_need_write_access_and_queries_read_access() {
        for ioctl in Ioctl::ALL {
            let access = (ioctl.code() >> 14) & 3;
            let expected = if ioctl.changes_state() { 2 } else { 1 };
            assert_eq!(access, expected, "{ioctl}");
        }
        assert!(Ioctl::Signal.changes_state());
        assert!(!Ioctl::QueryRegistration.changes_state());
        assert!(Ioctl::RegisterByHandle.changes_state());
        assert!(Ioctl::CreateEvent.changes_state());
        assert!(Ioctl::CreateNamedEvent.changes_state());
        assert!(!Ioctl::QueryHolders.changes_state());
        assert!(Ioctl::RegisterRing.changes_state());
        assert!(Ioctl::Produce.changes_state());
        assert!(!Ioctl::PendNotification.changes_state());
        assert!(Ioctl::Notify.changes_state());
        assert!(!Ioctl::QueryRing.changes_state());
    }

    #[test]
    fn near_misses_are_not_codes() {
        for ioctl in Ioctl::ALL {
            let code = ioctl.code();
            // Same function with other access bits or another method, or another device.
            for wrong in [
                code ^ (3 << 14),
                code | 3,
                code ^ 0x0001_0000,
                code & 0xFFFF,
            ] {
                assert_eq!(Ioctl::from_code(wrong), None, "{wrong:#x}");
            }
        }
        // The next functions are reserved: neither access makes them a code.
        for access in [1, 2] {
            assert_eq!(Ioctl::from_code(ctl_code(0x8E5E, 0x813, 0, access)), None);
        }
        assert_eq!(Ioctl::from_code(0x8E5E_A04C), None);
        assert_eq!(Ioctl::from_code(ctl_code(0x8E5E, 0x7FF, 0, 1)), None);
    }

    #[test]
    fn output_check_uses_the_reply_size() {
        let expected = [
            (Ioctl::QueryVersion, 24),
            (Ioctl::RegisterByName, 544),
            (Ioctl::SetSignalMode, 0),
            (Ioctl::Signal, 16),
            (Ioctl::Unregister, 0),
            (Ioctl::QueryStats, 532),
            (Ioctl::QueryRegistration, 552),
            (Ioctl::RegisterByHandle, 544),
            (Ioctl::CreateEvent, 544),
            (Ioctl::CreateNamedEvent, 544),
            (Ioctl::QueryHolders, 776),
            (Ioctl::RegisterRing, 24),
            (Ioctl::Produce, 32),
            (Ioctl::PendNotification, 64),
            (Ioctl::Notify, 24),
            (Ioctl::QueryRing, 56),
            (Ioctl::Verifier, 56),
            (Ioctl::QueryChannels, 392),
            (Ioctl::Subscribe, 0),
        ];
        assert_eq!(expected.map(|(ioctl, _)| ioctl), Ioctl::ALL);
        for (ioctl, len) in expected {
            assert_eq!(ioctl.reply_len(), len, "{ioctl}");
            assert_eq!(ioctl.check_output_len(len), Ok(()), "{ioctl}");
            assert_eq!(ioctl.check_output_len(len + 1), Ok(()), "{ioctl}");
            if len > 0 {
                assert_eq!(
                    ioctl.check_output_len(len - 1),
                    Err(ProtocolError::OutputTooSmall {
                        needed: len,
                        got: len - 1
                    }),
                    "{ioctl}"
                );
            }
        }
    }

    #[test]
    fn request_fixed_parts_are_the_documented_sizes() {
        let expected = [
            (Ioctl::QueryVersion, 8, false),
            (Ioctl::RegisterByName, 20, true),
            (Ioctl::SetSignalMode, 24, false),
            (Ioctl::Signal, 16, false),
            (Ioctl::Unregister, 16, false),
            (Ioctl::QueryStats, 16, false),
            (Ioctl::QueryRegistration, 16, false),
            (Ioctl::RegisterByHandle, 24, false),
            (Ioctl::CreateEvent, 24, false),
            (Ioctl::CreateNamedEvent, 28, true),
            (Ioctl::QueryHolders, 8, false),
            (Ioctl::RegisterRing, 36, true),
            (Ioctl::Produce, 24, false),
            (Ioctl::PendNotification, 8, false),
            (Ioctl::Notify, 16, false),
            (Ioctl::QueryRing, 16, false),
            (Ioctl::Verifier, 24, false),
            (Ioctl::QueryChannels, 8, false),
            (Ioctl::Subscribe, 24, false),
        ];
        assert_eq!(expected.map(|(ioctl, ..)| ioctl), Ioctl::ALL);
        for (ioctl, len, tail) in expected {
            assert_eq!(ioctl.request_fixed_len(), len, "{ioctl}");
            assert_eq!(ioctl.request_has_tail(), tail, "{ioctl}");
        }
    }
}
