//! Formatting for people: durations, error chains, driver descriptions.

use std::fmt::Write as _;
use std::time::Duration;

use evshare::VersionReply;

/// `842 µs`, `100.3 ms`, `2.50 s`.
pub(crate) fn duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1_000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1_000_000.0 {
        format!("{:.1} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

/// The error's message, then each `source()` on its own indented line.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let _ = write!(text, "\n  caused by: {cause}");
        next = cause.source();
    }
    text
}

/// `evshare driver 0.1.0 on Wine (protocol 1, at most 1024 registrations)`.
pub(crate) fn driver(version: &VersionReply) -> String {
    let [major, minor, patch] = version.driver_version;
    format!(
        "evshare driver {major}.{minor}.{patch} on {} (protocol {}, at most {} registrations)",
        version.host,
        evshare::PROTOCOL_VERSION,
        version.max_registrations
    )
}

/// `1 registration`, `2 registrations`.
pub(crate) fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}
