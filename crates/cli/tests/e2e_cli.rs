//! End to end, against the real driver: `evshare doctor` and `evshare watch` as a person runs
//! them, `channels` and `watch --channel` on evshare.sys's heartbeat, and `--device` with
//! `--space` reaching the sample host's channels. Needs the driver
//! (and the sample host next to it: `cargo xtask sample`) installed and running and
//! `EVSHARE_E2E=1`, like the client's e2e tests:
//! `EVSHARE_E2E=1 cargo test --target x86_64-pc-windows-gnu -p evshare-cli`.

#![cfg(windows)]

use std::process::{Command, Output};

use evshare::{Event, EventKind, Scope, Share, SignalMode};

fn evshare(args: &[&str]) -> Output {
    assert_eq!(
        std::env::var("EVSHARE_E2E").as_deref(),
        Ok("1"),
        "end-to-end test without the driver: set EVSHARE_E2E=1 with evshare.sys running"
    );
    Command::new(env!("CARGO_BIN_EXE_evshare"))
        .args(args)
        .output()
        .expect("run evshare.exe")
}

fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn unique(tag: &str) -> String {
    format!("evshare-cli-e2e-{}-{tag}", std::process::id())
}

#[test]
fn doctor_reports_the_driver_and_the_holders() {
    let driver = evshare::Driver::open().unwrap();
    let leaf = unique("held");
    let _registration = driver
        .register(
            Share::DriverNamed {
                leaf: &leaf,
                scope: Scope::Global,
                kind: EventKind::AutoReset,
            },
            SignalMode::OnDemand,
        )
        .unwrap();
    let output = evshare(&["doctor"]);
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("service:  running"), "{text}");
    assert!(text.contains("evshare driver "), "{text}");
    assert!(
        text.contains(&format!("holder:   pid {}", std::process::id())),
        "{text}"
    );
    assert!(text.contains("1 driver-created named"), "{text}");
    assert!(
        text.contains(
            "quotas:   per process 128 registrations (per handle 64, 256 in all), 128 MiB of \
             rings, 2000 timer signals/s, 64 pending requests (256 in all)"
        ),
        "{text}"
    );
    assert!(!text.contains("at its quota"), "{text}");
    assert!(text.contains("No problem found."), "{text}");

    // The same leaf without `Global\`: nothing there, and the doctor says where it is.
    let output = evshare(&["doctor", &format!("evshare-{leaf}")]);
    let text = printed(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("did you mean `Global\\evshare-{leaf}`?")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            r"resolves: \Sessions\1\BaseNamedObjects\evshare-{leaf}"
        )),
        "{text}"
    );
}

#[test]
fn doctor_explains_names_it_would_refuse() {
    let name = unique("mine");
    let _event = Event::create_auto_reset(&name).unwrap();
    let output = evshare(&["doctor", &name]);
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("there:    an event"), "{text}");
    assert!(text.contains("the driver may set it: yes"), "{text}");

    let output = evshare(&["doctor", r"\Sessions\7\BaseNamedObjects\x"]);
    let text = printed(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("another session's namespace"), "{text}");

    let denied = unique("denied");
    let _denied =
        Event::create_with_security(&denied, evshare::ResetKind::Auto, "D:(A;;0x120000;;;WD)")
            .unwrap();
    let output = evshare(&["doctor", &denied]);
    let text = printed(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("the driver may set it: no"), "{text}");
    assert!(
        text.contains("allow S-1-1-0: SYNCHRONIZE | READ_CONTROL"),
        "{text}"
    );
}

#[test]
fn watch_prints_each_signal_and_a_summary_for_every_method() {
    let name = unique("watched");
    let _event = Event::create_auto_reset(&name).unwrap();
    let leaf = unique("watch-named");
    for args in [
        vec![name.as_str()],
        vec!["--handle"],
        vec!["--driver-created"],
        vec!["--driver-created", "--named", &leaf],
        vec!["--driver-created", "--named", &leaf, "--global"],
    ] {
        let mut full = vec!["watch", "--count", "3", "--period-ms", "20"];
        full.extend(&args);
        let output = evshare(&full);
        let text = printed(&output);
        assert!(output.status.success(), "{args:?}: {text}");
        for n in 1..=3 {
            assert!(
                text.contains(&format!("signal {n:>6}  +")),
                "{args:?}: {text}"
            );
        }
        assert!(text.contains("Done: unregistered."), "{args:?}: {text}");
        assert!(text.contains("received 3 signals in"), "{args:?}: {text}");
        assert!(text.contains("interval: min "), "{args:?}: {text}");
    }
    // A name that is not there: the library's error, with its fix.
    let output = evshare(&["watch", &unique("missing"), "--count", "1"]);
    let text = printed(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("create it first"), "{text}");
}

#[test]
fn watch_ring_prints_each_record_and_totals_that_agree() {
    let output = evshare(&[
        "watch",
        "--ring",
        "--capacity",
        "16",
        "--period-ms",
        "5",
        "--count",
        "6",
    ]);
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    // Records come in sequence order; a slow console may make the driver drop some, and then
    // every gap is printed, so the lines account for every sequence number up to the last.
    let mut next = 0u64;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("record seq") {
            let seq: u64 = rest.split_whitespace().next().unwrap().parse().unwrap();
            assert_eq!(
                seq, next,
                "records out of order or a gap not reported: {text}"
            );
            next += 1;
        } else if let Some(rest) = line.strip_prefix("missed ") {
            // "missed COUNT record(s) from seq FIRST: the ring was full"
            let count: u64 = rest.split_whitespace().next().unwrap().parse().unwrap();
            let first: u64 = rest
                .split("from seq ")
                .nth(1)
                .and_then(|tail| tail.split(':').next())
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(first, next, "{text}");
            next += count;
        }
    }
    assert!(next >= 6, "{text}");
    assert!(text.contains("Done: received 6 records"), "{text}");
}

#[test]
fn device_option_opens_the_given_device_and_names_one_that_is_not_there() {
    // evshare's own device, named explicitly: the same answers as without --device.
    let output = evshare(&["--device", r"\\.\evshare", "stats"]);
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("live registrations:"), "{text}");
    let output = evshare(&["stats", "--device", r"\\.\evshare", "--pid", "1"]);
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("of process 1"), "{text}");

    // A path no driver created: the error names it and gives the OS's reason.
    for args in [
        &["--device", r"\\.\nosuchdevice", "stats"][..],
        &["--device", r"\\.\nosuchdevice", "status"],
        &[
            "--device",
            r"\\.\nosuchdevice",
            "watch",
            "--handle",
            "--count",
            "1",
        ],
    ] {
        let output = evshare(args);
        let text = printed(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {text}");
        assert!(
            text.contains(r"error: cannot open the device `\\.\nosuchdevice`"),
            "{args:?}: {text}"
        );
        assert!(text.contains("caused by: "), "{args:?}: {text}");
        assert!(!text.contains("evshare start"), "{args:?}: {text}");
    }
    // The doctor reports it as its problem, without asking the evshare service about it.
    let output = evshare(&["--device", r"\\.\nosuchdevice", "doctor"]);
    let text = printed(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains(r"device:   \\.\nosuchdevice"), "{text}");
    assert!(
        text.contains(r"problem:  cannot open the device `\\.\nosuchdevice`"),
        "{text}"
    );
    assert!(!text.contains("service:"), "{text}");

    // The service commands refuse it rather than ignore it.
    let output = evshare(&["--device", r"\\.\evshare", "start"]);
    let text = printed(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("--device cannot be used with `start`"),
        "{text}"
    );
}

#[test]
fn channels_and_watch_channel_show_evshare_sys_heartbeat() {
    // `channels`: evshare.sys's one, with its size.
    let output = evshare(&["channels"]);
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    let listed: Vec<Vec<&str>> = text
        .lines()
        .map(|line| line.split_whitespace().take(4).collect::<Vec<_>>())
        .filter(|fields| {
            fields
                .first()
                .is_some_and(|index| index.parse::<u32>().is_ok())
        })
        .collect();
    assert_eq!(listed, [["0", "evshare.heartbeat", "8", "B"]], "{text}");

    // `watch --channel`: two beats through a ring, shown as hex, one apart.
    let output = evshare(&["watch", "--channel", "evshare.heartbeat", "--count", "2"]);
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains(r#"Watching channel "evshare.heartbeat" (#0, payloads up to 8 bytes)"#),
        "{text}"
    );
    let beats: Vec<u64> = text
        .lines()
        .filter(|line| line.starts_with("payload "))
        .map(|line| {
            let hex: Vec<u8> = line
                .split_whitespace()
                .rev()
                .take(8)
                .map(|byte| u8::from_str_radix(byte, 16).expect("a hex byte"))
                .collect();
            // Reversed: the last byte on the line is the most significant.
            hex.iter()
                .fold(0, |beat, byte| (beat << 8) | u64::from(*byte))
        })
        .collect();
    assert_eq!(beats.len(), 2, "{text}");
    assert!(
        beats[0] >= 1 && beats[1] == beats[0] + 1,
        "{beats:?}: {text}"
    );
    assert!(
        text.contains("Done: received 2 payloads, 0 missed"),
        "{text}"
    );
}

/// The sample host (`samples/rust-host`, installed next to evshare.sys by the suite or by
/// `cargo xtask sample`): its device, and the IOCTL space it gave its evshare instance.
const SAMPLE: [&str; 4] = [
    "--device",
    r"\\.\EvshareSampleRust",
    "--space",
    "0x9A11:0x900",
];

#[test]
fn space_option_reaches_the_sample_hosts_channels() {
    // `channels`: the sample's four, in the order it declared them, with their sizes.
    let mut args = SAMPLE.to_vec();
    args.push("channels");
    let output = evshare(&args);
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    let listed: Vec<(u32, String, String)> = text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let index = fields.next()?.parse().ok()?;
            let name = fields.next()?.to_owned();
            let max_payload = format!("{} {}", fields.next()?, fields.next()?);
            Some((index, name, max_payload))
        })
        .collect();
    let expected = [
        (0, "sample.ticks", "8 B"),
        (1, "sample.status", "46 B"),
        (2, "sample.detail", "64 B"),
        (3, "sample.burst", "8 B"),
    ]
    .map(|(index, name, size)| (index, name.to_owned(), size.to_owned()));
    assert_eq!(listed, expected, "{text}");

    // `watch --channel`: two status lines from the sample's DPC, through a ring.
    let mut args = SAMPLE.to_vec();
    args.extend(["watch", "--channel", "sample.status", "--count", "2"]);
    let output = evshare(&args);
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains(r#"Watching channel "sample.status" (#1"#),
        "{text}"
    );
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("payload ") && line.contains("running, 2 Hz"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(text.contains("Done: received 2 payloads"), "{text}");

    // The wrong space, either way round: the driver refuses the version check as an unknown
    // IOCTL, and the error names the space and the option.
    for (args, space) in [
        (
            &[r"--device", r"\\.\EvshareSampleRust", "channels"][..],
            "0x8E5E:0x800",
        ),
        (&["--space", "0x9A11:0x900", "channels"], "0x9A11:0x900"),
    ] {
        let output = evshare(args);
        let text = printed(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {text}");
        assert!(
            text.contains(&format!(
                "does not know evshare's requests in IOCTL space {space}"
            )),
            "{args:?}: {text}"
        );
        assert!(text.contains("--space TYPE:BASE names"), "{args:?}: {text}");
        assert!(
            text.contains("caused by: STATUS_INVALID_DEVICE_REQUEST"),
            "{args:?}: {text}"
        );
    }
}
