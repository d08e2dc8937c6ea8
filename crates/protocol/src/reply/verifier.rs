//! `VerifierFigures`, what the verifier build of the driver has seen: part of `StatsReply`,
//! and the whole of `VerifierReply` (the answer to `VERIFIER`).

use super::{decode_fixed, encode_fixed};
use crate::error::ProtocolError;
use crate::wire::{check_fixed, wire_layout, Wire};

/// How many verifier check counters the wire carries (the checks the driver has, then
/// reserved zeros).
pub const VERIFIER_CHECKS: usize = 8;

/// The verifier's checks, in counter order (`docs/verifier.md` says what each one checks).
pub const VERIFIER_CHECK_NAMES: [&str; 6] = [
    "irql",
    "irp-completion",
    "lock-order",
    "irp-at-unload",
    "pool-at-unload",
    "references-at-unload",
];

wire_layout! {
    /// Every field is zero in the shipped build.
    pub(crate) struct VerifierFiguresWire as VerifierFigures {
        /// 1 in the verifier build, else 0; nothing else is valid
        enabled: u32,
        /// kernel calls failed by fault injection since the driver loaded
        faults_injected: u32,
        /// kernel calls checked against their IRQL rule since the driver loaded
        calls_checked: u64,
        /// by check: 0 `irql`, 1 `irp-completion`, 2 `lock-order`, 3 `irp-at-unload`,
        /// 4 `pool-at-unload`, 5 `references-at-unload`; 6–7 reserved, zero
        violations: [u32; VERIFIER_CHECKS],
    }
}

/// The verifier build's figures (layout: `VerifierFiguresWire`). Every field is zero in the
/// shipped build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VerifierFigures {
    /// Whether the driver is the verifier build.
    pub enabled: bool,
    /// Kernel calls failed by fault injection since the driver loaded.
    pub faults_injected: u32,
    /// Kernel calls checked against their IRQL rule since the driver loaded.
    pub calls_checked: u64,
    /// Violations found since the driver loaded, by check ([`VERIFIER_CHECK_NAMES`]).
    pub violations: [u32; VERIFIER_CHECKS],
}

impl VerifierFigures {
    /// The encoded size.
    pub const LEN: usize = VerifierFiguresWire::LEN;

    /// All violations, of every check.
    pub fn total_violations(&self) -> u64 {
        self.violations.iter().map(|&n| u64::from(n)).sum()
    }
}

impl From<VerifierFigures> for VerifierFiguresWire {
    fn from(figures: VerifierFigures) -> Self {
        VerifierFiguresWire {
            enabled: u32::from(figures.enabled),
            faults_injected: figures.faults_injected,
            calls_checked: figures.calls_checked,
            violations: figures.violations,
        }
    }
}

impl TryFrom<VerifierFiguresWire> for VerifierFigures {
    type Error = ProtocolError;

    /// `enabled` must be 0 or 1 ([`ReservedNotZero`](ProtocolError::ReservedNotZero)).
    fn try_from(raw: VerifierFiguresWire) -> Result<Self, ProtocolError> {
        let enabled = match raw.enabled {
            0 => false,
            1 => true,
            _ => return Err(ProtocolError::ReservedNotZero),
        };
        Ok(VerifierFigures {
            enabled,
            faults_injected: raw.faults_injected,
            calls_checked: raw.calls_checked,
            violations: raw.violations,
        })
    }
}

wire_layout! {
    /// What `VERIFIER` returns.
    pub(crate) struct VerifierReplyWire as VerifierReply {
        version: u32 = 1,
        reserved: u32 = 0,
        /// after the operation the request asked for
        figures: VerifierFiguresWire,
    }
}

/// What `VERIFIER` returns (layout: `VerifierReplyWire`): the figures after the operation the
/// request asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VerifierReply {
    /// The figures.
    pub figures: VerifierFigures,
}

impl VerifierReply {
    /// The encoded size.
    pub const LEN: usize = VerifierReplyWire::LEN;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let raw = VerifierReplyWire {
            figures: self.figures.into(),
            ..VerifierReplyWire::BLANK
        };
        encode_fixed(&raw, out)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let raw: VerifierReplyWire = decode_fixed(bytes)?;
        let figures = VerifierFigures::try_from(raw.figures)?;
        check_fixed(&raw)?;
        Ok(VerifierReply { figures })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_round_trips() {
        let reply = VerifierReply {
            figures: VerifierFigures {
                enabled: true,
                faults_injected: 7,
                calls_checked: 1 << 40,
                violations: [1, 2, 3, 4, 5, 6, 0, 0],
            },
        };
        let mut out = [0u8; VerifierReply::LEN];
        assert_eq!(reply.encode(&mut out), Ok(VerifierReply::LEN));
        assert_eq!(VerifierReply::parse(&out), Ok(reply));
        assert_eq!(reply.figures.total_violations(), 21);
    }

    #[test]
    fn enabled_is_zero_or_one() {
        let mut out = [0u8; VerifierReply::LEN];
        VerifierReply::default().encode(&mut out).unwrap();
        out[8] = 2;
        assert_eq!(
            VerifierReply::parse(&out),
            Err(ProtocolError::ReservedNotZero)
        );
    }
}
