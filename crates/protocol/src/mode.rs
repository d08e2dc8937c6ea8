//! How the driver signals a registered event.
//!
//! On the wire a mode is `kind: u32, millis: u32` (`docs/protocol.md`, "Encoding"): kind 0 is on
//! demand (millis must be 0), 1 is periodic (period 1..=[`MAX_MILLIS`]), 2 is one-shot (delay
//! 0..=[`MAX_MILLIS`]).

use crate::error::ProtocolError;
use crate::wire::wire_layout;

/// The longest period or delay, in milliseconds: one hour.
pub const MAX_MILLIS: u32 = 3_600_000;

/// Wire `kind` of [`SignalMode::OnDemand`].
pub const KIND_ON_DEMAND: u32 = 0;
/// Wire `kind` of [`SignalMode::Periodic`].
pub const KIND_PERIODIC: u32 = 1;
/// Wire `kind` of [`SignalMode::OneShot`].
pub const KIND_ONE_SHOT: u32 = 2;

/// When the driver signals a registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignalMode {
    /// Only when the app asks for it with the `SIGNAL` IOCTL.
    OnDemand,
    /// Every `period_ms` milliseconds (1..=[`MAX_MILLIS`]), from a kernel timer.
    Periodic {
        /// The timer period, in milliseconds.
        period_ms: u32,
    },
    /// Once, `delay_ms` milliseconds (0..=[`MAX_MILLIS`]) after the mode is set.
    OneShot {
        /// The delay before the single signal, in milliseconds.
        delay_ms: u32,
    },
}

impl SignalMode {
    /// The wire `(kind, millis)` pair. It does not validate: use [`SignalMode::validate`] (the
    /// encoders do) before sending a mode built by hand.
    pub const fn to_wire(self) -> (u32, u32) {
        match self {
            SignalMode::OnDemand => (KIND_ON_DEMAND, 0),
            SignalMode::Periodic { period_ms } => (KIND_PERIODIC, period_ms),
            SignalMode::OneShot { delay_ms } => (KIND_ONE_SHOT, delay_ms),
        }
    }

    /// The mode a wire `(kind, millis)` pair stands for, or
    /// [`ProtocolError::BadSignalMode`] for an unknown kind or a millis value out of its range.
    pub const fn from_wire(kind: u32, millis: u32) -> Result<Self, ProtocolError> {
        match (kind, millis) {
            (KIND_ON_DEMAND, 0) => Ok(SignalMode::OnDemand),
            (KIND_PERIODIC, 1..=MAX_MILLIS) => Ok(SignalMode::Periodic { period_ms: millis }),
            (KIND_ONE_SHOT, 0..=MAX_MILLIS) => Ok(SignalMode::OneShot { delay_ms: millis }),
            _ => Err(ProtocolError::BadSignalMode { kind, millis }),
        }
    }

    /// The mode itself if the protocol allows it (a periodic mode needs a period of at least
    /// 1 ms; no period or delay may exceed [`MAX_MILLIS`]).
    pub const fn validate(self) -> Result<Self, ProtocolError> {
        let (kind, millis) = self.to_wire();
        Self::from_wire(kind, millis)
    }
}

wire_layout! {
    /// `kind` 0 = on demand (`millis` must be 0), 1 = periodic (period = `millis`,
    /// 1..=3_600_000), 2 = one-shot (delay = `millis`, 0..=3_600_000).
    pub(crate) struct SignalModeWire as SignalMode {
        kind: u32,
        millis: u32,
    }
}

impl SignalModeWire {
    /// The mode these raw fields stand for ([`SignalMode::from_wire`]).
    pub(crate) const fn decode(self) -> Result<SignalMode, ProtocolError> {
        SignalMode::from_wire(self.kind, self.millis)
    }
}

impl From<SignalMode> for SignalModeWire {
    fn from(mode: SignalMode) -> Self {
        let (kind, millis) = mode.to_wire();
        SignalModeWire { kind, millis }
    }
}

impl core::fmt::Display for SignalMode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SignalMode::OnDemand => f.write_str("on demand"),
            SignalMode::Periodic { period_ms } => write!(f, "every {period_ms} ms"),
            SignalMode::OneShot { delay_ms } => write!(f, "once after {delay_ms} ms"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_pairs_decode_to_modes_or_to_bad_signal_mode() {
        let bad = |kind, millis| Err(ProtocolError::BadSignalMode { kind, millis });
        let cases = [
            (0, 0, Ok(SignalMode::OnDemand)),
            (0, 1, bad(0, 1)),
            (1, 0, bad(1, 0)),
            (1, 1, Ok(SignalMode::Periodic { period_ms: 1 })),
            (
                1,
                MAX_MILLIS,
                Ok(SignalMode::Periodic {
                    period_ms: MAX_MILLIS,
                }),
            ),
            (1, MAX_MILLIS + 1, bad(1, MAX_MILLIS + 1)),
            (2, 0, Ok(SignalMode::OneShot { delay_ms: 0 })),
            (
                2,
                MAX_MILLIS,
                Ok(SignalMode::OneShot {
                    delay_ms: MAX_MILLIS,
                }),
            ),
            (2, u32::MAX, bad(2, u32::MAX)),
            (3, 0, bad(3, 0)),
            (u32::MAX, 5, bad(u32::MAX, 5)),
        ];
        for (kind, millis, expected) in cases {
            assert_eq!(
                SignalMode::from_wire(kind, millis),
                expected,
                "({kind}, {millis})"
            );
            if let Ok(mode) = expected {
                assert_eq!(mode.to_wire(), (kind, millis));
                assert_eq!(mode.validate(), Ok(mode));
            }
        }
    }

    #[test]
    fn hand_built_modes_out_of_range_do_not_validate() {
        assert!(SignalMode::Periodic { period_ms: 0 }.validate().is_err());
        assert!(SignalMode::OneShot {
            delay_ms: MAX_MILLIS + 1
        }
        .validate()
        .is_err());
    }
}
