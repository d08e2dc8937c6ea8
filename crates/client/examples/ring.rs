//! The **ring**: a section this app creates and the driver maps, a pair of events, and
//! sequence numbers that tell a slow consumer exactly what it missed. Then the **inverted
//! call** (pended requests the driver completes) for comparison.
//!
//! With the driver installed and started (`evshare install`, `evshare start`):
//! `cargo run --target x86_64-pc-windows-gnu -p evshare --example ring`

#[cfg(windows)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use evshare::{Driver, Received, RingOptions};
    use std::time::Duration;

    // 1. A ring of 1,024 records (64 KiB + a 256-byte header), registered through this
    //    handle: the library creates the section and both events and initialises the header.
    let driver = Driver::open()?;
    let mut ring = driver.register_ring(&RingOptions::new(1024))?;
    println!("ring {} in section `{}`", ring.id(), ring.section_name());

    // 2. Have the driver produce 3,000 records at once: the ring holds 1,024, so it drops
    //    the rest, and says so.
    let reply = ring.produce(3_000)?;
    println!(
        "the driver wrote {} and dropped {}",
        reply.written, reply.dropped
    );

    // 3. Consume: every record in order, and every loss as a gap with its exact position.
    let (mut records, mut missed) = (0u64, 0u64);
    while let Some(item) = ring.recv(Duration::from_millis(200))? {
        match item {
            Received::Record(_) => records += 1,
            Received::Missed { first_seq, count } => {
                println!("missed {count} records from sequence number {first_seq}");
                missed += count;
            }
            Received::Closed => break,
        }
    }
    let totals = ring.published_totals();
    println!(
        "received {records}, missed {missed}: {} in all, as the driver published ({} + {})",
        records + missed,
        totals.produced,
        totals.dropped
    );

    // 4. Unregister: the driver poisons the ring and sets both events; the consumer sees
    //    `Closed` once it has drained what is left.
    ring.close()?;
    assert_eq!(ring.recv(Duration::from_secs(1))?, Some(Received::Closed));
    println!("closed");

    // 5. The inverted call: 4 requests kept pending; the driver completes one per
    //    notification.
    let mut inbox = driver.notifications(4)?;
    inbox.notify(3)?;
    for _ in 0..3 {
        let notification = inbox
            .next(Duration::from_secs(5))?
            .ok_or("a notification never came")?;
        println!(
            "notification {} at tick {}",
            notification.seq, notification.timestamp
        );
    }
    Ok(())
}

#[cfg(not(windows))]
fn main() {
    eprintln!("this example talks to evshare.sys: run it on Windows or under Wine");
}
