//! `VERIFIER`: the verifier build's figures, its fault injection and its self-test (each
//! check provoked once). The shipped driver refuses the request (`NotVerifierBuild`).

use crate::caller::{Caller, Rejection};
use evshare_km::irql::Passive;
use evshare_km::verifier;
use evshare_km::NtStatus;
use evshare_protocol::reply::{VerifierFigures, VerifierReply, VERIFIER_CHECKS};
use evshare_protocol::stats::RejectReason;
use evshare_protocol::status::STATUS_NOT_SUPPORTED;
use evshare_protocol::VerifierOp;

const _: () = assert!(verifier::CHECKS <= VERIFIER_CHECKS);

/// What the verifier has seen, for `QUERY_STATS` and `VERIFIER` (zero in the shipped build).
pub fn figures() -> VerifierFigures {
    let report = verifier::report();
    let mut violations = [0; VERIFIER_CHECKS];
    for (out, count) in violations.iter_mut().zip(report.violations) {
        *out = count;
    }
    VerifierFigures {
        enabled: report.enabled,
        faults_injected: report.faults_injected,
        calls_checked: report.calls_checked,
        violations,
    }
}

/// Carries out `op` (the provocations that need the request's IRP are
/// `provoke_with_irp`'s), then reports the figures.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn handle(
    op: VerifierOp,
    caller: &Caller,
    at: &mut Passive,
) -> Result<VerifierReply, Rejection> {
    if !verifier::ENABLED {
        return Err(Rejection {
            status: NtStatus::from_u32(STATUS_NOT_SUPPORTED),
            reason: RejectReason::NotVerifierBuild,
        });
    }
    match op {
        VerifierOp::Query => {}
        VerifierOp::Faults { seed, one_in } => {
            verifier::set_faults(seed, one_in);
        }
        VerifierOp::Provoke { check } => provoke(check, caller, at)?,
    }
    Ok(VerifierReply { figures: figures() })
}

#[cfg(feature = "verifier")]
fn provoke(check: u32, caller: &Caller, at: &mut Passive) -> Result<(), Rejection> {
    use evshare_km::verifier::{provoke, Check};
    match provoke::PROVOKES.get(check as usize) {
        Some(Check::Irql) => provoke::wrong_irql(at),
        Some(Check::LockOrder) => provoke::wrong_lock_order(at),
        Some(Check::PoolAtUnload) => provoke::leak_pool()?,
        Some(Check::ReferencesAtUnload) => provoke::leak_reference(at, caller.process)?,
        // The IRP checks are provoked with the request's own IRP (`provoke_with_irp`); the
        // protocol refused any other number.
        Some(Check::IrpCompletion | Check::IrpAtUnload) | None => {}
    }
    Ok(())
}

#[cfg(not(feature = "verifier"))]
fn provoke(_check: u32, _caller: &Caller, _at: &mut Passive) -> Result<(), Rejection> {
    Ok(())
}

/// The provocations that need the request's own IRP: completing it twice
/// (`irp-completion`), or never (`irp-at-unload`: the app must not wait for this request).
/// Any other request comes back unchanged as `Err`.
///
/// IRQL: `PASSIVE_LEVEL`.
#[cfg(feature = "verifier")]
pub fn provoke_with_irp(
    stats: &crate::stats::Stats,
    kind: evshare_protocol::Ioctl,
    mut irp: evshare_km::irp::Irp,
) -> Result<evshare_km::irp::Completed, evshare_km::irp::Irp> {
    use evshare_km::verifier::{provoke, Check};
    use evshare_protocol::{request, Ioctl, Request};
    if kind != Ioctl::Verifier {
        return Err(irp);
    }
    let check = {
        let Some(ioctl) = irp.buffered_ioctl() else {
            return Err(irp);
        };
        match request::parse(kind.code(), ioctl.input()) {
            Ok(Request::Verifier {
                op: VerifierOp::Provoke { check },
            }) if check == Check::IrpCompletion as u32 || check == Check::IrpAtUnload as u32 => {
                check
            }
            _ => return Err(irp),
        }
    };
    if check == Check::IrpAtUnload as u32 {
        return Ok(provoke::never_complete(irp));
    }
    let written = match irp.buffered_ioctl() {
        Some(mut ioctl) => crate::caller::check_output(Ioctl::Verifier, ioctl.output_len())
            .and_then(|()| {
                VerifierReply { figures: figures() }
                    .encode(ioctl.output())
                    .map_err(Rejection::from)
            }),
        None => Err(Rejection::from(NtStatus::INVALID_PARAMETER)),
    };
    match written {
        Ok(written) => Ok(provoke::complete_twice(irp, NtStatus::SUCCESS, written)),
        Err(rejection) => Ok(rejection.refuse(irp, stats)),
    }
}
