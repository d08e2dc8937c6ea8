//! `evshare watch`: share an event with the driver by any of the four methods, print each
//! signal as it arrives with the interval since the previous one, and stop at Ctrl-C (a
//! console control handler, so the registration is unregistered and the summary printed) or
//! after `--count` signals.

use std::time::{Duration, Instant};

use evshare::{interrupt_event, wait_any, Event, EventKind, ResetKind, Scope, Share, SignalMode};

use super::output;
use super::{Device, Outcome};
use crate::args::WatchArgs;

/// Intervals seen so far.
#[derive(Default)]
struct Intervals {
    count: u32,
    total: Duration,
    shortest: Option<Duration>,
    longest: Duration,
}

impl Intervals {
    fn add(&mut self, interval: Duration) {
        self.count += 1;
        self.total += interval;
        self.shortest = Some(self.shortest.map_or(interval, |s| s.min(interval)));
        self.longest = self.longest.max(interval);
    }
}

/// `evshare watch NAME | --handle | --driver-created [--named LEAF [--global]]`.
/// The driver is the one at `device`.
pub(crate) fn run(device: &Device<'_>, args: &WatchArgs) -> Outcome {
    if args.ring {
        return super::watch_ring::run(device, args);
    }
    if let Some(channel) = &args.channel {
        return super::watch_channel::run(device, channel, args);
    }
    let driver = device.open()?;
    let stop = interrupt_event()?;
    let own_event;
    let share = if let Some(name) = &args.name {
        Share::ByName(name)
    } else if args.handle {
        own_event = Event::new(ResetKind::Auto)?;
        Share::by_handle(&own_event)
    } else if let Some(leaf) = &args.named {
        let scope = if args.global {
            Scope::Global
        } else {
            Scope::Session
        };
        Share::DriverNamed {
            leaf,
            scope,
            kind: EventKind::AutoReset,
        }
    } else {
        Share::DriverCreated {
            kind: EventKind::AutoReset,
        }
    };
    let period = Duration::from_millis(u64::from(args.period_ms));
    let registration = driver.register(
        share,
        SignalMode::Periodic {
            period_ms: args.period_ms,
        },
    )?;
    println!(
        "Watching {} ({}, registration #{}): the driver signals it every {}. {}",
        registration.target(),
        registration.method(),
        registration.id(),
        output::duration(period),
        match args.count {
            Some(count) => format!("Stopping after {count} signals or at Ctrl-C."),
            None => "Ctrl-C stops.".to_owned(),
        }
    );
    if let Some(name) = registration.name() {
        println!("(apps open it as `{name}`)");
    }

    let started = Instant::now();
    let mut last = started;
    let mut intervals = Intervals::default();
    // A manual-reset event nobody resets would "signal" on every wait: notice and stop.
    let mut instant_in_a_row = 0;
    // Long enough to tell a stalled timer from a slow one.
    let patience = (period * 10).max(Duration::from_secs(2));
    let mut stalled_reported = false;
    let interrupted = loop {
        if args.count.is_some_and(|count| intervals.count >= count) {
            break false;
        }
        match wait_any(&[registration.event(), stop], patience)? {
            Some(0) => {
                let now = Instant::now();
                let interval = now - last;
                last = now;
                intervals.add(interval);
                stalled_reported = false;
                println!(
                    "signal {:>6}  +{:>9}  at {}",
                    intervals.count,
                    output::duration(interval),
                    output::duration(now - started)
                );
                instant_in_a_row = if interval < period / 10 {
                    instant_in_a_row + 1
                } else {
                    0
                };
                if instant_in_a_row >= 3 {
                    return Err(format!(
                        "{} stays signalled: it is a manual-reset event that nobody resets; \
                         watch an auto-reset event, or have your app reset it",
                        registration.target()
                    )
                    .into());
                }
            }
            Some(_) => break true,
            None if !stalled_reported => {
                stalled_reported = true;
                println!(
                    "no signal for {} (expected one every {}): if your app waits on the same \
                     auto-reset event, it takes them first; else see `evshare stats`",
                    output::duration(patience),
                    output::duration(period)
                );
            }
            None => {}
        }
    };
    let info = registration.info()?;
    registration.unregister()?;

    println!();
    if interrupted {
        println!("Ctrl-C: stopped and unregistered.");
    } else {
        println!("Done: unregistered.");
    }
    println!(
        "received {} in {}; the driver sent {}",
        output::plural(u64::from(intervals.count), "signal", "signals"),
        output::duration(started.elapsed()),
        info.signals_sent
    );
    if let Some(shortest) = intervals.shortest {
        println!(
            "interval: min {}, avg {}, max {} (period {})",
            output::duration(shortest),
            output::duration(intervals.total / intervals.count),
            output::duration(intervals.longest),
            output::duration(period)
        );
    }
    Ok(())
}
