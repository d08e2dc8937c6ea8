//! The sample's own IOCTLs, next to evshare's on the same device: their codes sit below the
//! base of evshare's space (`0x800..0x900` on device type `0x9A11`), so the two never
//! collide. This module holds the device type and `IOCTL_SAMPLE_QUERY_TICKS` (`0x800`);
//! `IOCTL_SAMPLE_BURST` (`0x801`) is in [`crate::burst`].

use crate::simulated;
use evshare_km::irp::{Completed, Irp};
use evshare_km::irql::Passive;
use evshare_km::NtStatus;
use evshare_protocol::ioctl::{ctl_code, FILE_READ_DATA, METHOD_BUFFERED};

/// The device type of `\Device\EvshareSampleRust` (custom range, `0x8000..=0xFFFF`).
pub const FILE_DEVICE_SAMPLE: u32 = 0x9A11;

/// The first function code of evshare's IOCTLs on this device; the sample keeps `0x800..0x900`.
pub const EVSHARE_FUNCTION_BASE: u32 = 0x900;

/// `IOCTL_SAMPLE_QUERY_TICKS`: no input; the reply is the simulated device's tick count, a
/// little-endian `u64` (8 bytes of output needed).
pub const IOCTL_SAMPLE_QUERY_TICKS: u32 =
    ctl_code(FILE_DEVICE_SAMPLE, 0x800, METHOD_BUFFERED, FILE_READ_DATA);

/// Answers `IOCTL_SAMPLE_QUERY_TICKS`.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn query_ticks(mut irp: Irp, at: &mut Passive) -> Completed {
    let Some(ticks) = simulated::ticks(at) else {
        return irp.complete(NtStatus::INVALID_DEVICE_STATE, 0);
    };
    let answered = match irp.buffered_ioctl() {
        Some(mut ioctl) => match ioctl.output().get_mut(..8) {
            Some(out) => {
                // Eight bytes into eight bytes: `zip` writes them all, and cannot panic.
                for (to, from) in out.iter_mut().zip(ticks.to_le_bytes()) {
                    *to = from;
                }
                Ok(8)
            }
            None => Err(NtStatus::BUFFER_TOO_SMALL),
        },
        None => Err(NtStatus::INVALID_PARAMETER),
    };
    match answered {
        Ok(written) => irp.complete(NtStatus::SUCCESS, written),
        Err(status) => irp.complete(status, 0),
    }
}
