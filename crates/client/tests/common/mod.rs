//! Shared by the end-to-end tests: they need the real driver, installed and started (the
//! harness does it and sets `EVSHARE_E2E=1`). Without it they fail loudly, never skip.

#![allow(dead_code)] // each test binary uses its own subset

pub mod health;
pub mod objects;
pub mod raw;
pub mod sample;

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use evshare::{Driver, Event, EventKind, RejectReason, Scope, Share, StatsReply};

/// A wait long enough that only a broken driver reaches it; tests count, they never time.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// The period of the periodic registrations in the tests.
pub const PERIOD_MS: u32 = 20;

static SERIAL: Mutex<()> = Mutex::new(());

/// Serialises the tests of one binary, so counter deltas (rejected requests, live
/// registrations) are exact even without `--test-threads=1`.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Fails unless the harness said the driver is there (`EVSHARE_E2E=1`).
pub fn require_e2e() {
    if std::env::var("EVSHARE_E2E").as_deref() != Ok("1") {
        panic!(
            "end-to-end test without the driver: these tests need evshare.sys installed and \
             running and EVSHARE_E2E=1 (the xtask harness sets both up; by hand: \
             `evshare install`, `evshare start`, then `EVSHARE_E2E=1 cargo test --target \
             x86_64-pc-windows-gnu -p evshare -- --test-threads=1`)"
        );
    }
}

/// Opens the driver, or fails with the library's full explanation.
pub fn driver() -> Driver {
    require_e2e();
    Driver::open().unwrap_or_else(|error| panic!("cannot open the driver: {}", chain(&error)))
}

/// An event name no other test (or test process) uses.
pub fn unique(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("evshare-e2e-{}-{n}-{tag}", std::process::id())
}

/// The error's message and its `source()` chain on one line.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(" <- ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

/// A child process running one `#[ignore]`d test of this same test binary: the child side of
/// a test that needs a second process. The child entry is ignored so that a normal run never
/// counts it as a pass; it fails when started without the environment its parent gives it.
pub struct ChildTest {
    pub child: Child,
    pub lines: Lines<BufReader<ChildStdout>>,
}

impl ChildTest {
    /// Starts `entry` (an ignored test of this binary) with `env`, stdin and stdout piped.
    pub fn spawn(entry: &str, env: &[(&str, &str)]) -> ChildTest {
        ChildTest::try_spawn(entry, env).expect("start the child test process")
    }

    /// As [`ChildTest::spawn`], but a process that cannot be started is an error for the
    /// caller to weigh (Wine's `CreateProcess` now and then fails under load).
    pub fn try_spawn(entry: &str, env: &[(&str, &str)]) -> std::io::Result<ChildTest> {
        let mut command = Command::new(std::env::current_exe().expect("this test binary"));
        command
            .args([
                "--ignored",
                "--exact",
                entry,
                "--nocapture",
                "--test-threads=1",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn()?;
        let lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        Ok(ChildTest { child, lines })
    }

    /// The rest of the first line that contains `marker` (libtest may print `test x ... `
    /// without a newline before it); panics if the child ends first.
    pub fn expect_line(&mut self, marker: &str) -> String {
        for line in self.lines.by_ref().map_while(Result::ok) {
            if let Some(at) = line.find(marker) {
                return line[at + marker.len()..].trim().to_owned();
            }
        }
        panic!("the child ended without printing `{marker}`");
    }

    /// Tells the child to go on (a line on its stdin).
    pub fn send_go(&mut self) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().expect("piped stdin");
        stdin.write_all(b"go\n").expect("write to the child");
        stdin.flush().expect("flush the child's stdin");
    }

    /// Waits for the child to exit, successfully.
    pub fn wait_success(mut self) {
        drop(self.child.stdin.take());
        let status = self.child.wait().expect("wait for the child");
        assert!(status.success(), "the child failed: {status}");
    }

    /// Tells the child to go on and waits for it to exit successfully.
    pub fn finish(mut self) {
        self.send_go();
        self.wait_success();
    }
}

/// In a child entry: the value its parent passed in `var`. Fails (rather than passing) when
/// the entry is run on its own.
pub fn child_argument(var: &str, parent: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "this is the child side of `{parent}`, which runs it with {var} set; run `{parent}` \
             instead"
        )
    })
}

/// In a child entry: prints `marker value` for the parent and blocks until the parent says
/// go (a line on stdin).
pub fn report_and_wait(marker: &str, value: impl std::fmt::Display) {
    use std::io::Write;
    println!("{marker} {value}");
    std::io::stdout().flush().expect("flush stdout");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).expect("read stdin");
}

/// Asks `probe` until it returns `Some`, up to ~5 s (for effects that land a moment after the
/// event that causes them, such as a dead process's handles being closed).
pub fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(value) = probe() {
            return value;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what}: still not so after 5 s");
}

/// How each rejection counter moved between two stats replies, for the counters that did.
pub fn rejections_between(before: &StatsReply, after: &StatsReply) -> Vec<(RejectReason, u64)> {
    RejectReason::ALL
        .into_iter()
        .filter_map(|reason| {
            let moved = after.rejected_for(reason) - before.rejected_for(reason);
            (moved != 0).then_some((reason, moved))
        })
        .collect()
}

/// One share of each of the four methods, auto-reset: by the name of an event this process
/// created (`name`), by the handle of one it holds (`mine`), driver-created, and driver-named
/// with `leaf` in this session.
pub fn every_share<'a>(name: &'a str, mine: &'a Event, leaf: &'a str) -> [Share<'a>; 4] {
    [
        Share::ByName(name),
        Share::by_handle(mine),
        Share::DriverCreated {
            kind: EventKind::AutoReset,
        },
        Share::DriverNamed {
            leaf,
            scope: Scope::Session,
            kind: EventKind::AutoReset,
        },
    ]
}

/// A host's IOCTL space is unknown to evshare.sys: opening evshare.sys's device in `space`
/// fails at the version check, its first request, with `STATUS_INVALID_DEVICE_REQUEST`.
pub fn assert_unknown_to_evshare_sys(space: evshare::IoctlSpace, host: &str) {
    match Driver::open_in(evshare::DEFAULT_DEVICE_PATH, space) {
        Ok(_) => panic!("evshare.sys answered a request in {host}'s space"),
        Err(error) => {
            assert_eq!(
                error.status(),
                Some(evshare::NtStatus(
                    evshare_protocol::status::STATUS_INVALID_DEVICE_REQUEST
                )),
                "{}",
                chain(&error)
            );
            assert!(
                matches!(
                    error,
                    evshare::Error::DriverRejected {
                        operation: evshare_protocol::Ioctl::QueryVersion,
                        ..
                    }
                ),
                "{}",
                chain(&error)
            );
        }
    }
}

/// Sends every evshare request with evshare.sys's own code (well-formed where the protocol
/// allows) to `host`, a driver that put evshare in a space of its own, plus `own_unknown`, a
/// code of the host's own range it does not define: each must be refused with
/// `STATUS_INVALID_DEVICE_REQUEST`. Returns how many were sent.
pub fn evshare_sys_codes_refused_by(host: &Driver, own_unknown: u32) -> u64 {
    use evshare_protocol::request::{encode, MAX_REQUEST_LEN};
    use evshare_protocol::{Ioctl, Request};
    let well_formed = |request: &Request<'_>| {
        let mut out = [0u8; MAX_REQUEST_LEN];
        let (_, len) = encode(request, &mut out).expect("encode");
        out[..len].to_vec()
    };
    let refused = Err(evshare::NtStatus(
        evshare_protocol::status::STATUS_INVALID_DEVICE_REQUEST,
    ));
    for ioctl in Ioctl::ALL {
        let input = match ioctl {
            Ioctl::QueryVersion => well_formed(&Request::QueryVersion),
            Ioctl::QueryStats => well_formed(&Request::QueryStats { pid: 0 }),
            Ioctl::PendNotification => well_formed(&Request::PendNotification),
            _ => Vec::new(),
        };
        let mut reply = [0u8; 512];
        assert_eq!(
            host.raw_ioctl(ioctl.code(), &input, &mut reply),
            refused,
            "{ioctl} with evshare.sys's code (device type 0x8E5E)"
        );
    }
    assert_eq!(
        host.raw_ioctl(own_unknown, &[], &mut [0u8; 8]),
        refused,
        "an undefined code of the host's own range"
    );
    Ioctl::ALL.len() as u64 + 1
}

/// What a stats reply says that a request could have moved: live and total registrations,
/// signals, notifications and refusals (to show a request through one instance left another's
/// counters as they were).
pub fn footprint(stats: &StatsReply) -> (u32, u64, u64, u64, u64) {
    (
        stats.live_registrations,
        stats.registrations_total,
        stats.signals_sent,
        stats.notifications,
        stats.rejected.iter().sum(),
    )
}
