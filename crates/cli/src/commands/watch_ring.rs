//! `evshare watch --ring`: create a ring, have the driver's timer produce one record per
//! period into it, and print each record and every gap (`Missed`) as it arrives, until Ctrl-C
//! or `--count` records; then the consumer's and the driver's totals, which must agree.

use std::time::{Duration, Instant};

use evshare::{
    interrupt_event, Event, Received, Record, Ring, RingOptions, SignalMode, WaitOutcome,
};

use super::output;
use super::{Device, Outcome};
use crate::args::WatchArgs;

/// Records in the ring when `--capacity` is not given.
const DEFAULT_CAPACITY: u32 = 1024;

/// `evshare watch --ring [--capacity N] [--period-ms MS] [--count N]`.
/// The driver is the one at `device`.
pub(crate) fn run(device: &Device<'_>, args: &WatchArgs) -> Outcome {
    let driver = device.open()?;
    let stop = interrupt_event()?;
    let period = Duration::from_millis(u64::from(args.period_ms));
    // Watermark 1: wake on every record. Watching is about seeing each record as it comes;
    // a deferred wake-up (the throughput setting) would show them in bursts.
    let options = RingOptions::new(args.capacity.unwrap_or(DEFAULT_CAPACITY))
        .mode(SignalMode::Periodic {
            period_ms: args.period_ms,
        })
        .watermark(1);
    let mut ring = driver.register_ring(&options)?;
    println!(
        "Watching ring #{} ({} records of 64 bytes in section `{}`): the driver produces one \
         record every {}. {}",
        ring.id(),
        ring.capacity(),
        ring.section_name(),
        output::duration(period),
        match args.count {
            Some(count) => format!("Stopping after {count} records or at Ctrl-C."),
            None => "Ctrl-C stops.".to_owned(),
        }
    );

    let started = Instant::now();
    let mut last = started;
    // Short enough to notice Ctrl-C promptly; the ring's own wait never spins forever.
    let poll = period.clamp(Duration::from_millis(10), Duration::from_millis(250));
    let interrupted = follow(&mut ring, stop, args.count, poll, "record", |record| {
        let now = Instant::now();
        println!(
            "record seq {:>6}  +{:>9}  at {}",
            record.seq,
            output::duration(now - last),
            output::duration(now - started)
        );
        last = now;
    })?;
    let info = ring.info()?;
    let consumer = ring.stats();
    ring.close()?;

    println!();
    println!(
        "{}: received {} and {} missed in {}; the driver wrote {}, dropped {}, woke us {} time(s)",
        if interrupted { "Ctrl-C" } else { "Done" },
        output::plural(consumer.received, "record", "records"),
        consumer.missed,
        output::duration(started.elapsed()),
        info.produced,
        info.dropped,
        info.wakeups
    );
    Ok(())
}

/// Receives from `ring` until `count` records (`None`: no limit), Ctrl-C (`stop`) or the driver
/// lets go of it, handing each record to `on_record` and printing every gap; `what` names a
/// record in those lines. Returns whether Ctrl-C ended it. `watch --ring` and
/// `watch --channel` both follow a ring this way.
pub(super) fn follow(
    ring: &mut Ring<'_>,
    stop: &Event,
    count: Option<u32>,
    poll: Duration,
    what: &str,
    mut on_record: impl FnMut(&Record),
) -> Result<bool, Box<dyn std::error::Error>> {
    let mut received = 0u32;
    loop {
        if count.is_some_and(|count| received >= count) {
            return Ok(false);
        }
        if stop.wait(Duration::ZERO)? == WaitOutcome::Signaled {
            return Ok(true);
        }
        match ring.recv(poll)? {
            Some(Received::Record(record)) => {
                received += 1;
                on_record(&record);
            }
            Some(Received::Missed { first_seq, count }) => {
                println!("missed {count} {what}(s) from seq {first_seq}: the ring was full");
            }
            Some(Received::Closed) => {
                println!("the driver let go of the ring");
                return Ok(false);
            }
            None => {}
        }
    }
}
