//! [`Ring`]: the lossless shared-memory channel (SPEC "The ring, rule by rule"). The app
//! creates a named section and two auto-reset events, initialises the ring's header
//! ([`evshare_ring::Consumer::initialize`]) and hands all three to the driver
//! (`REGISTER_RING`); the driver produces records into it (from its timer DPC, or on
//! `PRODUCE`), and the app consumes them here.
//!
//! Nothing is lost silently: every record carries a sequence number from a counter that also
//! advances on drops, so a slow consumer is told exactly what it missed and where
//! ([`Received::Missed`]). Waiting is the consumer's bounded adaptive spin, then the
//! data-ready event, always with a timeout. When the driver lets go of the ring (unregistered,
//! the handle closed, the driver stopped) it poisons it and sets both events: the consumer
//! drains what is left, then sees [`Received::Closed`].
//!
//! The section is mapped with `MapViewOfFile`; see [`section`] for the raw calls.

mod section;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evshare_protocol::request::{name_to_wire, MAX_NAME_BYTES};
use evshare_protocol::ring::{check_capacity, check_watermark};
use evshare_protocol::{
    Ioctl, ProduceReply, ProtocolError, Request, RingInfo, RingReply, SignalMode,
};
use evshare_ring::layout::{required_len, RECORD_SIZE};
use evshare_ring::{
    Batch, Consumer, ConsumerStats, HeaderSnapshot, Item, PublishedTotals, Readiness, Record,
    Region, RingError, SpinPolicy, WaitStatus, Waiter,
};

use crate::device::{parse_reply, Driver};
use crate::error::{Error, NtStatus, ObjectKind, Result};
use crate::event::{Event, WaitOutcome};
use section::SharedSection;

/// Records [`Ring::recv`] takes out of the ring at a time (it hands them out one by one).
const RECV_BATCH: u32 = 256;

/// Section sizes are rounded up to whole pages when a guard is asked for.
const PAGE: usize = 4096;

/// How to make a [`Ring`]. [`RingOptions::new`] gives an on-demand ring (records only on
/// [`Ring::produce`]); the builder methods change the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingOptions {
    /// Records the ring holds: a power of two in 16..=1,048,576. One record is 64 bytes.
    pub capacity: u32,
    /// When the driver produces: [`SignalMode::Periodic`] is one record per tick of its timer;
    /// [`SignalMode::OnDemand`] only on `PRODUCE` ([`Ring::produce`]).
    pub mode: SignalMode,
    /// Unread records (1..=capacity) before the driver wakes a sleeping consumer; it wakes it
    /// anyway at the end of each `PRODUCE` and within about a millisecond. 1 wakes it for
    /// every record (lowest latency, most wake-ups).
    pub watermark: u32,
    /// How long [`Ring::wait`] polls before it sleeps on the data-ready event.
    pub spin: SpinPolicy,
    /// Bytes of guard after the ring, at least (0: none). The section is then rounded up to
    /// whole pages, the guard fills all of it after the ring with a pattern, and
    /// [`Ring::guard_intact`] tells whether anyone wrote there: for tests of the driver's
    /// promise never to write outside the ring.
    pub guard_bytes: usize,
}

impl RingOptions {
    /// An on-demand ring of `capacity` records, waking the consumer at a quarter full (or at
    /// the end of a batch), with the default spin and no guard.
    pub fn new(capacity: u32) -> RingOptions {
        RingOptions {
            capacity,
            mode: SignalMode::OnDemand,
            watermark: (capacity / 4).max(1),
            spin: SpinPolicy::DEFAULT,
            guard_bytes: 0,
        }
    }

    /// Sets [`mode`](Self::mode).
    pub fn mode(mut self, mode: SignalMode) -> RingOptions {
        self.mode = mode;
        self
    }

    /// Sets [`watermark`](Self::watermark).
    pub fn watermark(mut self, watermark: u32) -> RingOptions {
        self.watermark = watermark;
        self
    }

    /// Sets [`spin`](Self::spin).
    pub fn spin(mut self, spin: SpinPolicy) -> RingOptions {
        self.spin = spin;
        self
    }

    /// Sets [`guard_bytes`](Self::guard_bytes).
    pub fn guard_bytes(mut self, guard_bytes: usize) -> RingOptions {
        self.guard_bytes = guard_bytes;
        self
    }

    /// Checks what the protocol checks, before anything is created.
    fn validate(&self) -> Result<()> {
        let invalid = |source: ProtocolError| Error::InvalidRequest {
            operation: Ioctl::RegisterRing,
            source,
        };
        check_capacity(self.capacity).map_err(invalid)?;
        check_watermark(self.watermark, self.capacity).map_err(invalid)?;
        self.mode.validate().map_err(|source| Error::InvalidMode {
            mode: self.mode,
            source,
        })?;
        Ok(())
    }
}

/// One thing [`Ring::recv`] yields, in sequence order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// The next record.
    Record(Record),
    /// The driver dropped `count` records, from sequence number `first_seq` on, because the
    /// ring was full (or its consumer index was scribbled on): exactly what was lost, where.
    Missed {
        /// Sequence number of the first record lost.
        first_seq: u64,
        /// How many consecutive records were lost.
        count: u64,
    },
    /// The driver has let go of the ring (unregistered, its handle closed, the driver
    /// stopped) and everything it wrote has been received: nothing more will come. Every later
    /// call says `Closed` again.
    Closed,
}

impl From<Item<'_>> for Received {
    fn from(item: Item<'_>) -> Received {
        match item {
            Item::Record(record) => Received::Record(*record),
            Item::Missed { first_seq, count } => Received::Missed { first_seq, count },
        }
    }
}

/// The driver handle a ring was registered through: borrowed from the app, or its own.
#[derive(Clone, Debug)]
enum DriverRef<'d> {
    Borrowed(&'d Driver),
    Shared(Arc<Driver>),
}

impl DriverRef<'_> {
    fn get(&self) -> &Driver {
        match self {
            DriverRef::Borrowed(driver) => driver,
            DriverRef::Shared(driver) => driver,
        }
    }
}

/// A ring the driver produces into and this process consumes from.
///
/// Made by [`Driver::register_ring`] (the ring belongs to that handle, like any registration)
/// or [`Ring::open`] (with a device handle of its own: `'static`, to move to a consumer
/// thread). Dropping it unregisters it, then unmaps the section.
///
#[doc = "```no_run"]
/// use evshare::{Driver, Received, RingOptions};
/// use std::time::Duration;
/// # fn main() -> evshare::Result<()> {
/// let driver = Driver::open()?;
/// let mut ring = driver.register_ring(&RingOptions::new(1024))?;
/// ring.produce(10)?; // on demand: have the driver write 10 records now
/// while let Some(item) = ring.recv(Duration::from_millis(100))? {
///     match item {
///         Received::Record(record) => println!("record {}", record.seq),
///         Received::Missed { first_seq, count } => println!("lost {count} from {first_seq}"),
///         Received::Closed => break,
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Ring<'d> {
    /// `None` once [`close`](Self::close) let go of a handle of the ring's own.
    driver: Option<DriverRef<'d>>,
    id: u64,
    session_id: u32,
    capacity: u32,
    section_name: String,
    registered: bool,
    /// Poisoned and drained: [`Received::Closed`] from now on.
    closed: bool,
    /// Items [`recv`](Self::recv) took out of the ring and has not handed out yet.
    pending: VecDeque<Received>,
    /// Reads the ring; its region points into `section`, so it is declared (dropped) first.
    consumer: Consumer,
    data_ready: Event,
    space_free: Event,
    guard: std::ops::Range<usize>,
    section: SharedSection,
}

/// The driver-side requests about one ring (`PRODUCE`, `QUERY_RING`), detached from the
/// [`Ring`] so another thread can make the driver produce while this one consumes. It holds
/// the same driver handle as the ring (rings belong to the handle that registered them).
#[derive(Clone, Debug)]
pub struct RingControl<'d> {
    driver: DriverRef<'d>,
    id: u64,
}

impl Driver {
    /// Makes a ring of `options.capacity` records and registers it with the driver through
    /// this handle (`REGISTER_RING`): a new named section and two new auto-reset events in
    /// this session's namespace, the header initialised, then handed over. The ring belongs
    /// to this handle: closing it poisons the ring.
    pub fn register_ring(&self, options: &RingOptions) -> Result<Ring<'_>> {
        Ring::create(DriverRef::Borrowed(self), options)
    }
}

impl Ring<'static> {
    /// [`Driver::register_ring`] on a device handle of the ring's own ([`Driver::open`]): the
    /// ring is `'static` and can move to a consumer thread. [`close`](Ring::close) closes that
    /// handle (once every [`RingControl`] made from it is gone too), which has the driver
    /// poison the ring.
    pub fn open(options: &RingOptions) -> Result<Ring<'static>> {
        let driver = Arc::new(Driver::open()?);
        Ring::create(DriverRef::Shared(driver), options)
    }
}

impl<'d> Ring<'d> {
    fn create(driver: DriverRef<'d>, options: &RingOptions) -> Result<Ring<'d>> {
        options.validate()?;
        let capacity = options.capacity;
        let ring_len = required_len(capacity).map_err(|source| ring_failure("size", source))?;
        let section_len = if options.guard_bytes == 0 {
            ring_len
        } else {
            ring_len
                .checked_add(options.guard_bytes)
                .and_then(|len| len.checked_next_multiple_of(PAGE))
                .ok_or_else(|| {
                    Error::os(
                        "size the ring's section",
                        std::io::ErrorKind::InvalidInput.into(),
                    )
                })?
        };
        let base = unique_base_name();
        let section_name = base.clone();
        let section = create_section(&section_name, section_len)?;
        let guard = ring_len..section_len;
        section.fill_guard(guard.clone());
        // SAFETY: the view is `section_len >= ring_len` bytes, mapped read-write and
        // page-aligned (so 64-byte aligned) for as long as `section` lives; the ring keeps
        // `section` until after the consumer, and never hands out the region; in this process
        // the memory is touched only through the ring crate and `section`'s atomics.
        let region = unsafe { Region::from_raw(section.base().as_ptr(), ring_len) }
            .map_err(|source| ring_failure("map", source))?;
        let mut consumer = Consumer::initialize(region, capacity)
            .map_err(|source| ring_failure("initialise", source))?;
        consumer.set_spin_policy(options.spin);
        let data_ready = Event::create_auto_reset(&format!("{base}-data-ready"))?;
        let space_free = Event::create_auto_reset(&format!("{base}-space-free"))?;

        let reply = register(driver.get(), options, &base)?;
        let mut ring = Ring {
            driver: Some(driver),
            id: reply.id,
            session_id: reply.session_id,
            capacity,
            section_name,
            registered: true,
            closed: false,
            pending: VecDeque::new(),
            consumer,
            data_ready,
            space_free,
            guard,
            section,
        };
        if reply.capacity != capacity || reply.record_size as usize != RECORD_SIZE {
            // Dropping it unregisters it.
            ring.closed = true;
            return Err(Error::UnexpectedReply {
                operation: Ioctl::RegisterRing,
                what: "the ring's capacity or record size is not the one registered",
            });
        }
        Ok(ring)
    }

    /// The driver's id for this ring (a registration id, of method
    /// [`Method::Ring`](crate::Method::Ring)).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The caller's session as the driver saw it (the session the names were resolved in).
    pub fn session_id(&self) -> u32 {
        self.session_id
    }

    /// Records the ring holds.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// The name of the section (in this session's namespace); the events are called the same
    /// with `-data-ready` and `-space-free` after it.
    pub fn section_name(&self) -> &str {
        &self.section_name
    }

    /// The auto-reset event the driver sets when there is data for a sleeping consumer, to
    /// wait on together with other events ([`wait_any`](crate::wait_any)); after it fires,
    /// [`poll`](Self::poll). Waiting on it directly skips the consumer's handshake, so the
    /// driver only sets it for waits [`wait`](Self::wait) announced.
    pub fn data_ready(&self) -> &Event {
        &self.data_ready
    }

    /// The auto-reset event this ring sets when it frees space the driver asked for.
    pub fn space_free(&self) -> &Event {
        &self.space_free
    }

    /// The driver-side requests about this ring, for another thread.
    pub fn control(&self) -> Result<RingControl<'d>> {
        match &self.driver {
            Some(driver) if self.registered => Ok(RingControl {
                driver: driver.clone(),
                id: self.id,
            }),
            _ => Err(unknown_ring(self.id, Ioctl::Produce)),
        }
    }

    /// Has the driver produce `count` records (1..=1,000,000) now (`PRODUCE`); a full ring
    /// drops and counts, it never blocks. Returns this call's figures.
    pub fn produce(&self, count: u32) -> Result<ProduceReply> {
        self.control()?.produce(count)
    }

    /// The handle the ring was registered through, unless it was closed.
    pub(crate) fn driver(&self) -> Result<&Driver> {
        match &self.driver {
            Some(driver) if self.registered => Ok(driver.get()),
            _ => Err(unknown_ring(self.id, Ioctl::Subscribe)),
        }
    }

    /// What the driver knows about the ring (`QUERY_RING`): its totals, how often it found
    /// the consumer index impossible, whether it is poisoned.
    pub fn info(&self) -> Result<RingInfo> {
        self.control()
            .map_err(|_| unknown_ring(self.id, Ioctl::QueryRing))?
            .info()
    }

    /// Takes up to `max` records out of the ring without waiting, in order, each preceded by
    /// an [`Item::Missed`] for any gap before it, and sets the space-free event if the driver
    /// asked for it ([`Batch::signal_space_free`] says so). When the ring is empty it reports
    /// the drops after the last record, and [`Batch::closed`] once the ring is poisoned and
    /// drained.
    ///
    /// Fails if the driver's side of the header is impossible (see [`RingError`]).
    pub fn poll(&mut self, max: u32, on_item: impl FnMut(Item<'_>)) -> Result<Batch> {
        if self.closed {
            return Ok(Batch {
                closed: true,
                ..Batch::default()
            });
        }
        let batch = self
            .consumer
            .poll(max, on_item)
            .map_err(|source| ring_failure("read", source))?;
        if batch.signal_space_free {
            self.space_free.set()?;
        }
        if batch.closed {
            self.closed = true;
        }
        Ok(batch)
    }

    /// Waits until there is something to [`poll`](Self::poll) (records, a gap to report, a
    /// closed ring), or `timeout` passes: polls up to the adaptive spin budget, then flags
    /// itself waiting and sleeps on the data-ready event. `Ok(false)` on timeout.
    pub fn wait(&mut self, timeout: Duration) -> Result<bool> {
        if self.closed || !self.pending.is_empty() {
            return Ok(true);
        }
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let left = deadline.map_or(Duration::MAX, |deadline| {
                deadline.saturating_duration_since(Instant::now())
            });
            let waiter = DataReady {
                event: &self.data_ready,
                failure: std::cell::Cell::new(None),
            };
            let readiness = self.consumer.wait(&waiter, Some(left));
            if let Some(error) = waiter.failure.take() {
                return Err(error);
            }
            match readiness {
                Readiness::Ready => return Ok(true),
                Readiness::TimedOut if left.is_zero() => return Ok(false),
                Readiness::TimedOut => {
                    if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                        return Ok(false);
                    }
                }
            }
        }
    }

    /// [`poll`](Self::poll), waiting up to `timeout` for something to take: returns at once
    /// with what is there, or with the first thing to arrive; an empty batch (not
    /// [`closed`](Batch::closed)) means the timeout passed.
    pub fn recv_batch(
        &mut self,
        max: u32,
        timeout: Duration,
        mut on_item: impl FnMut(Item<'_>),
    ) -> Result<Batch> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let batch = self.poll(max, &mut on_item)?;
            if batch.records != 0 || batch.missed != 0 || batch.closed {
                return Ok(batch);
            }
            let left = deadline.map_or(Duration::MAX, |deadline| {
                deadline.saturating_duration_since(Instant::now())
            });
            if !self.wait(left)? {
                return Ok(batch);
            }
            // Something to poll, or a stale signal (then the next wait sleeps again).
        }
    }

    /// The next record, gap or [`Received::Closed`], waiting up to `timeout` for it; `None`
    /// if the timeout passed first.
    pub fn recv(&mut self, timeout: Duration) -> Result<Option<Received>> {
        if let Some(item) = self.pending.pop_front() {
            return Ok(Some(item));
        }
        if self.closed {
            return Ok(Some(Received::Closed));
        }
        let mut pending = std::mem::take(&mut self.pending);
        let batch = self.recv_batch(RECV_BATCH, timeout, |item| {
            pending.push_back(item.into());
        });
        self.pending = pending;
        let _batch = batch?;
        Ok(self
            .pending
            .pop_front()
            .or(self.closed.then_some(Received::Closed)))
    }

    /// Whether the driver has let go of the ring and everything it wrote was received.
    pub fn is_closed(&self) -> bool {
        self.closed && self.pending.is_empty()
    }

    /// The consumer's totals: records received, records reported missed, sleeps.
    pub fn stats(&self) -> ConsumerStats {
        self.consumer.stats()
    }

    /// The totals the driver publishes in the header, read now: every sequence number it
    /// used is `produced + dropped`; once the ring is drained, that equals received + missed.
    pub fn published_totals(&self) -> PublishedTotals {
        self.consumer.published_totals()
    }

    /// Every header field, read now (for diagnostics and tests).
    pub fn header(&self) -> HeaderSnapshot {
        self.consumer.region().snapshot()
    }

    /// Whether every guard byte after the ring ([`RingOptions::guard_bytes`]) still holds its
    /// pattern: `Err(offset)` of the first one that does not (an offset into the section).
    pub fn guard_intact(&self) -> std::result::Result<(), usize> {
        match self.section.first_guard_damage(self.guard.clone()) {
            Some(offset) => Err(offset),
            None => Ok(()),
        }
    }

    /// The bytes of guard after the ring (0 without one).
    pub fn guard_len(&self) -> usize {
        self.guard.len()
    }

    /// Ends the ring and keeps it readable: a ring on a borrowed [`Driver`] is unregistered
    /// (`UNREGISTER`); a ring with a handle of its own ([`Ring::open`]) lets go of that handle,
    /// which closes it once no [`RingControl`] holds it. Either way the driver poisons the
    /// ring and sets both events: [`recv`](Self::recv) drains what is left, then says
    /// [`Received::Closed`].
    pub fn close(&mut self) -> Result<()> {
        if !self.registered {
            return Ok(());
        }
        self.registered = false;
        match self.driver.take() {
            Some(DriverRef::Borrowed(driver)) => {
                self.driver = Some(DriverRef::Borrowed(driver));
                unregister(driver, self.id)
            }
            // Dropping the last reference closes the handle: the driver tears down every
            // registration of it, this ring included.
            Some(DriverRef::Shared(driver)) => {
                drop(driver);
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl Drop for Ring<'_> {
    fn drop(&mut self) {
        if self.registered {
            if let Some(driver) = &self.driver {
                // Best effort: the driver drops the ring anyway when its handle closes.
                let _ = unregister(driver.get(), self.id);
            }
        }
    }
}

impl<'d> RingControl<'d> {
    /// The ring's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// See [`Ring::produce`].
    pub fn produce(&self, count: u32) -> Result<ProduceReply> {
        let mut reply = [0u8; ProduceReply::LEN];
        let written = self
            .driver
            .get()
            .send(&Request::Produce { id: self.id, count }, &mut reply)
            .map_err(|failure| failure.into_error(Ioctl::Produce, Some(self.id)))?;
        parse_reply(Ioctl::Produce, &reply[..written], ProduceReply::parse)
    }

    /// See [`Ring::info`].
    pub fn info(&self) -> Result<RingInfo> {
        let mut reply = [0u8; RingInfo::LEN];
        let written = self
            .driver
            .get()
            .send(&Request::QueryRing { id: self.id }, &mut reply)
            .map_err(|failure| failure.into_error(Ioctl::QueryRing, Some(self.id)))?;
        let info = parse_reply(Ioctl::QueryRing, &reply[..written], RingInfo::parse)?;
        if info.id != self.id {
            return Err(Error::UnexpectedReply {
                operation: Ioctl::QueryRing,
                what: "the reply describes another ring",
            });
        }
        Ok(info)
    }
}

// A ring of its own handle moves to a consumer thread; its control is shared with producers.
const _: () = {
    const fn send<T: Send>() {}
    const fn sync<T: Sync>() {}
    send::<Ring<'static>>();
    send::<RingControl<'static>>();
    sync::<RingControl<'static>>();
};

/// The consumer's sleep on the data-ready event; a failed wait ends the sleep and is kept
/// for the caller.
struct DataReady<'a> {
    event: &'a Event,
    failure: std::cell::Cell<Option<Error>>,
}

impl Waiter for DataReady<'_> {
    fn wait(&self, timeout: Option<Duration>) -> WaitStatus {
        match self.event.wait(timeout.unwrap_or(Duration::MAX)) {
            Ok(WaitOutcome::Signaled) => WaitStatus::Signalled,
            Ok(WaitOutcome::TimedOut) => WaitStatus::TimedOut,
            Err(error) => {
                self.failure.set(Some(error));
                WaitStatus::TimedOut
            }
        }
    }
}

/// `evshare-ring-<pid>-<n>-<clock>`: no other ring of this or an earlier process uses it.
fn unique_base_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64);
    format!("evshare-ring-{}-{n}-{clock:x}", std::process::id())
}

fn create_section(name: &str, len: usize) -> Result<SharedSection> {
    let wide = crate::event::wide_name(name)?;
    match SharedSection::create(&wide, len) {
        Ok(Some(section)) => Ok(section),
        Ok(None) => Err(Error::NameTaken {
            name: name.to_owned(),
            kind: Some(ObjectKind::Section),
        }),
        Err(source) => Err(Error::os(
            format!("create the ring's section `{name}` ({len} bytes)"),
            source,
        )),
    }
}

/// `REGISTER_RING` with the section `base` and the events `base-data-ready` and
/// `base-space-free`.
fn register(driver: &Driver, options: &RingOptions, base: &str) -> Result<RingReply> {
    let section = base;
    let data_ready = format!("{base}-data-ready");
    let space_free = format!("{base}-space-free");
    let mut wires = [[0u8; MAX_NAME_BYTES]; 3];
    let mut lens = [0usize; 3];
    for ((name, wire), len) in [section, data_ready.as_str(), space_free.as_str()]
        .into_iter()
        .zip(&mut wires)
        .zip(&mut lens)
    {
        *len = name_to_wire(name, wire).map_err(|source| Error::InvalidRequest {
            operation: Ioctl::RegisterRing,
            source: source.into(),
        })?;
    }
    let [section_wire, data_wire, space_wire] = &wires;
    let message = Request::RegisterRing {
        capacity: options.capacity,
        mode: options.mode,
        watermark: options.watermark,
        section: &section_wire[..lens[0]],
        data_ready: &data_wire[..lens[1]],
        space_free: &space_wire[..lens[2]],
    };
    let mut reply = [0u8; RingReply::LEN];
    let written = driver
        .send(&message, &mut reply)
        .map_err(|failure| failure.into_error(Ioctl::RegisterRing, None))?;
    parse_reply(Ioctl::RegisterRing, &reply[..written], RingReply::parse)
}

fn unregister(driver: &Driver, id: u64) -> Result<()> {
    driver
        .send(&Request::Unregister { id }, &mut [])
        .map(|_| ())
        .map_err(|failure| failure.into_error(Ioctl::Unregister, Some(id)))
}

/// The error for a request about a ring this value no longer has a handle for: what the
/// driver answers for an id it does not know.
fn unknown_ring(id: u64, operation: Ioctl) -> Error {
    Error::UnknownRegistration {
        id,
        operation,
        status: NtStatus(evshare_protocol::status::STATUS_NOT_FOUND),
    }
}

/// A ring that cannot be used: its memory or header, or the driver's side of it, is wrong.
fn ring_failure(doing: &str, source: RingError) -> Error {
    Error::os(
        format!("{doing} the ring"),
        // `RingError` is `no_std`: its message (cause and fix) is what travels.
        std::io::Error::new(std::io::ErrorKind::InvalidData, source.to_string()),
    )
}
