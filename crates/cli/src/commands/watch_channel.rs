//! `evshare watch --channel NAME`: subscribe to one of the host driver's channels and print
//! each payload (or, for a channel whose payloads do not fit a ring record, each signal) as it
//! arrives, until Ctrl-C or `--count`; then what was received against what the driver says it
//! published, with the losses counted.

use std::time::{Duration, Instant};

use evshare::{
    channel_payload, interrupt_event, wait_any, ChannelInfo, Driver, EventKind, RingOptions, Share,
    SignalMode,
};

use super::output;
use super::{Device, Outcome};
use crate::args::WatchArgs;

/// The longest payload a ring record carries (`evshare_protocol::channel::MAX_RING_PAYLOAD`).
const MAX_RING_PAYLOAD: u32 = 46;

/// Records in the ring when `--capacity` is not given.
const DEFAULT_CAPACITY: u32 = 1024;

/// `evshare watch --channel NAME [--capacity N] [--count N]`, on the driver at `device`.
pub(crate) fn run(device: &Device<'_>, name: &str, args: &WatchArgs) -> Outcome {
    let driver = device.open()?;
    let channel = driver.channel(name)?;
    if channel.max_payload <= MAX_RING_PAYLOAD {
        payloads(&driver, &channel, args)
    } else {
        signals(&driver, &channel, args)
    }
}

/// A payload as text when it is printable ASCII, else as hex.
fn show(payload: &[u8]) -> String {
    if !payload.is_empty() && payload.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{:?}", String::from_utf8_lossy(payload))
    } else {
        payload
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A ring subscribed to the channel: every payload, every gap.
fn payloads(driver: &Driver, channel: &ChannelInfo, args: &WatchArgs) -> Outcome {
    let stop = interrupt_event()?;
    let options = RingOptions::new(args.capacity.unwrap_or(DEFAULT_CAPACITY))
        .mode(SignalMode::OnDemand)
        .watermark(1);
    let mut ring = driver.register_ring(&options)?;
    ring.subscribe(channel)?;
    println!(
        "Watching channel {:?} (#{}, payloads up to {} bytes) through ring #{}. {}",
        channel.name,
        channel.index,
        channel.max_payload,
        ring.id(),
        stop_note(args.count, "payloads")
    );
    let started = Instant::now();
    let poll = Duration::from_millis(100);
    let interrupted =
        super::watch_ring::follow(&mut ring, stop, args.count, poll, "payload", |record| {
            let text = channel_payload(&record.payload)
                .map(show)
                .unwrap_or_else(|| "(not a channel record)".to_owned());
            println!(
                "payload {:>6}  at {:>9}  {}",
                record.seq,
                output::duration(started.elapsed()),
                text
            );
        })?;
    let info = ring.info()?;
    let consumer = ring.stats();
    ring.close()?;
    println!();
    println!(
        "{}: received {}, {} missed; the driver wrote {} and dropped {} for this ring",
        if interrupted { "Ctrl-C" } else { "Done" },
        output::plural(consumer.received, "payload", "payloads"),
        consumer.missed,
        info.produced,
        info.dropped
    );
    Ok(())
}

/// An event subscribed to the channel: one signal per payload (signals of payloads published
/// before the previous one was seen coalesce).
fn signals(driver: &Driver, channel: &ChannelInfo, args: &WatchArgs) -> Outcome {
    let stop = interrupt_event()?;
    let registration = driver.register(
        Share::DriverCreated {
            kind: EventKind::AutoReset,
        },
        SignalMode::OnDemand,
    )?;
    registration.subscribe(channel)?;
    println!(
        "Watching channel {:?} (#{}, payloads up to {} bytes: too long for a ring, so only \
         its signals). {}",
        channel.name,
        channel.index,
        channel.max_payload,
        stop_note(args.count, "signals")
    );
    let started = Instant::now();
    let mut seen = 0u32;
    let interrupted = loop {
        if args.count.is_some_and(|count| seen >= count) {
            break false;
        }
        match wait_any(&[registration.event(), stop], Duration::from_secs(2))? {
            Some(0) => {
                seen += 1;
                println!(
                    "signal {:>6}  at {}",
                    seen,
                    output::duration(started.elapsed())
                );
            }
            Some(_) => break true,
            None => {}
        }
    };
    let info = registration.info()?;
    registration.unregister()?;
    println!();
    println!(
        "{}: saw {} for {} the driver sent (the difference coalesced while not waiting)",
        if interrupted { "Ctrl-C" } else { "Done" },
        output::plural(u64::from(seen), "signal", "signals"),
        info.signals_sent
    );
    Ok(())
}

fn stop_note(count: Option<u32>, what: &str) -> String {
    match count {
        Some(count) => format!("Stopping after {count} {what} or at Ctrl-C."),
        None => "Ctrl-C stops.".to_owned(),
    }
}
