//! End to end, against the real driver: a bounded live fuzzer. 20,000 random and mutated
//! requests (100,000 with `EVSHARE_FUZZ_LONG=1`) — every IOCTL code of the protocol and unknown
//! ones, lengths that lie, random names and leaves, handles of every kind of object this
//! process can make, pseudo-handles and garbage — sent to the running driver through one
//! handle. Afterwards the driver still answers, every status it gave is one the protocol
//! defines, every reply it wrote parses, nothing it should not have signalled was signalled,
//! and nothing is left registered or open.
//!
//! The seed is fixed and printed (`EVSHARE_FUZZ_SEED=<n>` picks another); the run is
//! deterministic up to the driver's own timing (which ids are alive when).

#![cfg(windows)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::os::windows::io::{FromRawHandle, OwnedHandle, RawHandle};
use std::time::{Duration, Instant};

use common::objects;
use common::{driver, serial, unique};
use evshare::access::{READ_CONTROL, SYNCHRONIZE};
use evshare::{Driver, Event, Method, NamedMutex, NtStatus, ResetKind};
use evshare_protocol::ioctl::ctl_code;
use evshare_protocol::status::*;
use evshare_protocol::{
    HoldersReply, Ioctl, RegisterReply, RegistrationInfo, StatsReply, VersionReply,
};

/// The seed unless `EVSHARE_FUZZ_SEED` says otherwise.
const DEFAULT_SEED: u64 = 0x00E5_5A4E_F022_2026;

/// The statuses the protocol defines for the requests fuzzed here (`docs/protocol.md`,
/// "Statuses"), success included. Anything else is a finding.
const DEFINED: [u32; 20] = [
    STATUS_SUCCESS,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_BUFFER_SIZE,
    STATUS_BUFFER_TOO_SMALL,
    STATUS_REVISION_MISMATCH,
    STATUS_INVALID_PARAMETER,
    STATUS_OBJECT_NAME_INVALID,
    STATUS_NAME_TOO_LONG,
    STATUS_OBJECT_PATH_INVALID,
    STATUS_ACCESS_DENIED,
    STATUS_OBJECT_NAME_NOT_FOUND,
    STATUS_OBJECT_PATH_NOT_FOUND,
    STATUS_OBJECT_TYPE_MISMATCH,
    STATUS_NOT_FOUND,
    STATUS_QUOTA_EXCEEDED,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INVALID_HANDLE,
    STATUS_OBJECT_NAME_COLLISION,
    // Random periodic modes on up to 64 live registrations may pass the process's timer
    // budget.
    STATUS_EVSHARE_TIMER_BUDGET,
    STATUS_EVSHARE_PROCESS_REGISTRATIONS,
];

/// The IOCTLs of issues 2 and 4 (functions 0x800..=0x80A). Functions 0x80B..=0x80F belong to
/// the ring and the inverted call (issue 5) and are never sent: `PEND_NOTIFICATION` leaves the
/// request pending, which would block this synchronous handle.
fn fuzzed_ioctls() -> Vec<Ioctl> {
    Ioctl::ALL
        .into_iter()
        .filter(|ioctl| (0x800..=0x80A).contains(&ioctl.function()))
        .collect()
}

/// Keep at most this many registrations alive: the per-handle cap, so the cap is reached now
/// and then (and refused with `STATUS_QUOTA_EXCEEDED`) until fuzzed `UNREGISTER`s make room.
const MAX_LIVE: usize = 64;

/// splitmix64: small, fast, and the same sequence on every host.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// A handle value to send, and what it is.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    what: &'static str,
    value: u64,
    /// Whether the driver may accept it (an event handle with `EVENT_MODIFY_STATE`).
    acceptable: bool,
}

/// Everything the fuzzer names: objects of every kind (kept alive for the run), names and
/// leaves, and one event that must never be signalled.
struct Pool {
    handles: Vec<Candidate>,
    names: Vec<Vec<u16>>,
    leaves: Vec<Vec<u16>>,
    /// Manual-reset; only `SYNCHRONIZE`-only handles to it are ever sent, so any signal on it
    /// is a driver that set an event through a handle that may not.
    quiet: Event,
    _keep: Vec<Box<dyn std::any::Any>>,
}

fn units(text: &str) -> Vec<u16> {
    text.encode_utf16().collect()
}

impl Pool {
    fn new(session: u32) -> Pool {
        let auto = Event::new(ResetKind::Auto).unwrap();
        let manual = Event::new(ResetKind::Manual).unwrap();
        let quiet = Event::new(ResetKind::Manual).unwrap();
        let quiet_sync = quiet.duplicate(SYNCHRONIZE).unwrap();
        let quiet_read = quiet.duplicate(SYNCHRONIZE | READ_CONTROL).unwrap();
        let mutex = objects::mutex();
        let semaphore = objects::semaphore();
        let section = objects::section();
        let process = objects::process();
        let thread = objects::thread();
        let file = objects::file("fuzz");
        let named = unique("fuzz-named");
        let named_event = Event::create_auto_reset(&named).unwrap();
        let global = format!(r"Global\{}", unique("fuzz-global"));
        let global_event = Event::create_auto_reset(&global).unwrap();
        let mutex_name = unique("fuzz-mutex");
        let named_mutex = NamedMutex::create(&mutex_name).unwrap();

        let event = |what, event: &Event| Candidate {
            what,
            value: objects::value_of(event),
            acceptable: true,
        };
        let other = |what, value| Candidate {
            what,
            value,
            acceptable: false,
        };
        let mut handles = vec![
            event("event (auto-reset)", &auto),
            event("event (manual-reset)", &manual),
            event("named event", &named_event),
            other("event, SYNCHRONIZE only", objects::value_of(&quiet_sync)),
            other(
                "event, SYNCHRONIZE | READ_CONTROL",
                objects::value_of(&quiet_read),
            ),
            other("mutex", objects::value_of(&mutex)),
            other("named mutex", objects::value_of(&named_mutex)),
            other("semaphore", objects::value_of(&semaphore)),
            other("section", objects::value_of(&section)),
            other("process", objects::value_of(&process)),
            other("thread", objects::value_of(&thread)),
            other("file", objects::value_of(&file)),
        ];
        for value in objects::PSEUDO_HANDLES {
            handles.push(other("pseudo-handle", value));
        }
        for value in objects::GARBAGE_HANDLES {
            handles.push(other("garbage", value));
        }
        let names = vec![
            units(&named),
            units(&format!(r"Local\{named}")),
            units(&format!(r"\Sessions\{session}\BaseNamedObjects\{named}")),
            units(&global),
            units(&global.replace(r"Global\", r"\BaseNamedObjects\")),
            units(&mutex_name),
            units(&unique("fuzz-missing")),
            units(r"\Device\Null"),
            units(&format!(
                r"\Sessions\{}\BaseNamedObjects\{named}",
                session + 1
            )),
            units(&format!(
                r"\Sessions\{session}\BaseNamedObjects\Global\{named}"
            )),
            units(&format!(r"\BaseNamedObjects\..\{named}")),
            units(r"Global\.."),
            units(r"Global\"),
            units(&"x".repeat(200)),
            units(&"x".repeat(241)),
            vec![0xD800, 0x61],
            vec![0x61, 0, 0x62],
            units("ünïcödé-名前-🦀"),
            vec![],
        ];
        let leaves = vec![
            units("fuzz-a"),
            units("fuzz-b"),
            units(&format!("fuzz-{}", std::process::id())),
            units(".."),
            units("."),
            units(r"a\b"),
            units(&"y".repeat(64)),
            units(&"y".repeat(65)),
            vec![0xDFFF],
            vec![0x61, 0],
            vec![],
        ];
        let keep: Vec<Box<dyn std::any::Any>> = vec![
            Box::new(auto),
            Box::new(manual),
            Box::new(quiet_sync),
            Box::new(quiet_read),
            Box::new(mutex),
            Box::new(semaphore),
            Box::new(section),
            Box::new(process),
            Box::new(thread),
            Box::new(file),
            Box::new(named_event),
            Box::new(global_event),
            Box::new(named_mutex),
        ];
        Pool {
            handles,
            names,
            leaves,
            quiet,
            _keep: keep,
        }
    }
}

/// One request to send.
struct Sent {
    code: u32,
    input: Vec<u8>,
    output_len: usize,
    /// The handle a `REGISTER_BY_HANDLE` carries, as generated (before any mutation).
    handle: Option<Candidate>,
}

/// Builds requests: well-formed ones with random fields, mutations of those, and random
/// codes with random bytes.
struct Generator<'p> {
    rng: Rng,
    pool: &'p Pool,
    ioctls: Vec<Ioctl>,
    pid: u32,
}

impl Generator<'_> {
    fn mode(&mut self) -> (u32, u32) {
        match self.rng.below(8) {
            0..=3 => (0, 0),
            4 | 5 => (2, *self.rng.pick(&[0, 1, 10, 1000, 3_600_000])),
            6 => (1, *self.rng.pick(&[20, 50, 100, 1000, 3_600_000])),
            _ => (self.rng.next() as u32 % 4, self.rng.next() as u32),
        }
    }

    fn id(&mut self, live: &[u64]) -> u64 {
        if !live.is_empty() && self.rng.percent(60) {
            *self.rng.pick(live)
        } else if self.rng.percent(50) {
            *self.rng.pick(&[0, 1, u64::MAX, 1 << 32])
        } else {
            self.rng.next() % 100_000
        }
    }

    fn small(&mut self) -> u32 {
        if self.rng.percent(85) {
            self.rng.below(2) as u32
        } else {
            self.rng.next() as u32
        }
    }

    fn utf16(&mut self, from: &[Vec<u16>]) -> Vec<u8> {
        let name: Vec<u16> = if self.rng.percent(75) {
            self.rng.pick(from).clone()
        } else {
            let len = self.rng.below(80);
            (0..len)
                .map(|_| match self.rng.below(10) {
                    0 => self.rng.next() as u16,
                    1 => 0x5C,
                    _ => 0x61 + self.rng.below(26) as u16,
                })
                .collect()
        };
        name.iter().flat_map(|unit| unit.to_le_bytes()).collect()
    }

    /// A well-formed request of a random IOCTL (its fields may still be refused).
    fn valid(&mut self, live: &[u64]) -> Sent {
        let ioctl = *self.rng.pick(&self.ioctls);
        let mut input = Vec::with_capacity(64);
        input.extend_from_slice(&1u32.to_le_bytes());
        input.extend_from_slice(&0u32.to_le_bytes());
        let mut put = |value: u32| input.extend_from_slice(&value.to_le_bytes());
        let mut handle = None;
        match ioctl {
            Ioctl::RegisterByName => {
                let (kind, millis) = self.mode();
                let name = self.utf16(&self.pool.names.clone());
                put(kind);
                put(millis);
                put(name.len() as u32);
                input.extend_from_slice(&name);
            }
            Ioctl::SetSignalMode => {
                let id = self.id(live);
                let (kind, millis) = self.mode();
                input.extend_from_slice(&id.to_le_bytes());
                input.extend_from_slice(&kind.to_le_bytes());
                input.extend_from_slice(&millis.to_le_bytes());
            }
            Ioctl::Signal | Ioctl::Unregister | Ioctl::QueryRegistration => {
                let id = self.id(live);
                input.extend_from_slice(&id.to_le_bytes());
            }
            Ioctl::QueryStats => {
                let pid = *self.rng.pick(&[0, self.pid, 4, u32::MAX]);
                put(pid);
                put(0);
            }
            Ioctl::RegisterByHandle => {
                let mut candidate = *self.rng.pick(&self.pool.handles);
                if self.rng.percent(3) {
                    // High bits set over a real handle value: must not name that handle.
                    candidate.value |= 1 << (32 + self.rng.below(31));
                    candidate.what = "handle value with high bits set";
                }
                handle = Some(candidate);
                let (kind, millis) = self.mode();
                input.extend_from_slice(&candidate.value.to_le_bytes());
                input.extend_from_slice(&kind.to_le_bytes());
                input.extend_from_slice(&millis.to_le_bytes());
            }
            Ioctl::CreateEvent => {
                let kind = self.small();
                let reserved = if self.rng.percent(90) { 0 } else { 1 };
                let (mode, millis) = self.mode();
                put(kind);
                put(reserved);
                put(mode);
                put(millis);
            }
            Ioctl::CreateNamedEvent => {
                let kind = self.small();
                let scope = self.small();
                let (mode, millis) = self.mode();
                let leaf = self.utf16(&self.pool.leaves.clone());
                put(kind);
                put(scope);
                put(mode);
                put(millis);
                put(leaf.len() as u32);
                input.extend_from_slice(&leaf);
            }
            // QUERY_VERSION and QUERY_HOLDERS: the header is the whole request. (No other
            // IOCTL is picked.)
            _ => {}
        }
        Sent {
            code: ioctl.code(),
            output_len: self.output_len(ioctl.reply_len()),
            input,
            handle,
        }
    }

    /// A well-formed request, then one to three mutations: bit flips, random bytes, a cut, an
    /// extension, an interesting value over a field (lengths that lie, versions, kinds).
    fn mutated(&mut self, live: &[u64]) -> Sent {
        let mut sent = self.valid(live);
        let len = sent.input.len();
        for _ in 0..1 + self.rng.below(3) {
            let input = &mut sent.input;
            match self.rng.below(5) {
                0 if !input.is_empty() => {
                    let at = self.rng.below(input.len());
                    input[at] ^= 1 << self.rng.below(8);
                }
                1 if !input.is_empty() => {
                    let at = self.rng.below(input.len());
                    input[at] = self.rng.next() as u8;
                }
                2 => input.truncate(self.rng.below(len + 1)),
                3 => {
                    let extra_len = 1 + self.rng.below(16);
                    let extra = self.rng.bytes(extra_len);
                    input.extend_from_slice(&extra);
                }
                _ if input.len() >= 4 => {
                    let at = 4 * self.rng.below(input.len() / 4);
                    let value = *self.rng.pick(&[
                        0,
                        1,
                        2,
                        3,
                        0x7FFF_FFFF,
                        0x8000_0000,
                        u32::MAX,
                        len as u32,
                        len.saturating_sub(20) as u32 + 2,
                        len.saturating_sub(28) as u32 + 2,
                    ]);
                    input[at..at + 4].copy_from_slice(&value.to_le_bytes());
                }
                _ => {}
            }
        }
        // A mutated handle request says nothing certain about its handle any more.
        if let Some(candidate) = &mut sent.handle {
            candidate.acceptable = true;
            candidate.what = "mutated handle request";
        }
        sent
    }

    /// A random code (known functions with other access or method bits, unknown functions,
    /// other device types) with random bytes, sometimes behind a valid header.
    fn random(&mut self) -> Sent {
        let ioctl = *self.rng.pick(&self.ioctls);
        let code = match self.rng.below(5) {
            0 => ioctl.code(),
            1 => ctl_code(
                0x8E5E,
                ioctl.function(),
                self.rng.below(4) as u32,
                self.rng.below(4) as u32,
            ),
            2 => {
                let function = match self.rng.below(2) {
                    0 => self.rng.below(0x800) as u32,
                    _ => 0x810 + self.rng.below(0x1000 - 0x810) as u32,
                };
                ctl_code(0x8E5E, function, 0, self.rng.below(4) as u32)
            }
            3 => ctl_code(
                self.rng.next() as u32 & 0xFFFF,
                0x800 + self.rng.below(11) as u32,
                0,
                1,
            ),
            _ => {
                // Any 32-bit value, but never a code of functions 0x80B..=0x80F of our device.
                let code = self.rng.next() as u32;
                let ours = code >> 16 == 0x8E5E && (0x80B..=0x80F).contains(&((code >> 2) & 0xFFF));
                if ours {
                    code ^ 0x0001_0000
                } else {
                    code
                }
            }
        };
        let mut input = if self.rng.percent(50) {
            [1u32.to_le_bytes(), 0u32.to_le_bytes()].concat()
        } else {
            Vec::new()
        };
        let extra_len = self.rng.below(600);
        let extra = self.rng.bytes(extra_len);
        input.extend_from_slice(&extra);
        let known = Ioctl::from_code(code).map_or(64, Ioctl::reply_len);
        Sent {
            code,
            input,
            output_len: self.output_len(known),
            handle: None,
        }
    }

    fn output_len(&mut self, reply_len: usize) -> usize {
        match self.rng.below(20) {
            0 | 1 => 0,
            2 => reply_len.saturating_sub(1),
            3 => self.rng.below(1024),
            4 => 4096,
            _ => reply_len,
        }
    }

    fn next(&mut self, live: &[u64]) -> Sent {
        match self.rng.below(10) {
            0..=3 => self.valid(live),
            4..=7 => self.mutated(live),
            _ => self.random(),
        }
    }
}

/// What the run saw.
#[derive(Default)]
struct Figures {
    sent: u64,
    housekeeping: u64,
    statuses: BTreeMap<u32, u64>,
    successes: BTreeMap<&'static str, u64>,
    registered_by_method: BTreeMap<&'static str, u64>,
    findings: Vec<String>,
}

impl Figures {
    fn finding(&mut self, what: String) {
        if self.findings.len() < 50 {
            self.findings.push(what);
        }
    }
}

/// Sends one request and checks what came back; keeps `live` and `created` up to date.
fn send_and_check(
    driver: &Driver,
    sent: &Sent,
    live: &mut Vec<u64>,
    created: &mut HashMap<u64, OwnedHandle>,
    figures: &mut Figures,
) {
    let mut output = vec![0u8; sent.output_len];
    let result = driver.raw_ioctl(sent.code, &sent.input, &mut output);
    figures.sent += 1;
    let status = match result {
        Ok(_) => STATUS_SUCCESS,
        Err(NtStatus(status)) => status,
    };
    *figures.statuses.entry(status).or_default() += 1;
    if !DEFINED.contains(&status) {
        figures.finding(format!(
            "status {} not in the protocol: code {:#010x}, input {:02x?}, output {} bytes",
            NtStatus(status),
            sent.code,
            sent.input,
            sent.output_len
        ));
    }
    let Ok(written) = result else {
        return;
    };
    let Some(ioctl) = Ioctl::from_code(sent.code) else {
        figures.finding(format!(
            "unknown code {:#010x} succeeded: input {:02x?}",
            sent.code, sent.input
        ));
        return;
    };
    *figures.successes.entry(ioctl.name()).or_default() += 1;
    let reply = &output[..written];
    let malformed = match ioctl {
        Ioctl::QueryVersion => VersionReply::parse(reply).is_err(),
        Ioctl::QueryStats => StatsReply::parse(reply).is_err(),
        Ioctl::QueryRegistration => RegistrationInfo::parse(reply).is_err(),
        Ioctl::QueryHolders => HoldersReply::parse(reply).is_err(),
        Ioctl::Unregister => {
            let id = u64::from_le_bytes(sent.input[8..16].try_into().unwrap());
            live.retain(|&live_id| live_id != id);
            created.remove(&id);
            false
        }
        Ioctl::RegisterByName
        | Ioctl::RegisterByHandle
        | Ioctl::CreateEvent
        | Ioctl::CreateNamedEvent => match RegisterReply::parse(reply) {
            Ok(reply) => {
                live.push(reply.id);
                *figures
                    .registered_by_method
                    .entry(reply.method.label())
                    .or_default() += 1;
                if reply.method == Method::DriverHandle {
                    // SAFETY: the driver has just put this handle into our handle table for
                    // this request; nothing else here knows its value, so this is its only
                    // owner, and it is closed when the registration goes.
                    let handle =
                        unsafe { OwnedHandle::from_raw_handle(reply.handle as usize as RawHandle) };
                    created.insert(reply.id, handle);
                }
                if let Some(candidate) = sent.handle.filter(|c| !c.acceptable) {
                    figures.finding(format!(
                        "REGISTER_BY_HANDLE accepted {} {:#x} (registration #{}): input {:02x?}",
                        candidate.what, candidate.value, reply.id, sent.input
                    ));
                }
                false
            }
            Err(_) => true,
        },
        _ => false,
    };
    if malformed {
        figures.finding(format!(
            "{ioctl} succeeded with a malformed reply {:02x?}: input {:02x?}",
            reply, sent.input
        ));
    }
}

/// Unregisters `id` through the typed path's encoding; true if the driver knew it.
fn unregister(driver: &Driver, id: u64) -> Result<(), NtStatus> {
    let input = [
        1u32.to_le_bytes().as_slice(),
        &0u32.to_le_bytes(),
        &id.to_le_bytes(),
    ]
    .concat();
    driver
        .raw_ioctl(Ioctl::Unregister.code(), &input, &mut [])
        .map(|_| ())
}

#[test]
fn the_driver_survives_random_and_mutated_requests() {
    let _serial = serial();
    let long = std::env::var("EVSHARE_FUZZ_LONG").as_deref() == Ok("1");
    let requests: u64 = if long { 100_000 } else { 20_000 };
    let seed = std::env::var("EVSHARE_FUZZ_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    println!("fuzz: seed {seed} (EVSHARE_FUZZ_SEED={seed} replays it), {requests} requests");

    let observer = driver();
    let pid = std::process::id();
    // kernel32 opens the session's BaseNamedObjects directory on the first named object and
    // keeps that handle for good: open it now, so it is not counted as a leak.
    drop(Event::create_auto_reset(&unique("fuzz-warm-up")).unwrap());
    let handles_at_start = objects::open_handle_count();
    let stats_at_start = observer.stats(None).unwrap();
    let mut figures = Figures::default();
    let started = Instant::now();
    {
        let target = driver();
        let pool = Pool::new(target.session_id());
        let mut generator = Generator {
            rng: Rng(seed),
            pool: &pool,
            ioctls: fuzzed_ioctls(),
            pid,
        };
        let mut live: Vec<u64> = Vec::new();
        let mut created: HashMap<u64, OwnedHandle> = HashMap::new();
        while figures.sent < requests {
            let sent = generator.next(&live);
            send_and_check(&target, &sent, &mut live, &mut created, &mut figures);
            while live.len() > MAX_LIVE {
                let id = live.remove(0);
                created.remove(&id);
                figures.housekeeping += 1;
                if let Err(status) = unregister(&target, id) {
                    figures.finding(format!("unregistering live #{id} failed: {status}"));
                }
            }
        }
        let elapsed = started.elapsed();

        // Clean up what succeeded, and check the driver held exactly that.
        let held = observer.stats(Some(pid)).unwrap().live_for_pid;
        assert_eq!(
            held as usize,
            live.len(),
            "the driver holds other registrations than the ones it reported"
        );
        for id in live.drain(..) {
            figures.housekeeping += 1;
            created.remove(&id);
            if let Err(status) = unregister(&target, id) {
                figures.finding(format!(
                    "unregistering live #{id} at the end failed: {status}"
                ));
            }
        }
        assert_eq!(observer.stats(Some(pid)).unwrap().live_for_pid, 0);
        assert!(
            !pool.quiet.is_signaled().unwrap(),
            "the event only ever passed without EVENT_MODIFY_STATE was signalled"
        );

        // The driver still answers, and still works.
        target.version().unwrap();
        let name = unique("fuzz-after");
        let event = Event::create_auto_reset(&name).unwrap();
        let registration = target
            .register_by_name(&name, evshare::SignalMode::OnDemand)
            .unwrap();
        registration.signal().unwrap();
        assert_eq!(
            event.wait(common::PATIENCE).unwrap(),
            evshare::WaitOutcome::Signaled
        );
        registration.unregister().unwrap();

        print_figures(&figures, elapsed, seed);
    }
    // Everything closed: no registration of this process left, no handle of ours left open.
    let stats = observer.stats(Some(pid)).unwrap();
    let leaks = stats.live_for_pid;
    let handles_at_end = objects::open_handle_count();
    println!(
        "fuzz: leaks = {leaks} (live registrations of this process), handles {handles_at_start} \
         before, {handles_at_end} after; driver: {} live in all ({} before)",
        stats.live_registrations, stats_at_start.live_registrations
    );
    assert_eq!(leaks, 0);
    assert_eq!(stats.live_registrations, stats_at_start.live_registrations);
    assert_eq!(
        handles_at_end,
        handles_at_start,
        "handles leaked into this process: {:?}",
        objects::open_handles()
    );
    assert!(
        figures.findings.is_empty(),
        "{} findings:\n{}",
        figures.findings.len(),
        figures.findings.join("\n")
    );
}

fn print_figures(figures: &Figures, elapsed: Duration, seed: u64) {
    let per_request =
        elapsed / u32::try_from(figures.sent + figures.housekeeping).unwrap_or(u32::MAX);
    println!(
        "fuzz: seed {seed}: {} requests sent (+{} unregisters to keep at most {MAX_LIVE} alive) \
         in {:.1} s, {} µs each",
        figures.sent,
        figures.housekeeping,
        elapsed.as_secs_f64(),
        per_request.as_micros()
    );
    println!("fuzz: statuses seen:");
    for (status, count) in &figures.statuses {
        println!("  {:>7}  {}", count, NtStatus(*status));
    }
    println!("fuzz: successes by IOCTL: {:?}", figures.successes);
    println!(
        "fuzz: registrations by method: {:?}",
        figures.registered_by_method
    );
    println!("fuzz: findings: {}", figures.findings.len());
}
