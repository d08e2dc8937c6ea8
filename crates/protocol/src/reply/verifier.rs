//! `VerifierFigures`, what the verifier build of the driver has seen: part of `StatsReply`,
//! and the whole of `VerifierReply` (the answer to `VERIFIER`).

use super::{check_reserved, finish_reply, missing, open_reply, start_reply};
use crate::error::ProtocolError;
use crate::wire::{Reader, Writer};

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

/// The verifier build's figures: `enabled: u32` (1 in the verifier build, 0 otherwise),
/// `faults_injected: u32`, `calls_checked: u64`, `violations: [u32; 8]`. Every field is zero
/// in the shipped build.
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
    pub const LEN: usize = 16 + 4 * VERIFIER_CHECKS;

    /// All violations, of every check.
    pub fn total_violations(&self) -> u64 {
        self.violations.iter().map(|&n| u64::from(n)).sum()
    }

    pub(super) fn write(&self, fields: &mut Writer<'_>) -> Option<()> {
        fields.u32(u32::from(self.enabled))?;
        fields.u32(self.faults_injected)?;
        fields.u64(self.calls_checked)?;
        for count in self.violations {
            fields.u32(count)?;
        }
        Some(())
    }

    pub(super) fn read(fields: &mut Reader<'_>) -> Option<Result<Self, ProtocolError>> {
        let enabled = fields.u32()?;
        let faults_injected = fields.u32()?;
        let calls_checked = fields.u64()?;
        let mut violations = [0_u32; VERIFIER_CHECKS];
        for count in &mut violations {
            *count = fields.u32()?;
        }
        let enabled = match enabled {
            0 => false,
            1 => true,
            _ => return Some(Err(ProtocolError::ReservedNotZero)),
        };
        Some(Ok(VerifierFigures {
            enabled,
            faults_injected,
            calls_checked,
            violations,
        }))
    }
}

/// What `VERIFIER` returns: `version: u32`, `reserved: u32`, then [`VerifierFigures`] (after
/// the operation the request asked for).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VerifierReply {
    /// The figures.
    pub figures: VerifierFigures,
}

impl VerifierReply {
    /// The encoded size.
    pub const LEN: usize = 8 + VerifierFigures::LEN;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let mut fields = start_reply(out, Self::LEN)?;
        let too_small = ProtocolError::OutputTooSmall {
            needed: Self::LEN,
            got: fields.written(),
        };
        fields.u32(0).ok_or(too_small)?;
        self.figures.write(&mut fields).ok_or(too_small)?;
        finish_reply(&fields, Self::LEN)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = open_reply(bytes, Self::LEN)?;
        let missing = missing(Self::LEN, bytes.len());
        let reserved = fields.u32().ok_or(missing)?;
        let figures = VerifierFigures::read(&mut fields).ok_or(missing)??;
        check_reserved(reserved)?;
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
