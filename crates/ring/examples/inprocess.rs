//! The ring in one process: a producer thread and a consumer thread, the same code the driver
//! and the client run, on an in-process auto-reset event pair. Prints records/s, wake-ups per
//! 1,000 records and the produce→consume latency for each wake-up regime (SPEC rule 8), and a
//! bounded `std::sync::mpsc` channel moving the same records as a reference queue.
//!
//! ```text
//! cargo run -p evshare-ring --release --example inprocess -- \
//!     [--records N] [--capacity C] [--batch B] [--rate R] [--signal-cost-us U] [--only NAME]
//! ```
//!
//! The producer runs flat out, or paces itself to `--rate` records per second (a timer or a
//! device). `--signal-cost-us` makes every data-ready signal cost that much producer time
//! (busy-wait), as a `KeSetEvent` does under Wine (~40 µs): with a paced producer and a
//! consumer that sleeps as soon as it is idle, that is where the ping-pong regime hurts.
//! One line per run, `key=value` separated by spaces, for `cargo xtask bench` to parse.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use evshare_ring::inprocess::{ring, AutoResetEvent};
use evshare_ring::layout::PAYLOAD_LEN;
use evshare_ring::{Entry, Item, Readiness, Record, SpinPolicy, WakePolicy};

struct Options {
    records: u64,
    capacity: u32,
    batch: u32,
    rate: u64,
    signal_cost: Duration,
    only: Option<String>,
}

struct Scenario {
    name: &'static str,
    spin: SpinPolicy,
    wake: WakePolicy,
}

struct Outcome {
    received: u64,
    missed: u64,
    seconds: f64,
    wakeups: u64,
    sleeps: u64,
    signalled: u64,
    latencies_ns: Vec<u64>,
}

fn main() {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("inprocess: {message}");
            eprintln!(
                "usage: inprocess [--records N] [--capacity C] [--batch B] \
                 [--signal-cost-us U] [--only NAME]"
            );
            std::process::exit(2);
        }
    };
    let watermark = (options.capacity / 4).max(1);
    // Deadline for a deferred wake-up: 200 µs (timestamps are nanoseconds).
    let deadline = 200_000;
    let scenarios = [
        Scenario {
            name: "ping-pong",
            spin: SpinPolicy::NEVER,
            wake: WakePolicy::IMMEDIATE,
        },
        Scenario {
            name: "spin",
            spin: SpinPolicy::DEFAULT,
            wake: WakePolicy::IMMEDIATE,
        },
        Scenario {
            name: "watermark",
            spin: SpinPolicy::NEVER,
            wake: WakePolicy::deferred(watermark, deadline),
        },
        Scenario {
            name: "spin+watermark",
            spin: SpinPolicy::DEFAULT,
            wake: WakePolicy::deferred(watermark, deadline),
        },
    ];
    println!(
        "# evshare ring, in-process: {} records per run, capacity {}, {} per produce call, \
         rate {}, signal cost {} us",
        options.records,
        options.capacity,
        options.batch,
        if options.rate == 0 {
            "flat out".to_string()
        } else {
            format!("{}/s", options.rate)
        },
        options.signal_cost.as_micros()
    );
    for scenario in &scenarios {
        if options
            .only
            .as_deref()
            .is_some_and(|only| only != scenario.name)
        {
            continue;
        }
        let outcome = run_ring(&options, scenario);
        report(scenario.name, &options, &outcome);
    }
    if options.only.as_deref().is_none_or(|only| only == "mpsc") {
        let outcome = run_mpsc(&options);
        report("mpsc", &options, &outcome);
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        records: 1_000_000,
        capacity: 4096,
        batch: 1,
        rate: 0,
        signal_cost: Duration::ZERO,
        only: None,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let number = |text: String| {
            text.parse::<u64>()
                .map_err(|error| format!("{flag}: {text}: {error}"))
        };
        match flag.as_str() {
            "--records" => options.records = number(value()?)?.max(1),
            "--capacity" => {
                options.capacity = u32::try_from(number(value()?)?).map_err(|e| e.to_string())?
            }
            "--batch" => {
                options.batch =
                    u32::try_from(number(value()?)?.max(1)).map_err(|e| e.to_string())?
            }
            "--rate" => options.rate = number(value()?)?,
            "--signal-cost-us" => options.signal_cost = Duration::from_micros(number(value()?)?),
            "--only" => options.only = Some(value()?),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(options)
}

/// Busy-waits `cost`: what a signal costs the producer.
fn spend(cost: Duration) {
    if cost.is_zero() {
        return;
    }
    let start = Instant::now();
    while start.elapsed() < cost {
        std::hint::spin_loop();
    }
}

/// Busy-waits until record `index` is due at `rate` records per second (0: never waits).
fn pace(origin: Instant, index: u64, rate: u64) {
    if rate == 0 {
        return;
    }
    let due = Duration::from_nanos(index.saturating_mul(1_000_000_000) / rate);
    while origin.elapsed() < due {
        std::hint::spin_loop();
    }
}

fn nanos_since(origin: Instant) -> u64 {
    u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn run_ring(options: &Options, scenario: &Scenario) -> Outcome {
    let (mut producer, mut consumer) = ring(options.capacity, scenario.wake).expect("capacity");
    consumer.set_spin_policy(scenario.spin);
    let data_ready = Arc::new(AutoResetEvent::new());
    let space_free = Arc::new(AutoResetEvent::new());
    let origin = Instant::now();
    let (records, batch, cost) = (options.records, options.batch, options.signal_cost);
    let rate = options.rate;

    let producing = {
        let data_ready = Arc::clone(&data_ready);
        let space_free = Arc::clone(&space_free);
        thread::spawn(move || {
            let signal = || {
                spend(cost);
                data_ready.set();
            };
            let mut attempts = 0;
            while attempts < records {
                pace(origin, attempts, rate);
                let count = u32::try_from((records - attempts).min(u64::from(batch))).unwrap_or(1);
                let report = producer.produce_batch(
                    count,
                    |_| Entry {
                        timestamp: nanos_since(origin),
                        payload: [0x5A; PAYLOAD_LEN],
                    },
                    signal,
                );
                let _ = producer.wake_if_due(nanos_since(origin), signal);
                attempts += u64::from(count);
                if report.dropped > 0 {
                    // A user-mode producer may wait for room (the driver never does).
                    let _ = space_free.wait_for(Duration::from_millis(1));
                }
            }
            let _ = producer.flush_wake(signal);
            producer.poison(|| {
                data_ready.set();
                space_free.set();
            })
        })
    };

    let mut latencies_ns = Vec::with_capacity(usize::try_from(records).unwrap_or(0));
    let (mut received, mut missed) = (0, 0);
    loop {
        let now = nanos_since(origin);
        let batch = consumer
            .poll(options.capacity, |item| match item {
                Item::Record(record) => {
                    received += 1;
                    latencies_ns.push(now.saturating_sub(record.timestamp));
                }
                Item::Missed { count, .. } => missed += count,
            })
            .expect("the producer is this process's own");
        if batch.signal_space_free {
            space_free.set();
        }
        if batch.closed {
            break;
        }
        if batch.records == 0
            && batch.missed == 0
            && consumer.wait(&*data_ready, Some(Duration::from_secs(1))) == Readiness::TimedOut
        {
            eprintln!("inprocess: {}: no data for 1 s", scenario.name);
        }
    }
    let seconds = origin.elapsed().as_secs_f64();
    let stats = producing.join().expect("producer thread");
    assert_eq!(
        received + missed,
        records,
        "every record received or reported missed"
    );
    let consumer_stats = consumer.stats();
    Outcome {
        received,
        missed,
        seconds,
        wakeups: stats.wakeups,
        sleeps: consumer_stats.sleeps,
        signalled: consumer_stats.signalled,
        latencies_ns,
    }
}

/// The reference: a bounded `std::sync::mpsc` channel (lock-free on the fast path) moving the
/// same 64-byte records, blocking when full instead of dropping.
fn run_mpsc(options: &Options) -> Outcome {
    let capacity = usize::try_from(options.capacity).unwrap_or(4096);
    let (sender, receiver) = mpsc::sync_channel::<Record>(capacity);
    let origin = Instant::now();
    let (records, rate) = (options.records, options.rate);
    let producing = thread::spawn(move || {
        for seq in 0..records {
            pace(origin, seq, rate);
            let record = Record {
                seq,
                timestamp: nanos_since(origin),
                payload: [0x5A; PAYLOAD_LEN],
            };
            if sender.send(record).is_err() {
                break;
            }
        }
    });
    let mut latencies_ns = Vec::with_capacity(usize::try_from(records).unwrap_or(0));
    let mut received = 0;
    while let Ok(record) = receiver.recv() {
        received += 1;
        latencies_ns.push(nanos_since(origin).saturating_sub(record.timestamp));
    }
    let seconds = origin.elapsed().as_secs_f64();
    producing.join().expect("producer thread");
    Outcome {
        received,
        missed: 0,
        seconds,
        wakeups: 0,
        sleeps: 0,
        signalled: 0,
        latencies_ns,
    }
}

fn report(name: &str, options: &Options, outcome: &Outcome) {
    let mut latencies = outcome.latencies_ns.clone();
    latencies.sort_unstable();
    let percentile = |p: f64| -> u64 {
        if latencies.is_empty() {
            return 0;
        }
        let index = ((latencies.len() - 1) as f64 * p).round() as usize;
        latencies[index.min(latencies.len() - 1)]
    };
    let per_thousand = if outcome.received == 0 {
        0.0
    } else {
        outcome.wakeups as f64 * 1000.0 / outcome.received as f64
    };
    println!(
        "run={name} records={} received={} missed={} seconds={:.3} records_per_s={:.0} \
         wakeups={} wakeups_per_1000={:.2} consumer_sleeps={} signalled={} \
         latency_p50_us={:.1} latency_p99_us={:.1} latency_max_us={:.1} capacity={} batch={} \
         rate={} signal_cost_us={}",
        options.records,
        outcome.received,
        outcome.missed,
        outcome.seconds,
        outcome.received as f64 / outcome.seconds,
        outcome.wakeups,
        per_thousand,
        outcome.sleeps,
        outcome.signalled,
        percentile(0.5) as f64 / 1000.0,
        percentile(0.99) as f64 / 1000.0,
        percentile(1.0) as f64 / 1000.0,
        options.capacity,
        options.batch,
        options.rate,
        options.signal_cost.as_micros(),
    );
}
