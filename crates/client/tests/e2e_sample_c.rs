//! End to end, against the C sample host (`samples/c-host`: a C driver that links evshare
//! through `crates/kernel-c`'s static library and header), installed by the harness next to
//! evshare.sys. The client knows only evshare.sys's IOCTL space, so requests go raw, with the
//! codes of the sample's space (device type 0x9A12, evshare's functions from 0x900).
//!
//! Shown: the sample's own IOCTL answers and its timer DPC ticks (and so publishes: each tick
//! publishes both channels, and the harness checks after the stop that none failed);
//! QUERY_VERSION, REGISTER_BY_NAME, SIGNAL and QUERY_STATS work through its space, apart from
//! evshare.sys's instance; evshare.sys's codes sent to it are refused as unknown; a closed
//! handle's registrations are gone. Needs both drivers running (`EVSHARE_E2E=1`).

#![cfg(windows)]

mod common;

use common::{eventually, raw, require_e2e, serial, unique, PATIENCE};
use evshare_protocol::ioctl::ctl_code;
use evshare_protocol::reply::HostKind;
use evshare_protocol::request::{encode, name_to_wire, MAX_NAME_BYTES, MAX_REQUEST_LEN};
use evshare_protocol::{
    Ioctl, IoctlSpace, RegisterReply, Request, SignalMode, SignalReply, StatsReply, VersionReply,
};
use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, WAIT_OBJECT_0};
use windows_sys::Win32::System::Threading::{CreateEventW, WaitForSingleObject};

/// The sample's device.
const PATH: &str = r"\\.\EvshareSampleC";
/// The sample's device type.
const DEVICE_TYPE: u32 = 0x9A12;
/// The sample's own IOCTL: its tick count (function 0x800, METHOD_BUFFERED, any access).
const IOCTL_SAMPLE_TICKS: u32 = ctl_code(DEVICE_TYPE, 0x800, 0, 0);
/// `ERROR_INVALID_FUNCTION`: what `STATUS_INVALID_DEVICE_REQUEST` becomes.
const ERROR_INVALID_FUNCTION: u32 = 1;
/// `ERROR_INSUFFICIENT_BUFFER`: what `STATUS_BUFFER_TOO_SMALL` becomes.
const ERROR_INSUFFICIENT_BUFFER: u32 = 122;

/// evshare's IOCTLs on the sample's device.
fn space() -> IoctlSpace {
    IoctlSpace::new(DEVICE_TYPE, 0x900).expect("the sample's space is valid")
}

/// A handle to the sample's device, closed on drop.
struct Sample(HANDLE);

impl Sample {
    fn open() -> Sample {
        require_e2e();
        Sample(raw::open_path(PATH, false))
    }

    /// `request` with the code of `space`: the bytes written, or the Win32 error.
    fn send_in(
        &self,
        space: IoctlSpace,
        request: &Request<'_>,
        output: &mut [u8],
    ) -> Result<usize, u32> {
        let mut input = [0u8; MAX_REQUEST_LEN];
        let (evshare_code, len) = encode(request, &mut input).expect("encode the request");
        let ioctl = Ioctl::from_code(evshare_code).expect("an evshare code");
        raw::call_code(self.0, space.code_of(ioctl), &input[..len], output).map(|n| n as usize)
    }

    /// `request` in the sample's space.
    fn send(&self, request: &Request<'_>, output: &mut [u8]) -> Result<usize, u32> {
        self.send_in(space(), request, output)
    }

    fn ticks(&self) -> u64 {
        let mut out = [0u8; 8];
        let written = raw::call_code(self.0, IOCTL_SAMPLE_TICKS, &[], &mut out)
            .unwrap_or_else(|error| panic!("the sample's tick IOCTL failed: Win32 error {error}"));
        assert_eq!(written, 8, "the tick count is a 64-bit value");
        u64::from_le_bytes(out)
    }

    fn stats(&self) -> StatsReply {
        let mut out = [0u8; StatsReply::LEN];
        let written = self
            .send(
                &Request::QueryStats {
                    pid: std::process::id(),
                },
                &mut out,
            )
            .unwrap_or_else(|error| panic!("QUERY_STATS through the sample: Win32 error {error}"));
        StatsReply::parse(&out[..written]).expect("a stats reply")
    }
}

impl Drop for Sample {
    fn drop(&mut self) {
        raw::close(self.0);
    }
}

#[test]
fn its_own_ioctl_answers_and_its_timer_ticks() {
    let _serial = serial();
    let sample = Sample::open();
    let first = sample.ticks();
    // 2 Hz: three more ticks take 1.5 s; `eventually` gives up after 5 s.
    let later = eventually("the sample's tick count advances by 3", || {
        let now = sample.ticks();
        (now >= first + 3).then_some(now)
    });
    assert!(later >= first + 3);
    // Its own checks: an output buffer too small for the count is refused.
    let mut small = [0u8; 4];
    assert_eq!(
        raw::call_code(sample.0, IOCTL_SAMPLE_TICKS, &[], &mut small),
        Err(ERROR_INSUFFICIENT_BUFFER)
    );
}

#[test]
fn query_version_answers_through_its_space() {
    let _serial = serial();
    let sample = Sample::open();
    let mut out = [0u8; VersionReply::LEN];
    let written = sample
        .send(&Request::QueryVersion, &mut out)
        .unwrap_or_else(|error| panic!("QUERY_VERSION through the sample: Win32 error {error}"));
    let version = VersionReply::parse(&out[..written]).expect("a version reply");
    assert!(version.max_registrations > 0);
    // evshare_driver_init detected the host for the instance.
    assert_eq!(version.host, HostKind::Wine);
}

#[test]
fn evshare_sys_codes_are_refused_as_unknown() {
    let _serial = serial();
    let sample = Sample::open();
    for request in [Request::QueryVersion, Request::QueryStats { pid: 0 }] {
        let mut out = [0u8; StatsReply::LEN];
        assert_eq!(
            sample.send_in(IoctlSpace::EVSHARE, &request, &mut out),
            Err(ERROR_INVALID_FUNCTION),
            "{request:?} with evshare.sys's code (device type 0x8E5E) reached the sample"
        );
    }
    // And the other way: the sample's codes are unknown to evshare.sys.
    let evshare = raw::open_device(false);
    let mut input = [0u8; MAX_REQUEST_LEN];
    let (code, len) = encode(&Request::QueryVersion, &mut input).expect("encode");
    let sample_code = space().code_of(Ioctl::from_code(code).expect("an evshare code"));
    let mut out = [0u8; VersionReply::LEN];
    let refused = raw::call_code(evshare, sample_code, &input[..len], &mut out);
    raw::close(evshare);
    assert_eq!(refused, Err(ERROR_INVALID_FUNCTION));
}

#[test]
fn register_by_name_and_signal_work_through_its_space_and_go_with_the_handle() {
    let _serial = serial();
    let name = unique("sample-c");
    let wide: Vec<u16> = name.encode_utf16().chain([0]).collect();
    // SAFETY: an auto-reset event, not signalled, named by the NUL-terminated `wide`.
    let event = unsafe { CreateEventW(std::ptr::null(), 0, 0, wide.as_ptr()) };
    assert!(!event.is_null(), "create the event {name}");

    let sample = Sample::open();
    let live_before = sample.stats().live_registrations;
    let mut wire = [0u8; MAX_NAME_BYTES];
    let wire_len = name_to_wire(&name, &mut wire).expect("a valid name");
    let mut out = [0u8; RegisterReply::LEN];
    let written = sample
        .send(
            &Request::RegisterByName {
                mode: SignalMode::OnDemand,
                name_bytes: &wire[..wire_len],
            },
            &mut out,
        )
        .unwrap_or_else(|error| panic!("REGISTER_BY_NAME through the sample: Win32 error {error}"));
    let registered = RegisterReply::parse(&out[..written]).expect("a register reply");
    let stats = sample.stats();
    assert_eq!(stats.live_registrations, live_before + 1);
    assert_eq!(
        stats.live_for_pid, 1,
        "the sample counts this process's registration"
    );

    // The registration is the sample's instance's, not evshare.sys's.
    let evshare = common::driver();
    assert_eq!(
        evshare
            .stats(Some(std::process::id()))
            .unwrap()
            .live_for_pid,
        0,
        "evshare.sys saw a registration made through the sample"
    );

    let mut out = [0u8; SignalReply::LEN];
    let written = sample
        .send(&Request::Signal { id: registered.id }, &mut out)
        .unwrap_or_else(|error| panic!("SIGNAL through the sample: Win32 error {error}"));
    SignalReply::parse(&out[..written]).expect("a signal reply");
    // SAFETY: `event` is our open handle.
    let waited = unsafe { WaitForSingleObject(event, PATIENCE.as_millis() as u32) };
    assert_eq!(
        waited, WAIT_OBJECT_0,
        "the sample's SIGNAL did not reach {name}"
    );

    // Closing the handle (Wine: IRP_MJ_CLOSE) retires its registration.
    drop(sample);
    let after = Sample::open().stats();
    assert_eq!(
        after.live_registrations, 0,
        "a closed handle's registration lives on"
    );
    assert_eq!(after.live_for_pid, 0);
    // SAFETY: our handle, closed once.
    unsafe { CloseHandle(event) };
}
