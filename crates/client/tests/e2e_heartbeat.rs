//! End to end, against evshare.sys: its one channel, `evshare.heartbeat`, fed by a periodic
//! source in the driver (a beat a second, its number from 1 as 8 little-endian bytes). The
//! channel is listed with its size and a `published` figure that rises; a ring subscribed to it
//! receives consecutive beats (a gap only where the ring reports the drop); event registrations
//! of all four methods are signalled by it; a handle's inverted call receives the beats in
//! order. The beat numbers agree with the channel's `published` figure, since the source is its
//! only publisher. Needs the driver running (`EVSHARE_E2E=1`; `cargo xtask test` installs it).

#![cfg(windows)]

mod common;

use common::{chain, driver, every_share, serial, unique, PATIENCE};
use evshare::{
    channel_payload, ChannelInfo, Driver, Event, Received, Ring, RingOptions, SignalMode,
    WaitOutcome,
};
use evshare_protocol::reply::NotificationSource;

/// The channel's name, as apps subscribe to it.
const HEARTBEAT: &str = "evshare.heartbeat";

/// The heartbeat channel as evshare.sys lists it now.
fn heartbeat(driver: &Driver) -> ChannelInfo {
    driver
        .channel(HEARTBEAT)
        .unwrap_or_else(|error| panic!("evshare.sys lists {HEARTBEAT}: {}", chain(&error)))
}

/// A beat's number from its payload.
fn beat_of(payload: &[u8]) -> u64 {
    let bytes: [u8; 8] = payload
        .try_into()
        .unwrap_or_else(|_| panic!("a beat is 8 bytes, not {payload:?}"));
    u64::from_le_bytes(bytes)
}

#[test]
fn the_heartbeat_is_listed_and_its_published_figure_rises() {
    let _serial = serial();
    let driver = driver();
    let listed = driver.channels().unwrap();
    let declared: Vec<(u32, &str, u32)> = listed
        .iter()
        .map(|channel| (channel.index, channel.name.as_str(), channel.max_payload))
        .collect();
    assert_eq!(declared, [(0, HEARTBEAT, 8)], "evshare.sys's one channel");
    let before = &listed[0];
    // An event subscribed to it sees each beat, so the figure is read again only after one
    // more beat surely was published (no timing involved).
    let registration = driver
        .register(
            evshare::Share::DriverCreated {
                kind: evshare::EventKind::AutoReset,
            },
            SignalMode::OnDemand,
        )
        .unwrap();
    registration.subscribe(before).unwrap();
    for _ in 0..2 {
        assert_eq!(
            registration.wait(PATIENCE).unwrap(),
            WaitOutcome::Signaled,
            "no beat within {PATIENCE:?}"
        );
    }
    let after = heartbeat(&driver);
    assert!(
        after.published > before.published,
        "published went from {} to {} over two beats",
        before.published,
        after.published
    );
    assert_eq!(after.subscribers, before.subscribers + 1);
    registration.unregister().unwrap();
    assert_eq!(heartbeat(&driver).subscribers, before.subscribers);
    println!(
        "{HEARTBEAT}: listed at #0 with 8-byte payloads; published {} then {}",
        before.published, after.published
    );
}

#[test]
fn a_ring_receives_consecutive_beats_with_any_gap_reported() {
    let _serial = serial();
    let driver = driver();
    let before = heartbeat(&driver);
    let mut ring = driver
        .register_ring(&RingOptions::new(16).watermark(1))
        .unwrap();
    ring.subscribe(&before).unwrap();
    // Each record's beat follows the last one's, skipping exactly what the ring says it
    // dropped in between.
    let mut beats: Vec<u64> = Vec::new();
    let mut missed_since_last = 0;
    let mut missed = 0;
    while beats.len() < 3 {
        match next(&mut ring) {
            Received::Record(record) => {
                let payload = channel_payload(&record.payload).expect("a channel's record");
                let beat = beat_of(payload);
                if let Some(last) = beats.last() {
                    assert_eq!(
                        beat,
                        last + 1 + missed_since_last,
                        "beat after {last} with {missed_since_last} reported missed"
                    );
                }
                beats.push(beat);
                missed_since_last = 0;
            }
            Received::Missed { count, .. } => {
                missed_since_last += count;
                missed += count;
            }
            Received::Closed => panic!("the ring closed while the heartbeat beats"),
        }
    }
    let after = heartbeat(&driver);
    // The source is the channel's only publisher and numbers its beats from 1: beat n is the
    // channel's n-th payload (one in flight while subscribing may come from just before).
    let first = beats[0];
    let last = beats[beats.len() - 1];
    assert!(
        first >= before.published.max(1),
        "first beat {first} after {} were published",
        before.published
    );
    assert!(
        last <= after.published,
        "beat {last} received but only {} published",
        after.published
    );
    let info = ring.info().unwrap();
    assert_eq!(info.dropped, missed, "the ring's drops are the gaps seen");
    ring.close().unwrap();
    assert_eq!(heartbeat(&driver).subscribers, before.subscribers);
    println!(
        "{HEARTBEAT} through a ring: beats {beats:?}, {missed} missed; published {} then {}",
        before.published, after.published
    );
}

#[test]
fn events_of_all_four_methods_are_signalled_by_the_heartbeat() {
    let _serial = serial();
    let driver = driver();
    let before = heartbeat(&driver);
    let name = unique("heartbeat");
    let mine = Event::create_auto_reset(&name).unwrap();
    let leaf = unique("heartbeat-leaf");
    let registrations: Vec<_> = every_share(&name, &mine, &leaf)
        .into_iter()
        .map(|share| {
            let registration = driver.register(share, SignalMode::OnDemand).unwrap();
            registration
                .subscribe(&before)
                .unwrap_or_else(|error| panic!("subscribe {share:?}: {}", chain(&error)));
            registration
        })
        .collect();
    assert_eq!(heartbeat(&driver).subscribers, before.subscribers + 4);
    for registration in &registrations {
        assert_eq!(
            registration.wait(PATIENCE).unwrap(),
            WaitOutcome::Signaled,
            "{}: no beat within {PATIENCE:?}",
            registration.method()
        );
    }
    let sent: Vec<u64> = registrations
        .iter()
        .map(|registration| registration.info().unwrap().signals_sent)
        .collect();
    let after = heartbeat(&driver);
    // One signal per beat since the subscription, and no more than were published meanwhile
    // (plus the one that may have been in flight while subscribing).
    for (registration, sent) in registrations.iter().zip(&sent) {
        assert!(
            *sent >= 1 && *sent <= after.published - before.published + 1,
            "{}: {sent} signals while {} beats were published",
            registration.method(),
            after.published - before.published
        );
    }
    drop(registrations);
    assert_eq!(heartbeat(&driver).subscribers, before.subscribers);
    println!(
        "{HEARTBEAT} signalled by name, by handle, driver-created and named: signals_sent \
         {sent:?} over {} beats",
        after.published - before.published
    );
}

#[test]
fn an_inverted_call_receives_the_beats_in_order() {
    let _serial = serial();
    let driver = driver();
    let channel = heartbeat(&driver);
    let mut inbox = driver.notifications(4).unwrap();
    inbox.subscribe(&channel).unwrap();
    let mut received: Vec<(u64, u64)> = Vec::new();
    while received.len() < 3 {
        let notification = inbox
            .next(PATIENCE)
            .unwrap()
            .unwrap_or_else(|| panic!("no beat within {PATIENCE:?}"));
        assert_eq!(
            notification.source,
            NotificationSource::Channel(channel.index as u16),
            "only the heartbeat's notifications on this handle"
        );
        received.push((notification.seq, beat_of(notification.data())));
    }
    // Four requests in flight and a backlog of 32 against a beat a second: nothing is lost, so
    // the handle's sequence numbers for the channel run from 0 and the beats go up by one.
    for (n, pair) in received.windows(2).enumerate() {
        let ((seq, beat), (next_seq, next_beat)) = (pair[0], pair[1]);
        assert_eq!(seq, n as u64, "sequence numbers from 0: {received:?}");
        assert_eq!(next_seq, seq + 1, "{received:?}");
        assert_eq!(next_beat, beat + 1, "{received:?}");
    }
    println!("{HEARTBEAT} through an inverted call: (seq, beat) {received:?}");
}

/// The next thing the ring yields within the patience.
fn next(ring: &mut Ring<'_>) -> Received {
    ring.recv(PATIENCE)
        .expect("receive from the ring")
        .unwrap_or_else(|| panic!("no beat within {PATIENCE:?}"))
}
