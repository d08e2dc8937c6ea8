//! End to end, against the sample host (`samples/rust-host`, a second Rust driver that embeds
//! evshare) loaded next to evshare.sys: its own IOCTL answers and its simulated device ticks;
//! evshare's requests sent in the sample's IOCTL space are served by the sample's instance,
//! not by evshare.sys; evshare.sys's own codes are unknown to the sample; closing the handle
//! releases what it registered; the simulated device's DPC publishes its ticks and a status
//! line on the sample's channels, which a ring and an event subscribed through the sample's
//! space receive. Needs both drivers installed and running (`EVSHARE_E2E=1`;
//! `cargo xtask test` installs both, `cargo xtask sample` installs the sample by hand).

#![cfg(windows)]

mod common;

use std::time::Duration;

use common::sample::{
    open as sample, space as sample_space, ticks, DEVICE_TYPE as SAMPLE_DEVICE_TYPE,
    IOCTL_QUERY_TICKS as IOCTL_SAMPLE_QUERY_TICKS,
};
use common::{chain, eventually, require_e2e, serial, unique, PATIENCE};
use evshare::{
    channel_payload, Driver, Error, Event, IoctlSpace, NtStatus, Received, RejectReason, Ring,
    RingOptions, SignalMode, WaitOutcome,
};
use evshare_protocol::ioctl::{ctl_code, FILE_READ_DATA, METHOD_BUFFERED};
use evshare_protocol::status::STATUS_BUFFER_TOO_SMALL;

/// evshare.sys, at its own path and in its own space.
fn evshare_sys() -> Driver {
    require_e2e();
    Driver::open().unwrap_or_else(|error| panic!("cannot open evshare.sys: {}", chain(&error)))
}

#[test]
fn the_samples_own_ioctl_reads_ticks_that_advance() {
    let _serial = serial();
    let sample = sample();
    let first = ticks(&sample);
    // The timer runs at 2 Hz: three periods leave room for at least one DPC whatever the load.
    std::thread::sleep(Duration::from_millis(1_600));
    let second = ticks(&sample);
    println!("sample ticks: {first}, then {second} after 1.6 s");
    assert!(
        second > first,
        "the simulated device's DPC did not run: {first} then {second}"
    );

    // Too little room for the u64: refused by the sample, not taken by evshare.
    let mut short = [0u8; 4];
    assert_eq!(
        sample.raw_ioctl(IOCTL_SAMPLE_QUERY_TICKS, &[], &mut short),
        Err(NtStatus(STATUS_BUFFER_TOO_SMALL))
    );
}

#[test]
fn evshare_requests_in_the_samples_space_are_served_by_the_samples_instance() {
    let _serial = serial();
    let sample = sample();
    let main = evshare_sys();
    assert_eq!(sample.space(), sample_space());
    assert_eq!(main.space(), IoctlSpace::EVSHARE);
    let version = sample
        .version()
        .expect("QUERY_VERSION in the sample's space");
    assert!(version.max_registrations > 0, "{version:?}");

    let sample_before = sample.stats(None).unwrap();
    let main_before = main.stats(None).unwrap();

    // Register by name and SIGNAL on demand, through the sample.
    let name = unique("sample");
    let _event = Event::create_auto_reset(&name).unwrap();
    let registration = sample
        .register_by_name(&name, SignalMode::OnDemand)
        .unwrap_or_else(|error| panic!("register through the sample: {}", chain(&error)));
    registration.signal().expect("SIGNAL in the sample's space");
    assert_eq!(
        registration.wait(PATIENCE).unwrap(),
        WaitOutcome::Signaled,
        "the sample's instance set the event"
    );

    // The inverted call too: PEND_NOTIFICATION and NOTIFY in the sample's space.
    let mut inbox = sample
        .notifications(2)
        .expect("PEND_NOTIFICATION in the sample's space");
    inbox.notify(1).expect("NOTIFY in the sample's space");
    let notification = inbox
        .next(PATIENCE)
        .expect("a notification")
        .expect("one within the patience");
    assert_eq!(notification.seq, 0, "the first notification of this handle");
    drop(inbox);

    let sample_during = sample.stats(None).unwrap();
    let main_during = main.stats(None).unwrap();
    println!(
        "sample: live {} (was {}), registrations {} (was {}), signals {} (was {}), \
         notifications {} (was {})",
        sample_during.live_registrations,
        sample_before.live_registrations,
        sample_during.registrations_total,
        sample_before.registrations_total,
        sample_during.signals_sent,
        sample_before.signals_sent,
        sample_during.notifications,
        sample_before.notifications,
    );
    assert_eq!(
        sample_during.live_registrations,
        sample_before.live_registrations + 1
    );
    assert_eq!(
        sample_during.registrations_total,
        sample_before.registrations_total + 1
    );
    assert_eq!(sample_during.signals_sent, sample_before.signals_sent + 1);
    assert_eq!(sample_during.notifications, sample_before.notifications + 1);
    assert_eq!(
        common::footprint(&main_during),
        common::footprint(&main_before),
        "evshare.sys saw none of it"
    );

    registration.unregister().unwrap();
    assert_eq!(
        sample.stats(None).unwrap().live_registrations,
        sample_before.live_registrations
    );
}

#[test]
fn evshare_sys_codes_are_unknown_to_the_sample() {
    let _serial = serial();
    let sample = sample();
    let before = sample.stats(None).unwrap();

    // Every evshare request with evshare.sys's code, and a function of the sample's own range
    // that it does not define (0x800 and 0x801 are its tick count and its burst).
    let unknown = ctl_code(SAMPLE_DEVICE_TYPE, 0x8FF, METHOD_BUFFERED, FILE_READ_DATA);
    let refused = common::evshare_sys_codes_refused_by(&sample, unknown);
    let after = sample.stats(None).unwrap();
    assert_eq!(
        after.rejected_for(RejectReason::UnknownIoctl),
        before.rejected_for(RejectReason::UnknownIoctl) + refused,
        "each refusal counted as an unknown IOCTL by the sample's instance"
    );
    assert_eq!(after.live_registrations, before.live_registrations);
    assert_eq!(after.pending_irps, before.pending_irps);
}

#[test]
fn the_samples_space_is_unknown_to_evshare_sys() {
    let _serial = serial();
    require_e2e();
    // The version check at open is the first request: the wrong space fails there.
    common::assert_unknown_to_evshare_sys(sample_space(), "the sample");
}

#[test]
fn closing_the_handle_releases_its_registration_in_the_sample() {
    let _serial = serial();
    let observer = sample();
    let baseline = observer.stats(None).unwrap().live_registrations;
    assert_eq!(baseline, 0, "no one else registers with the sample");

    let name = unique("sample-close");
    let _event = Event::create_auto_reset(&name).unwrap();
    let holder = sample();
    let registration = holder
        .register_by_name(&name, SignalMode::Periodic { period_ms: 100 })
        .unwrap_or_else(|error| panic!("register through the sample: {}", chain(&error)));
    assert_eq!(observer.stats(None).unwrap().live_registrations, 1);
    // Never unregistered: only the handle's close can release it.
    std::mem::forget(registration);
    drop(holder);
    eventually("the closed handle's registration released", || {
        (observer.stats(None).unwrap().live_registrations == 0).then_some(())
    });
}

#[test]
fn the_samples_dpc_publishes_on_its_channels() {
    let _serial = serial();
    let sample = sample();
    let channels = sample
        .channels()
        .expect("QUERY_CHANNELS in the sample's space");
    let declared: Vec<(&str, u32)> = channels
        .iter()
        .map(|channel| (channel.name.as_str(), channel.max_payload))
        .collect();
    assert_eq!(
        declared,
        [
            ("sample.ticks", 8),
            ("sample.status", 46),
            ("sample.detail", 64),
            ("sample.burst", 8)
        ]
    );
    // evshare.sys declares its own heartbeat, not the sample's channels.
    let evshare_sys: Vec<String> = evshare_sys()
        .channels()
        .unwrap()
        .into_iter()
        .map(|channel| channel.name)
        .collect();
    assert_eq!(evshare_sys, ["evshare.heartbeat"]);

    // A ring per channel: the tick counter's u64s, and the status lines.
    let ticks = sample.channel("sample.ticks").unwrap();
    let status = sample.channel("sample.status").unwrap();
    let mut tick_ring = sample
        .register_ring(&RingOptions::new(16).watermark(1))
        .expect("a ring through the sample");
    tick_ring
        .subscribe(&ticks)
        .expect("SUBSCRIBE in the sample's space");
    let mut status_ring = sample
        .register_ring(&RingOptions::new(16).watermark(1))
        .unwrap();
    status_ring.subscribe(&status).unwrap();
    // And an event, signalled once per status line.
    let name = unique("sample-status");
    let _event = Event::create_auto_reset(&name).unwrap();
    let registration = sample
        .register_by_name(&name, SignalMode::OnDemand)
        .unwrap();
    registration.subscribe(&status).unwrap();

    let first = u64::from_le_bytes(next_payload(&mut tick_ring).try_into().expect("8 bytes"));
    let second = u64::from_le_bytes(next_payload(&mut tick_ring).try_into().expect("8 bytes"));
    assert_eq!(second, first + 1, "consecutive ticks, none lost");
    let line = String::from_utf8(next_payload(&mut status_ring)).expect("an ASCII line");
    assert!(
        line.starts_with("tick ") && line.ends_with("running, 2 Hz"),
        "{line}"
    );
    assert_eq!(
        registration.wait(PATIENCE).unwrap(),
        WaitOutcome::Signaled,
        "a status line signals the subscribed event"
    );
    let after = sample.channel("sample.ticks").unwrap();
    println!(
        "sample channels: ticks {first}, {second}; status `{line}`; \
         sample.ticks published {} (was {}), {} subscriber(s)",
        after.published, ticks.published, after.subscribers
    );
    assert!(after.published >= ticks.published + 2);
    assert_eq!(after.subscribers, 1);
}

#[test]
fn channel_refusals_have_their_status_and_move_one_counter_each() {
    let _serial = serial();
    let sample = sample();
    let before = sample.stats(None).unwrap();
    let ticks = sample.channel("sample.ticks").unwrap();
    let detail = sample.channel("sample.detail").unwrap();
    let name = unique("sample-refusals");
    let _event = Event::create_auto_reset(&name).unwrap();
    let registration = sample
        .register_by_name(&name, SignalMode::OnDemand)
        .unwrap();
    let refused = |result: evshare::Result<()>, status: u32| match result {
        Err(Error::SubscribeRefused { status: got, .. }) => assert_eq!(got, NtStatus(status)),
        other => panic!("expected a SUBSCRIBE refusal {status:#x}, got {other:?}"),
    };
    // A channel the sample never declared.
    let missing = evshare::ChannelInfo {
        index: 7,
        name: "missing".to_owned(),
        ..ticks.clone()
    };
    refused(
        registration.subscribe(&missing),
        evshare_protocol::status::STATUS_EVSHARE_NO_SUCH_CHANNEL,
    );
    // One channel per registration.
    registration.subscribe(&ticks).unwrap();
    refused(
        registration.subscribe(&detail),
        evshare_protocol::status::STATUS_EVSHARE_ALREADY_SUBSCRIBED,
    );
    // A ring cannot carry the 64-byte detailed lines.
    let ring = sample.register_ring(&RingOptions::new(16)).unwrap();
    refused(
        ring.subscribe(&detail),
        evshare_protocol::status::STATUS_EVSHARE_CHANNEL_TOO_WIDE,
    );
    // A channel's 64 slots, and one process's share of them: `e2e_channel_inverted`.
    let after = sample.stats(None).unwrap();
    for reason in [
        RejectReason::NoSuchChannel,
        RejectReason::AlreadySubscribed,
        RejectReason::ChannelTooWide,
    ] {
        assert_eq!(
            after.rejected_for(reason),
            before.rejected_for(reason) + 1,
            "{reason:?}"
        );
    }
    // Unregistering unsubscribes.
    drop(ring);
    drop(registration);
    assert_eq!(
        sample.channel("sample.ticks").unwrap().subscribers,
        ticks.subscribers
    );
    println!(
        "channel refusals: no such channel, already subscribed, too wide, each refused with \
         its status and counted once"
    );
}

/// The payload of the next record a channel wrote into `ring`.
fn next_payload(ring: &mut Ring<'_>) -> Vec<u8> {
    match ring.recv(PATIENCE).expect("receive from the ring") {
        Some(Received::Record(record)) => channel_payload(&record.payload)
            .expect("a record written by a channel")
            .to_vec(),
        other => panic!("no published record within the patience: {other:?}"),
    }
}
