//! End to end, against the sample host's two devices (`samples/rust-host`): one driver, two
//! evshare instances, one per device, in the same IOCTL space. Each request reaches the
//! instance of the device it was sent to: each device lists only its instance's channels; a
//! registration made through one is counted by that instance only and unknown to the other;
//! a refusal on one moves only that instance's counters; closing a handle on one releases
//! only there; and both instances' channels deliver what the sample's DPC publishes. Needs the
//! sample installed next to evshare.sys (`EVSHARE_E2E=1`; `cargo xtask test` installs it,
//! `cargo xtask sample` by hand).

#![cfg(windows)]

mod common;

use common::sample::{open as main_device, open_second as second_device, SECOND_PATH};
use common::sample::{IOCTL_QUERY_TICKS, PATH as MAIN_PATH};
use common::{chain, eventually, rejections_between, serial, unique, PATIENCE};
use evshare::{
    channel_payload, ChannelInfo, Driver, Error, Event, NtStatus, Received, RejectReason, Ring,
    RingOptions, SignalMode, StatsReply,
};
use evshare_protocol::status::{
    STATUS_EVSHARE_NO_SUCH_CHANNEL, STATUS_INVALID_DEVICE_REQUEST, STATUS_NOT_FOUND,
};

/// The names and sizes of the channels a device lists.
fn declared(driver: &Driver) -> Vec<(String, u32)> {
    driver
        .channels()
        .unwrap_or_else(|error| panic!("QUERY_CHANNELS on {}: {}", driver.path(), chain(&error)))
        .into_iter()
        .map(|channel| (channel.name, channel.max_payload))
        .collect()
}

/// What a registration leaves in an instance's counters.
fn registrations(stats: &StatsReply) -> (u32, u64) {
    (stats.live_registrations, stats.registrations_total)
}

#[test]
fn both_devices_open_and_each_lists_only_its_own_channels() {
    let _serial = serial();
    let main = main_device();
    let second = second_device();
    assert_eq!(main.path(), MAIN_PATH);
    assert_eq!(second.path(), SECOND_PATH);
    assert_eq!(main.space(), second.space(), "one space, two devices");
    assert!(main.version().unwrap().max_registrations > 0);
    assert!(second.version().unwrap().max_registrations > 0);

    let main_channels = declared(&main);
    let second_channels = declared(&second);
    println!("{MAIN_PATH}: {main_channels:?}; {SECOND_PATH}: {second_channels:?}");
    assert_eq!(
        main_channels,
        [
            ("sample.ticks".to_owned(), 8),
            ("sample.status".to_owned(), 46),
            ("sample.detail".to_owned(), 64),
            ("sample.burst".to_owned(), 8)
        ]
    );
    assert_eq!(second_channels, [("sample2.ticks".to_owned(), 8)]);
    // Looked up by name, each instance knows only its own.
    match second.channel("sample.ticks") {
        Err(Error::NoSuchChannel { available, .. }) => assert_eq!(available, ["sample2.ticks"]),
        other => panic!("the second instance found the first's channel: {other:?}"),
    }
    match main.channel("sample2.ticks") {
        Err(Error::NoSuchChannel { available, .. }) => assert_eq!(available.len(), 4),
        other => panic!("the first instance found the second's channel: {other:?}"),
    }
}

#[test]
fn a_registration_belongs_to_the_instance_of_its_device() {
    let _serial = serial();
    let main = main_device();
    let second = second_device();
    for (through, other) in [(&main, &second), (&second, &main)] {
        let through_before = through.stats(None).unwrap();
        let other_before = other.stats(None).unwrap();
        let name = unique("instances");
        let _event = Event::create_auto_reset(&name).unwrap();
        let registration = through
            .register_by_name(&name, SignalMode::OnDemand)
            .unwrap_or_else(|error| {
                panic!("register through {}: {}", through.path(), chain(&error))
            });
        let id = registration.id();
        registration
            .signal()
            .expect("SIGNAL through its own device");

        // Used by id through the other device: unknown there, and counted there.
        match other.query_registration(id) {
            Err(Error::UnknownRegistration { status, .. }) => {
                assert_eq!(status, NtStatus(STATUS_NOT_FOUND))
            }
            other_result => panic!(
                "registration {id} of {} through {}: {other_result:?}",
                through.path(),
                other.path()
            ),
        }
        let through_during = through.stats(None).unwrap();
        let other_during = other.stats(None).unwrap();
        println!(
            "registration {id} through {}: live {} (was {}) there, {} (was {}) through {}",
            through.path(),
            through_during.live_registrations,
            through_before.live_registrations,
            other_during.live_registrations,
            other_before.live_registrations,
            other.path()
        );
        assert_eq!(
            registrations(&through_during),
            (
                through_before.live_registrations + 1,
                through_before.registrations_total + 1
            ),
            "counted by the instance of {}",
            through.path()
        );
        assert_eq!(through_during.signals_sent, through_before.signals_sent + 1);
        assert_eq!(
            rejections_between(&through_before, &through_during),
            [],
            "nothing refused by the instance that holds it"
        );
        assert_eq!(
            registrations(&other_during),
            registrations(&other_before),
            "not counted by the instance of {}",
            other.path()
        );
        assert_eq!(other_during.signals_sent, other_before.signals_sent);
        assert_eq!(
            rejections_between(&other_before, &other_during),
            [(RejectReason::NoSuchRegistration, 1)],
            "the unknown id refused once, by the other instance"
        );

        registration.unregister().unwrap();
        assert_eq!(
            registrations(&through.stats(None).unwrap()).0,
            through_before.live_registrations
        );
    }
}

#[test]
fn a_refusal_moves_only_its_instances_counters() {
    let _serial = serial();
    let main = main_device();
    let second = second_device();
    let main_before = main.stats(None).unwrap();
    let second_before = second.stats(None).unwrap();

    // The sample's own IOCTL is the main device's: the second refuses it as unknown.
    assert_eq!(
        second.raw_ioctl(IOCTL_QUERY_TICKS, &[], &mut [0u8; 8]),
        Err(NtStatus(STATUS_INVALID_DEVICE_REQUEST))
    );
    // The first instance's second channel does not exist in the second instance.
    let name = unique("instances-refusal");
    let _event = Event::create_auto_reset(&name).unwrap();
    let registration = second
        .register_by_name(&name, SignalMode::OnDemand)
        .unwrap();
    let status = main.channel("sample.status").unwrap();
    match registration.subscribe(&status) {
        Err(Error::SubscribeRefused { status, .. }) => {
            assert_eq!(status, NtStatus(STATUS_EVSHARE_NO_SUCH_CHANNEL))
        }
        other => panic!("subscribing to the other instance's channel index: {other:?}"),
    }
    drop(registration);

    let main_after = main.stats(None).unwrap();
    let second_after = second.stats(None).unwrap();
    let second_moved = rejections_between(&second_before, &second_after);
    println!("refused by the second instance: {second_moved:?}; by the first: none");
    assert_eq!(
        second_moved,
        [
            (RejectReason::UnknownIoctl, 1),
            (RejectReason::NoSuchChannel, 1)
        ]
    );
    assert_eq!(
        main_after.rejected, main_before.rejected,
        "no counter of the first instance moved"
    );
    assert_eq!(registrations(&main_after), registrations(&main_before));
}

#[test]
fn closing_a_handle_releases_only_in_its_instance() {
    let _serial = serial();
    let main = main_device();
    let second = second_device();
    assert_eq!(
        (
            main.stats(None).unwrap().live_registrations,
            second.stats(None).unwrap().live_registrations
        ),
        (0, 0),
        "no one else registers with the sample"
    );

    let main_name = unique("instances-close-main");
    let second_name = unique("instances-close-second");
    let _main_event = Event::create_auto_reset(&main_name).unwrap();
    let _second_event = Event::create_auto_reset(&second_name).unwrap();
    let main_holder = main_device();
    let second_holder = second_device();
    // Never unregistered: only their handles' closes can release them.
    std::mem::forget(
        main_holder
            .register_by_name(&main_name, SignalMode::Periodic { period_ms: 100 })
            .unwrap(),
    );
    std::mem::forget(
        second_holder
            .register_by_name(&second_name, SignalMode::Periodic { period_ms: 100 })
            .unwrap(),
    );
    let main_open = main.stats(None).unwrap().open_handles;
    let second_open = second.stats(None).unwrap().open_handles;
    assert_eq!(main.stats(None).unwrap().live_registrations, 1);
    assert_eq!(second.stats(None).unwrap().live_registrations, 1);

    drop(main_holder);
    eventually("the first device's closed handle released", || {
        (main.stats(None).unwrap().live_registrations == 0).then_some(())
    });
    let main_after = main.stats(None).unwrap();
    let second_after = second.stats(None).unwrap();
    println!(
        "after closing a handle of {MAIN_PATH}: live {} there (open handles {} then {}), \
         {} through {SECOND_PATH} (open handles {} then {})",
        main_after.live_registrations,
        main_open,
        main_after.open_handles,
        second_after.live_registrations,
        second_open,
        second_after.open_handles
    );
    assert_eq!(main_after.open_handles, main_open - 1);
    assert_eq!(
        (second_after.live_registrations, second_after.open_handles),
        (1, second_open),
        "the second instance kept its registration and its handle"
    );

    drop(second_holder);
    eventually("the second device's closed handle released", || {
        (second.stats(None).unwrap().live_registrations == 0).then_some(())
    });
    assert_eq!(second.stats(None).unwrap().open_handles, second_open - 1);
    assert_eq!(main.stats(None).unwrap().open_handles, main_open - 1);
}

#[test]
fn both_instances_channels_deliver() {
    let _serial = serial();
    let main = main_device();
    let second = second_device();
    let main_ticks = main.channel("sample.ticks").unwrap();
    let second_ticks = second.channel("sample2.ticks").unwrap();
    let mut main_ring = subscribed_ring(&main, &main_ticks);
    let mut second_ring = subscribed_ring(&second, &second_ticks);

    let main_first = next_tick(&mut main_ring);
    let main_next = next_tick(&mut main_ring);
    let second_first = next_tick(&mut second_ring);
    let second_next = next_tick(&mut second_ring);
    println!(
        "sample.ticks through {MAIN_PATH}: {main_first}, {main_next}; sample2.ticks through \
         {SECOND_PATH}: {second_first}, {second_next}"
    );
    assert_eq!(main_next, main_first + 1, "consecutive ticks, none lost");
    assert_eq!(
        second_next,
        second_first + 1,
        "consecutive ticks, none lost"
    );

    // Each ring is a subscriber of its own instance's channel only.
    let main_after = main.channel("sample.ticks").unwrap();
    let second_after = second.channel("sample2.ticks").unwrap();
    assert_eq!(main_after.subscribers, main_ticks.subscribers + 1);
    assert_eq!(second_after.subscribers, second_ticks.subscribers + 1);
    assert!(main_after.published >= main_ticks.published + 2);
    assert!(second_after.published >= second_ticks.published + 2);
    drop(second_ring);
    assert_eq!(
        second.channel("sample2.ticks").unwrap().subscribers,
        second_ticks.subscribers
    );
    assert_eq!(
        main.channel("sample.ticks").unwrap().subscribers,
        main_ticks.subscribers + 1,
        "the second ring's release left the first instance's channel alone"
    );
}

/// A ring through `driver` subscribed to `channel`, woken for each record.
fn subscribed_ring<'d>(driver: &'d Driver, channel: &ChannelInfo) -> Ring<'d> {
    let ring = driver
        .register_ring(&RingOptions::new(16).watermark(1))
        .unwrap_or_else(|error| panic!("a ring through {}: {}", driver.path(), chain(&error)));
    ring.subscribe(channel)
        .unwrap_or_else(|error| panic!("SUBSCRIBE through {}: {}", driver.path(), chain(&error)));
    ring
}

/// The tick count of the next record a channel wrote into `ring`.
fn next_tick(ring: &mut Ring<'_>) -> u64 {
    match ring.recv(PATIENCE).expect("receive from the ring") {
        Some(Received::Record(record)) => u64::from_le_bytes(
            channel_payload(&record.payload)
                .expect("a record written by a channel")
                .try_into()
                .expect("8 bytes"),
        ),
        other => panic!("no published record within the patience: {other:?}"),
    }
}
