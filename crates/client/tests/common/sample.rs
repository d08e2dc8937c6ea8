//! The sample host (`samples/rust-host`, a Rust driver that embeds evshare), as its e2e tests
//! reach it: its device, its IOCTL space, and its own two IOCTLs.

use evshare::{Driver, IoctlSpace, NtStatus};
use evshare_protocol::ioctl::{ctl_code, FILE_READ_DATA, FILE_WRITE_DATA, METHOD_BUFFERED};

use super::{chain, require_e2e};

/// The sample's device, through its link `\DosDevices\EvshareSampleRust`.
pub const PATH: &str = r"\\.\EvshareSampleRust";
/// The sample's second device, through its link `\DosDevices\EvshareSampleRust2`: a second
/// evshare instance in the same space, with one channel of its own.
pub const SECOND_PATH: &str = r"\\.\EvshareSampleRust2";
/// The sample's device type (`samples/rust-host/src/own_ioctl.rs`).
pub const DEVICE_TYPE: u32 = 0x9A11;
/// The first function of evshare's IOCTLs on the sample's device.
pub const EVSHARE_BASE: u32 = 0x900;
/// `IOCTL_SAMPLE_QUERY_TICKS`: the sample's own request, a `u64` of ticks back.
pub const IOCTL_QUERY_TICKS: u32 = ctl_code(DEVICE_TYPE, 0x800, METHOD_BUFFERED, FILE_READ_DATA);
/// `IOCTL_SAMPLE_BURST` (`samples/rust-host/src/burst.rs`): a `u32` count in, that many
/// sequence numbers published on `sample.burst`, four `u64`s back.
pub const IOCTL_BURST: u32 = ctl_code(DEVICE_TYPE, 0x801, METHOD_BUFFERED, FILE_WRITE_DATA);
/// The most payloads one burst may publish.
pub const MAX_BURST: u32 = 1024;
/// The burst reply's length.
pub const BURST_REPLY_LEN: usize = 32;

/// Where the sample puts evshare's IOCTLs.
pub fn space() -> IoctlSpace {
    IoctlSpace::new(DEVICE_TYPE, EVSHARE_BASE).expect("the sample's space")
}

/// Opens the sample's device in its space, or fails saying how to install it.
pub fn open() -> Driver {
    open_at(PATH)
}

/// Opens the sample's second device (its second instance) in the same space.
pub fn open_second() -> Driver {
    open_at(SECOND_PATH)
}

fn open_at(path: &str) -> Driver {
    require_e2e();
    Driver::open_in(path, space()).unwrap_or_else(|error| {
        panic!(
            "cannot open the sample host at {path} (`cargo xtask sample` installs it next to \
             evshare.sys): {}",
            chain(&error)
        )
    })
}

/// The simulated device's tick count, by the sample's own IOCTL.
pub fn ticks(sample: &Driver) -> u64 {
    let mut reply = [0u8; 8];
    let written = sample
        .raw_ioctl(IOCTL_QUERY_TICKS, &[], &mut reply)
        .unwrap_or_else(|status| panic!("IOCTL_SAMPLE_QUERY_TICKS: {status}"));
    assert_eq!(written, 8, "the tick count is a u64");
    u64::from_le_bytes(reply)
}

/// What one `IOCTL_SAMPLE_BURST` did, as the sample replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Burst {
    /// The sequence number of the burst's first payload.
    pub first: u64,
    /// Payloads the instance took.
    pub published: u64,
    /// Subscribers reached, summed over the payloads (`Published::subscribers`).
    pub subscribers: u64,
    /// Full rings that dropped a payload, summed (`Published::dropped`).
    pub dropped: u64,
}

/// `IOCTL_SAMPLE_BURST` with `input` as the request and `room` bytes for the reply.
pub fn try_burst_raw(sample: &Driver, input: &[u8], room: usize) -> Result<Burst, NtStatus> {
    let mut reply = vec![0u8; room];
    let written = sample.raw_ioctl(IOCTL_BURST, input, &mut reply)?;
    assert_eq!(written, BURST_REPLY_LEN, "the burst reply is four u64s");
    let field = |at: usize| u64::from_le_bytes(reply[at..at + 8].try_into().unwrap());
    Ok(Burst {
        first: field(0),
        published: field(8),
        subscribers: field(16),
        dropped: field(24),
    })
}

/// Has the sample publish `count` sequence numbers on `sample.burst` now.
pub fn burst(sample: &Driver, count: u32) -> Burst {
    let burst = try_burst_raw(sample, &count.to_le_bytes(), BURST_REPLY_LEN)
        .unwrap_or_else(|status| panic!("IOCTL_SAMPLE_BURST of {count}: {status}"));
    assert_eq!(burst.published, u64::from(count), "every payload taken");
    burst
}
