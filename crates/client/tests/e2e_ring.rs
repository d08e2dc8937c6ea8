//! End-to-end tests of the ring channel (issue 5) against the real driver: a million records
//! through a small ring to a consumer that dawdles, every loss reported exactly; the periodic
//! producer (the timer DPC); a hostile app scribbling on the header while the driver
//! produces; teardown poisoning the ring; the bad ring headers of SPEC's list; and the
//! article's reader who hung after ~100,000 waits, as a signal/wait soak.
//!
//! Counts only, never timing: every timeout here is there only so that a broken driver fails
//! the test instead of hanging it.

#![cfg(windows)]

mod common;

use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{chain, driver, serial, unique, PATIENCE};
use evshare::ring_layout::{offsets, required_len, MAGIC, PAYLOAD_LEN, POISONED};
use evshare::{
    Driver, Event, EventKind, Item, Received, RejectReason, Ring, RingOptions, Share, SignalMode,
    WaitOutcome,
};
use evshare_protocol::status::{STATUS_INVALID_PARAMETER, STATUS_INVALID_VIEW_SIZE};
use evshare_protocol::Ioctl;

/// The payload the driver puts in record `seq`: its bytes, repeated.
fn payload(seq: u64) -> [u8; PAYLOAD_LEN] {
    let mut payload = [0u8; PAYLOAD_LEN];
    for (byte, source) in payload.iter_mut().zip(seq.to_le_bytes().iter().cycle()) {
        *byte = *source;
    }
    payload
}

/// What a consumer saw, checked as it went: records in sequence order with the right
/// payload, every gap reported exactly where it is.
#[derive(Debug, Default)]
struct Tally {
    next_seq: u64,
    received: u64,
    missed: u64,
    gaps: u64,
    bad: Vec<String>,
}

impl Tally {
    fn take(&mut self, item: Item<'_>) {
        match item {
            Item::Record(record) => {
                if record.seq != self.next_seq && self.bad.len() < 10 {
                    self.bad.push(format!(
                        "record {} where {} was next",
                        record.seq, self.next_seq
                    ));
                }
                if record.payload != payload(record.seq) && self.bad.len() < 10 {
                    self.bad
                        .push(format!("record {} has a wrong payload", record.seq));
                }
                self.next_seq = record.seq + 1;
                self.received += 1;
            }
            Item::Missed { first_seq, count } => {
                if (first_seq != self.next_seq || count == 0) && self.bad.len() < 10 {
                    self.bad.push(format!(
                        "missed {count} from {first_seq} where {} was next",
                        self.next_seq
                    ));
                }
                self.next_seq = first_seq + count;
                self.missed += count;
                self.gaps += 1;
            }
        }
    }

    fn take_received(&mut self, item: Received) {
        match item {
            Received::Record(record) => self.take(Item::Record(&record)),
            Received::Missed { first_seq, count } => self.take(Item::Missed { first_seq, count }),
            Received::Closed => self.bad.push("closed too early".to_owned()),
        }
    }

    fn assert_clean(&self) {
        assert!(self.bad.is_empty(), "the consumer saw: {:?}", self.bad);
    }
}

/// Consumes until `total` sequence numbers are accounted for (received or missed); fails if
/// nothing arrives for a long time.
fn drain_until(ring: &mut Ring<'_>, tally: &mut Tally, total: u64) {
    let mut quiet_since = Instant::now();
    while tally.received + tally.missed < total {
        let batch = ring
            .recv_batch(1024, PATIENCE, |item| tally.take(item))
            .unwrap_or_else(|error| panic!("receiving failed: {}", chain(&error)));
        assert!(!batch.closed, "the ring closed early: {tally:?}");
        if batch.records != 0 || batch.missed != 0 {
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() > 12 * PATIENCE {
            panic!(
                "nothing arrived for {} s with {} of {total} accounted for: {tally:?}, header {:?}",
                quiet_since.elapsed().as_secs(),
                tally.received + tally.missed,
                ring.header()
            );
        }
    }
}

#[test]
fn a_million_records_are_received_or_reported_missed_exactly() {
    let _serial = serial();
    let driver = driver();
    let stats_before = driver.stats(None).unwrap();
    let mut ring = driver
        .register_ring(&RingOptions::new(CAPACITY))
        .unwrap_or_else(|error| panic!("register the ring: {}", chain(&error)));
    const TOTAL: u64 = 1_000_000;
    const CHUNK: u32 = 1_000;
    const CAPACITY: u32 = 1024;
    let started = Instant::now();
    let control = ring.control().unwrap();
    let mut tally = Tally::default();
    let mut naps = 0;
    let (written, dropped) = std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let (mut written, mut dropped) = (0u64, 0u64);
            for _ in 0..TOTAL / u64::from(CHUNK) {
                let reply = control
                    .produce(CHUNK)
                    .unwrap_or_else(|error| panic!("PRODUCE: {}", chain(&error)));
                assert_eq!(reply.written + reply.dropped, u64::from(CHUNK), "{reply:?}");
                written += reply.written;
                dropped += reply.dropped;
            }
            (written, dropped)
        });
        // Small batches: the consumer publishes its position every 64 records, so the
        // producer sees room often and gaps fall all over the sequence.
        // The consumer dawdles: a nap every 100,000 sequence numbers, so the ring overflows
        // for a while (it overflows anyway: the producer is faster than this debug-built
        // consumer).
        let mut next_nap = 100_000;
        let mut quiet_since = Instant::now();
        while tally.received + tally.missed < TOTAL {
            let batch = ring
                .recv_batch(64, PATIENCE, |item| tally.take(item))
                .unwrap_or_else(|error| panic!("receiving failed: {}", chain(&error)));
            assert!(!batch.closed, "the ring closed early: {tally:?}");
            if batch.records != 0 || batch.missed != 0 {
                quiet_since = Instant::now();
            } else {
                assert!(
                    quiet_since.elapsed() < 12 * PATIENCE,
                    "nothing arrived for a minute: {tally:?}"
                );
            }
            if tally.received + tally.missed >= next_nap {
                next_nap += 100_000;
                naps += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        producer.join().expect("the producer thread")
    });
    tally.assert_clean();
    let info = ring.info().unwrap();
    let published = ring.published_totals();
    let stats = ring.stats();
    println!(
        "1,000,000 records through {CAPACITY}: received {}, missed {} in {} gaps; driver wrote \
         {written}, dropped {dropped}, {} wake-ups; consumer slept {} times ({} signalled), \
         {naps} naps, {} space-free signals; {:.2} s",
        tally.received,
        tally.missed,
        tally.gaps,
        info.wakeups,
        stats.sleeps,
        stats.signalled,
        stats.space_free_signals,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(written + dropped, TOTAL);
    assert_eq!(tally.received + tally.missed, TOTAL);
    assert_eq!(tally.received, written);
    assert_eq!(
        tally.missed, dropped,
        "every Missed range adds up to the drops"
    );
    assert_eq!((info.produced, info.dropped), (written, dropped));
    assert_eq!((published.produced, published.dropped), (written, dropped));
    assert_eq!(
        (stats.received, stats.missed),
        (tally.received, tally.missed)
    );
    assert_eq!(info.corrupt, 0);
    assert!(!info.poisoned);
    let stats_after = driver.stats(None).unwrap();
    assert_eq!(
        stats_after.ring_produced - stats_before.ring_produced,
        written
    );
    assert_eq!(
        stats_after.ring_dropped - stats_before.ring_dropped,
        dropped
    );
    assert_eq!(stats_after.live_rings, stats_before.live_rings + 1);
    drop(ring);
    assert_eq!(
        driver.stats(None).unwrap().live_rings,
        stats_before.live_rings
    );
}

#[test]
fn a_periodic_ring_delivers_through_the_timer_dpc() {
    let _serial = serial();
    let driver = driver();
    let options = RingOptions::new(64)
        .mode(SignalMode::Periodic { period_ms: 2 })
        .watermark(1);
    let mut ring = driver.register_ring(&options).unwrap();
    let mut tally = Tally::default();
    drain_until(&mut ring, &mut tally, 100);
    tally.assert_clean();
    let info = ring.info().unwrap();
    println!(
        "periodic ring: received {}, missed {}, driver produced {} and dropped {}, {} wake-ups",
        tally.received, tally.missed, info.produced, info.dropped, info.wakeups
    );
    assert!(info.produced >= tally.received);
    assert!(
        info.wakeups > 0,
        "a waiting consumer was never woken: {info:?}"
    );
    // The timer keeps producing until the ring is let go of; then the rest drains and the ring
    // says it is closed.
    ring.close().unwrap();
    let mut closed = false;
    while !closed {
        match ring.recv(PATIENCE).unwrap() {
            Some(Received::Closed) => closed = true,
            Some(item) => tally.take_received(item),
            None => panic!("the closed ring never said so: {:?}", ring.header()),
        }
    }
    tally.assert_clean();
    let published = ring.published_totals();
    assert_eq!(
        tally.received + tally.missed,
        published.produced + published.dropped
    );
    assert_eq!(tally.missed, published.dropped);
    assert_eq!(ring.recv(Duration::ZERO).unwrap(), Some(Received::Closed));
}

/// A second mapping of a ring's section, as a hostile app (or a bug) in the same session
/// would make: it writes header fields behind the consumer's back.
struct HostileView {
    base: *mut u8,
    _section: OwnedHandle,
}

impl HostileView {
    fn open(name: &str) -> HostileView {
        use windows_sys::Win32::System::Memory::{
            MapViewOfFile, OpenFileMappingW, FILE_MAP_READ, FILE_MAP_WRITE,
        };
        let wide: Vec<u16> = name.encode_utf16().chain([0]).collect();
        // SAFETY: `wide` is NUL-terminated and outlives the call.
        let raw = unsafe { OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE, 0, wide.as_ptr()) };
        assert!(
            !raw.is_null(),
            "open the section: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: a handle OpenFileMappingW just returned to us.
        let section = unsafe { OwnedHandle::from_raw_handle(raw) };
        // SAFETY: the section is open with read-write access; 0 bytes maps all of it.
        let view = unsafe {
            MapViewOfFile(
                section.as_raw_handle(),
                FILE_MAP_READ | FILE_MAP_WRITE,
                0,
                0,
                0,
            )
        };
        assert!(
            !view.Value.is_null(),
            "map: {}",
            std::io::Error::last_os_error()
        );
        HostileView {
            base: view.Value.cast(),
            _section: section,
        }
    }

    fn u64_at(&self, offset: usize) -> &AtomicU64 {
        // SAFETY: header offsets lie in the first page of the view, 8-byte aligned; the view
        // lives as long as `self`; the memory is shared, which atomics allow.
        unsafe { AtomicU64::from_ptr(self.base.wrapping_add(offset).cast()) }
    }

    fn u32_at(&self, offset: usize) -> &AtomicU32 {
        // SAFETY: as in `u64_at`, 4-byte aligned.
        unsafe { AtomicU32::from_ptr(self.base.wrapping_add(offset).cast()) }
    }
}

impl Drop for HostileView {
    fn drop(&mut self) {
        use windows_sys::Win32::System::Memory::{UnmapViewOfFile, MEMORY_MAPPED_VIEW_ADDRESS};
        // SAFETY: the address MapViewOfFile returned; nothing uses it after this.
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: self.base.cast(),
            })
        };
    }
}

/// A small xorshift generator: reproducible scribbles.
struct Scribbles(u64);

impl Scribbles {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn a_hostile_app_scribbling_on_the_header_harms_only_its_own_ring() {
    let _serial = serial();
    let driver = driver();
    let other = Driver::open().unwrap();
    let bystander = other
        .register(
            Share::DriverCreated {
                kind: EventKind::AutoReset,
            },
            SignalMode::OnDemand,
        )
        .unwrap();
    let bystander_signals = AtomicU64::new(0);
    let bystander_is_served = || {
        bystander.signal().unwrap();
        assert_eq!(bystander.wait(PATIENCE).unwrap(), WaitOutcome::Signaled);
        bystander_signals.fetch_add(1, Ordering::Relaxed);
    };
    const CAPACITY: u32 = 64;
    let mut ring = driver
        .register_ring(&RingOptions::new(CAPACITY).guard_bytes(8192))
        .unwrap();
    assert!(ring.guard_len() >= 8192);
    let stats_before = driver.stats(None).unwrap();
    let hostile = HostileView::open(ring.section_name());
    let read = hostile.u64_at(offsets::READ);

    // A clean start: 50 records, all received.
    let mut tally = Tally::default();
    ring.produce(50).unwrap();
    drain_until(&mut ring, &mut tally, 50);
    let true_read = read.load(Ordering::Relaxed);
    assert_eq!(true_read, 50);

    // One scribble at a time, each then produced against: impossible indices are dropped and
    // counted, never believed.
    let mut random = Scribbles(0x9E37_79B9_7F4A_7C15);
    let write = || ring.header().write;
    let mut impossible: Vec<(&str, u64)> = vec![
        ("far ahead", write().wrapping_add(1 << 40)),
        ("just ahead", write() + 1),
        (
            "behind by more than the capacity",
            write().wrapping_sub(2 * u64::from(CAPACITY) + 5),
        ),
        ("top bit flipped", write() ^ (1 << 63)),
    ];
    for _ in 0..4 {
        impossible.push(("random", random.next()));
    }
    let mut corrupt_seen = ring.info().unwrap().corrupt;
    let (mut asked, mut written, mut dropped) = (50u64, 50u64, 0u64);
    for (what, value) in impossible {
        let used = write().wrapping_sub(value);
        assert!(
            used > u64::from(CAPACITY),
            "{what}: {value} is a possible index"
        );
        read.store(value, Ordering::Relaxed);
        let reply = ring.produce(100).unwrap();
        asked += 100;
        written += reply.written;
        dropped += reply.dropped;
        assert_eq!(
            (reply.written, reply.dropped),
            (0, 100),
            "{what}: {reply:?}"
        );
        let info = ring.info().unwrap();
        assert!(info.corrupt > corrupt_seen, "{what}: not counted: {info:?}");
        corrupt_seen = info.corrupt;
        bystander_is_served();
        assert_eq!(ring.guard_intact(), Ok(()), "{what}");
    }

    // Then everything at once, while a second thread makes the driver produce.
    let identity = [
        (
            offsets::MAGIC,
            hostile.u64_at(offsets::MAGIC).load(Ordering::Relaxed),
        ),
        (
            offsets::CAPACITY,
            u64::from(hostile.u32_at(offsets::CAPACITY).load(Ordering::Relaxed)),
        ),
    ];
    let control = ring.control().unwrap();
    // The producer makes 30 calls of 1,000; the scribbling goes on until it is done.
    let done = AtomicBool::new(false);
    let mut scribbles = 0u64;
    let (asked_busy, written_busy, dropped_busy) = std::thread::scope(|scope| {
        let producer = scope.spawn(|| {
            let (mut asked, mut written, mut dropped) = (0u64, 0u64, 0u64);
            for _ in 0..30 {
                let reply = control
                    .produce(1000)
                    .unwrap_or_else(|error| panic!("PRODUCE under scribbling: {}", chain(&error)));
                assert_eq!(reply.written + reply.dropped, 1000);
                asked += 1000;
                written += reply.written;
                dropped += reply.dropped;
            }
            done.store(true, Ordering::Relaxed);
            (asked, written, dropped)
        });
        let current = || ring.header().write;
        let mut round = 0u64;
        while !done.load(Ordering::Relaxed) {
            round += 1;
            let value = match round % 4 {
                0 => current().wrapping_add(1 << 20 | random.next() >> 44),
                1 => current().wrapping_sub(u64::from(CAPACITY) + 1 + (random.next() >> 44)),
                _ => random.next(),
            };
            if current().wrapping_sub(value) <= u64::from(CAPACITY) {
                continue; // possible after all: not a scribble
            }
            read.store(value, Ordering::Relaxed);
            hostile
                .u32_at(offsets::CAPACITY)
                .store(random.next() as u32, Ordering::Relaxed);
            hostile
                .u64_at(offsets::MAGIC)
                .store(random.next(), Ordering::Relaxed);
            hostile
                .u32_at(offsets::CONSUMER_WAITING)
                .store(random.next() as u32, Ordering::Relaxed);
            scribbles += 1;
            if round.is_multiple_of(200) {
                bystander_is_served();
            }
        }
        producer.join().expect("the producer thread")
    });
    asked += asked_busy;
    written += written_busy;
    dropped += dropped_busy;
    assert_eq!(ring.guard_intact(), Ok(()));
    assert_eq!(written_busy, 0, "the driver believed a scribbled index");
    let info = ring.info().unwrap();
    assert!(info.corrupt > corrupt_seen, "{info:?}");

    // Put the header back: the ring works again, and every drop during the scribbling is
    // reported as missed, exactly.
    read.store(true_read, Ordering::Relaxed);
    hostile
        .u32_at(offsets::CONSUMER_WAITING)
        .store(0, Ordering::Relaxed);
    for (offset, value) in identity {
        if offset == offsets::MAGIC {
            hostile.u64_at(offset).store(value, Ordering::Relaxed);
        } else {
            hostile
                .u32_at(offset)
                .store(value as u32, Ordering::Relaxed);
        }
    }
    let reply = ring.produce(10).unwrap();
    asked += 10;
    written += reply.written;
    dropped += reply.dropped;
    assert_eq!(
        reply.written, 10,
        "the repaired ring still refuses: {reply:?}"
    );
    drain_until(&mut ring, &mut tally, asked);
    tally.assert_clean();
    let info = ring.info().unwrap();
    let stats_after = driver.stats(None).unwrap();
    println!(
        "hostile header: {asked} asked, {written} written, {dropped} dropped, {scribbles} \
         scribbles, corrupt counted {} times; consumer received {}, missed {} in {} gaps; \
         bystander signalled {} times; guard of {} bytes intact",
        info.corrupt,
        tally.received,
        tally.missed,
        tally.gaps,
        bystander_signals.load(Ordering::Relaxed),
        ring.guard_len()
    );
    assert_eq!((info.produced, info.dropped), (written, dropped));
    assert_eq!((tally.received, tally.missed), (written, dropped));
    assert!(stats_after.ring_corrupt - stats_before.ring_corrupt >= info.corrupt);
    assert_eq!(ring.guard_intact(), Ok(()));
    bystander_is_served();
    assert_eq!(
        bystander.info().unwrap().signals_sent,
        bystander_signals.load(Ordering::Relaxed)
    );
}

#[test]
fn unregistering_poisons_the_ring_and_sets_both_events() {
    let _serial = serial();
    let driver = driver();
    let live_before = driver.stats(None).unwrap().live_rings;
    let mut ring = driver.register_ring(&RingOptions::new(64)).unwrap();
    assert_eq!(ring.produce(10).unwrap().written, 10);
    ring.close().unwrap();
    assert_eq!(driver.stats(None).unwrap().live_rings, live_before);
    assert_ne!(ring.header().state & POISONED, 0);
    // Nobody waited, so only the teardown set them.
    assert!(
        ring.data_ready().is_signaled().unwrap(),
        "data-ready was not set"
    );
    assert!(
        ring.space_free().is_signaled().unwrap(),
        "space-free was not set"
    );
    expect_ten_then_closed(&mut ring);
}

#[test]
fn closing_the_handle_poisons_the_ring_and_sets_both_events() {
    let _serial = serial();
    let driver = driver();
    let live_before = driver.stats(None).unwrap().live_rings;
    let mut ring = Ring::open(&RingOptions::new(64)).unwrap();
    assert_eq!(driver.stats(None).unwrap().live_rings, live_before + 1);
    assert_eq!(ring.produce(10).unwrap().written, 10);
    ring.close().unwrap();
    // The handle's teardown runs when the driver sees it closed: wait for its signals.
    assert_eq!(
        ring.data_ready().wait(PATIENCE).unwrap(),
        WaitOutcome::Signaled
    );
    assert_eq!(
        ring.space_free().wait(PATIENCE).unwrap(),
        WaitOutcome::Signaled
    );
    assert_ne!(ring.header().state & POISONED, 0);
    common::eventually("the closed handle's ring is gone", || {
        (driver.stats(None).unwrap().live_rings == live_before).then_some(())
    });
    expect_ten_then_closed(&mut ring);
    assert!(ring.produce(1).is_err(), "a closed ring still produces");
}

fn expect_ten_then_closed(ring: &mut Ring<'_>) {
    let mut tally = Tally::default();
    loop {
        match ring.recv(PATIENCE).unwrap() {
            Some(Received::Closed) => break,
            Some(item) => tally.take_received(item),
            None => panic!(
                "the poisoned ring never said it was closed: {:?}",
                ring.header()
            ),
        }
    }
    tally.assert_clean();
    assert_eq!((tally.received, tally.missed), (10, 0));
    assert!(ring.is_closed());
    assert_eq!(ring.recv(Duration::ZERO).unwrap(), Some(Received::Closed));
}

/// A section and two events made by hand, to register rings the library would never make.
struct HandMadeRing {
    name: String,
    view: HostileView,
    _section: OwnedHandle,
    _events: [Event; 2],
}

impl HandMadeRing {
    /// A section of `len` bytes with a valid header for `capacity` records (when it fits).
    fn new(tag: &str, len: usize, capacity: u32) -> HandMadeRing {
        use windows_sys::Win32::System::Memory::PAGE_READWRITE;
        let name = unique(tag);
        let section = common::raw::create_section(&name, len, PAGE_READWRITE);
        let view = HostileView::open(&name);
        view.u32_at(offsets::VERSION).store(1, Ordering::Relaxed);
        view.u32_at(offsets::HEADER_LEN)
            .store(256, Ordering::Relaxed);
        view.u32_at(offsets::RECORD_SIZE)
            .store(64, Ordering::Relaxed);
        view.u32_at(offsets::CAPACITY)
            .store(capacity, Ordering::Relaxed);
        view.u64_at(offsets::MAGIC).store(MAGIC, Ordering::Relaxed);
        let events = [
            Event::create_auto_reset(&format!("{name}-data")).unwrap(),
            Event::create_auto_reset(&format!("{name}-space")).unwrap(),
        ];
        HandMadeRing {
            name,
            view,
            _section: section,
            _events: events,
        }
    }

    /// `REGISTER_RING` declaring `capacity`, raw: the driver's status.
    fn register(&self, driver: &Driver, capacity: u32) -> Result<u64, u32> {
        common::raw::register_ring(driver, &self.name, capacity)
    }
}

#[test]
fn bad_ring_headers_and_sizes_are_refused_and_counted() {
    let _serial = serial();
    let driver = driver();
    let ring_len = required_len(16).unwrap();
    type Spoil = fn(&HostileView);
    let cases: [(&str, usize, u32, Spoil, u32); 6] = [
        (
            "bad magic",
            ring_len,
            16,
            |view| {
                view.u64_at(offsets::MAGIC)
                    .store(0x0123_4567, Ordering::Relaxed)
            },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "bad version",
            ring_len,
            16,
            |view| view.u32_at(offsets::VERSION).store(2, Ordering::Relaxed),
            STATUS_INVALID_PARAMETER,
        ),
        (
            "bad header length",
            ring_len,
            16,
            |view| {
                view.u32_at(offsets::HEADER_LEN)
                    .store(128, Ordering::Relaxed)
            },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "bad record size",
            ring_len,
            16,
            |view| {
                view.u32_at(offsets::RECORD_SIZE)
                    .store(32, Ordering::Relaxed)
            },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "capacity not the one declared",
            ring_len,
            16,
            |view| view.u32_at(offsets::CAPACITY).store(32, Ordering::Relaxed),
            STATUS_INVALID_PARAMETER,
        ),
        // 1024 records need 64 KiB + 256 bytes; the section has one page.
        (
            "section too small",
            4096,
            1024,
            |_| {},
            STATUS_INVALID_VIEW_SIZE,
        ),
    ];
    for (what, len, capacity, spoil, expected) in cases {
        let before = driver.stats(None).unwrap();
        let hand_made = HandMadeRing::new("bad-ring", len, capacity);
        spoil(&hand_made.view);
        let result = hand_made.register(&driver, capacity);
        let after = driver.stats(None).unwrap();
        assert_eq!(result, Err(expected), "{what}");
        assert_eq!(
            common::rejections_between(&before, &after),
            vec![(RejectReason::BadRing, 1)],
            "{what}"
        );
        assert_eq!(after.live_rings, before.live_rings, "{what}");
    }
    // And the same hand-made ring, unspoilt, is accepted: the refusals were for the header.
    let hand_made = HandMadeRing::new("good-ring", ring_len, 16);
    let id = hand_made
        .register(&driver, 16)
        .expect("a valid hand-made ring");
    let unregister = [
        [1u32.to_le_bytes(), 0u32.to_le_bytes()].concat(),
        id.to_le_bytes().to_vec(),
    ]
    .concat();
    driver
        .raw_ioctl(Ioctl::Unregister.code(), &unregister, &mut [])
        .unwrap();
}

/// The article's reader whose waiter hung after about 100,000 iterations (a reset/set race):
/// `iterations` on-demand signals, each waited for on an auto-reset event; every wake-up is
/// accounted for.
fn signal_and_wait(iterations: u64) {
    let driver = driver();
    let registration = driver
        .register(
            Share::DriverCreated {
                kind: EventKind::AutoReset,
            },
            SignalMode::OnDemand,
        )
        .unwrap();
    let started = Instant::now();
    let mut waits = 0u64;
    for iteration in 0..iterations {
        registration
            .signal()
            .unwrap_or_else(|error| panic!("signal {iteration}: {}", chain(&error)));
        match registration.wait(PATIENCE).unwrap() {
            WaitOutcome::Signaled => waits += 1,
            WaitOutcome::TimedOut => panic!("wait {iteration} never woke (after {waits} waits)"),
        }
    }
    let elapsed = started.elapsed();
    // No signal left over: each one woke exactly one wait.
    assert_eq!(
        registration.wait(Duration::ZERO).unwrap(),
        WaitOutcome::TimedOut
    );
    let sent = registration.info().unwrap().signals_sent;
    println!(
        "signal/wait: {iterations} iterations, {waits} waits, {sent} signals sent, {:.1} s",
        elapsed.as_secs_f64()
    );
    assert_eq!(sent, waits);
    assert_eq!(waits, iterations);
}

/// 100,000 by default: under Wine 8.0 here they take about 4 s (one signal and one wait are a
/// few wineserver round trips each).
#[test]
fn a_hundred_thousand_signals_each_wake_one_wait() {
    let _serial = serial();
    signal_and_wait(100_000);
}

/// Ten times longer, for the harness's `--soak` step.
#[test]
#[ignore = "soak: run with EVSHARE_SOAK=1 (`cargo xtask test --soak`)"]
fn signal_wait_soak_a_million_iterations() {
    let _serial = serial();
    assert_eq!(
        std::env::var("EVSHARE_SOAK").as_deref(),
        Ok("1"),
        "a soak test: run it with EVSHARE_SOAK=1"
    );
    signal_and_wait(1_000_000);
}
